"""Resolving a plan's window in its timezone, and counting its population per stratum."""

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from sampling.population import Window, filtered_tickets, resolve_window, stratum_counts

from .conftest import WINDOW

MADRID = ZoneInfo("Europe/Madrid")


def local(*args, zone=MADRID) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


def test_yesterday_is_the_last_full_local_day():
    now = local(2026, 11, 25, 0, 30)  # 23:30 UTC on the 24th

    window = resolve_window("yesterday", "Europe/Madrid", now)

    assert window.start == local(2026, 11, 24)
    assert window.end == local(2026, 11, 25)
    assert window.start.tzinfo == dt.UTC


def test_a_day_with_a_daylight_saving_change_is_23_hours_long():
    window = resolve_window("yesterday", "Europe/Madrid", local(2026, 3, 30, 9))

    assert window.end - window.start == dt.timedelta(hours=23)


def test_last_week_is_the_previous_monday_to_sunday():
    wednesday = local(2026, 11, 25, 10, zone=ZoneInfo("America/New_York"))

    window = resolve_window("last_week", "America/New_York", wednesday)

    new_york = ZoneInfo("America/New_York")
    assert window.start == local(2026, 11, 16, zone=new_york)  # a Monday
    assert window.end == local(2026, 11, 23, zone=new_york)


def test_last_7_and_30_days_end_at_todays_midnight():
    now = local(2026, 11, 25, 10)

    assert resolve_window("last_7_days", "Europe/Madrid", now) == Window(
        local(2026, 11, 18), local(2026, 11, 25)
    )
    assert resolve_window("last_30_days", "Europe/Madrid", now).start == local(2026, 10, 26)


def test_last_month_is_the_previous_calendar_month_even_in_january():
    window = resolve_window("last_month", "UTC", dt.datetime(2027, 1, 15, tzinfo=dt.UTC))

    assert (window.start, window.end) == (
        dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
    )


def test_a_window_must_be_aware_and_ordered():
    with pytest.raises(ValueError, match="aware"):
        Window(dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 2))
    with pytest.raises(ValueError, match="after"):
        Window(WINDOW.end, WINDOW.start)
    with pytest.raises(ValueError, match="Unknown window kind"):
        resolve_window("fortnight", "UTC")


def test_strata_are_counted_in_one_grouped_query(population, django_assert_num_queries):
    tickets = filtered_tickets(window=WINDOW)

    # One grouped count, plus one bulk name lookup per model key (vendor, workflow).
    with django_assert_num_queries(3):
        strata = stratum_counts(tickets, ["vendor", "workflow"])

    expected = Counter((t.vendor_id, t.workflow_id) for t in population.in_window())
    assert {(s.values["vendor"], s.values["workflow"]): s.population for s in strata} == expected
    labels = [s.label for s in strata]
    assert labels == sorted(labels)
    assert "Vendor A · Workflow x" in labels


def test_plain_column_keys_and_no_keys(population):
    tickets = filtered_tickets(window=WINDOW)

    by_language = stratum_counts(tickets, ["language"])
    (everything,) = stratum_counts(tickets, [])

    assert {s.label: s.population for s in by_language} == Counter(
        t.language for t in population.in_window()
    )
    assert everything.population == len(population.in_window())
    assert everything.key == ()


def test_site_labels_name_the_vendor_unless_the_vendor_is_a_key_too(population):
    tickets = filtered_tickets(window=WINDOW)

    alone = {s.label for s in stratum_counts(tickets, ["site"])}
    with_vendor = {s.label for s in stratum_counts(tickets, ["vendor", "site"])}

    assert "Vendor A Vendor A site 1" in alone
    assert "Vendor A · Vendor A site 1" in with_vendor


def test_filters_combine(population):
    site = population.sites[0]
    workflow = population.workflows[0]

    count = filtered_tickets(
        site_ids=[site.pk],
        workflow_ids=[workflow.pk],
        decisions=["keep", "escalate"],
        automation="automated",
        window=WINDOW,
    ).count()

    assert count == sum(
        1
        for t in population.in_window()
        if t.site_id == site.pk
        and t.workflow_id == workflow.pk
        and t.decision in ("keep", "escalate")
        and t.automated
    )
