"""Plans whose populations overlap never audit one ticket twice (issue 11).

A "whole program" plan and a "deep dive" into one vendor's workflow over the same week share
their tickets: whichever run draws a ticket first keeps it, every later run of any plan leaves
it out of its population N, and the run says how many tickets of its window it left out and
because of whom, so its estimates are read for what they describe.
"""

import datetime as dt
from collections import Counter
from io import StringIO

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest import approx

from audits.run_report import run_report
from sampling.drawing import draw_sample
from sampling.models import SampledTicket, SampleRun
from sampling.population import Window, plan_population, window_exclusions
from sampling.replacement import draw_replacement
from sampling.tasks import request_run
from tickets.models import Ticket

from .conftest import WINDOW

SHIFTED = Window(WINDOW.start + dt.timedelta(days=3), WINDOW.end + dt.timedelta(days=2))


def draw(plan, seed=7, window=WINDOW) -> SampleRun:
    run = draw_sample(request_run(plan, window=window, seed=seed, enqueue=False).pk)
    assert run.status == SampleRun.Status.DONE, run.failure_reason
    return run


def drawn_ids(*runs) -> set[int]:
    return set(SampledTicket.objects.filter(run__in=runs).values_list("ticket_id", flat=True))


def deep_dive(make_plan, population, **fields):
    """Vendor A's workflow x, by site, to ±5 % per site: a large share of its tickets."""
    plan = make_plan(
        vendors=[population.vendors[0]], strata_keys=["site"], margin_applies_to="each_stratum",
        **fields,
    )
    plan.workflows.set([population.workflows[0]])
    return plan


def test_two_overlapping_plans_never_draw_a_common_ticket(population, make_plan):
    dive = draw(deep_dive(make_plan, population), window=SHIFTED)
    whole = draw(make_plan(margin_of_error="0.0300"), seed=7)

    assert drawn_ids(dive) and drawn_ids(whole)
    assert drawn_ids(dive).isdisjoint(drawn_ids(whole))
    # The whole plan's N is its window less what the dive drew there, stratum by stratum.
    in_window = population.in_window()
    taken = drawn_ids(dive) & {t.pk for t in in_window}
    assert taken, "the windows overlap: the dive drew tickets of the whole plan's window"
    assert whole.excluded_other_plans == len(taken)
    assert whole.excluded_same_plan == 0
    assert whole.population_size == len(in_window) - len(taken)
    left = Counter((t.vendor_id, t.workflow_id) for t in in_window if t.pk not in taken)
    assert {(s.vendor_id, s.workflow_id): s.population for s in whole.strata.all()} == +left
    for row in SampledTicket.objects.filter(run=whole).select_related("stratum"):
        assert row.inclusion_probability == approx(row.stratum.allocated / row.stratum.population)


def test_a_census_of_a_deep_dive_takes_exactly_what_the_other_plan_left(population, make_plan):
    whole = draw(make_plan(margin_of_error="0.0300"))
    dive = draw(deep_dive(make_plan, population, margin_of_error="0.0010"))  # n_h = N_h

    vendor, workflow = population.vendors[0], population.workflows[0]
    in_dive = {
        t.pk for t in population.in_window() if (t.vendor_id, t.workflow_id) == (vendor.pk,
                                                                               workflow.pk)
    }
    assert drawn_ids(dive) == in_dive - drawn_ids(whole)
    assert dive.excluded_other_plans == len(in_dive & drawn_ids(whole)) > 0
    assert all(s.allocated == s.population for s in dive.strata.all())


def test_the_run_counts_tickets_left_out_for_this_plan_and_for_other_plans_apart(
    population, make_plan
):
    plan, other = make_plan(), make_plan()
    first, second = draw(plan, seed=1), draw(plan, seed=2)
    theirs = draw(other, seed=3)
    again = draw(plan, seed=4, window=SHIFTED)

    window = {t.pk for t in population.in_window()}
    assert (theirs.excluded_same_plan, theirs.excluded_other_plans) == (
        0, len(drawn_ids(first, second)),
    )
    shifted = {t.pk for t in population.in_window(SHIFTED)}
    assert (again.excluded_same_plan, again.excluded_other_plans) == (
        len(drawn_ids(first, second) & shifted), len(drawn_ids(theirs) & shifted),
    )
    assert again.population_size + again.excluded_same_plan + again.excluded_other_plans == len(
        shifted
    )
    everything = [first, second, theirs, again]
    rows = SampledTicket.objects.filter(run__in=everything)
    assert rows.count() == rows.values("ticket").distinct().count()
    assert theirs.population_size == len(window) - len(drawn_ids(first, second))


def test_the_population_is_one_anti_join_in_the_database(
    population, make_plan, django_assert_num_queries
):
    plan = make_plan()
    earlier = draw(make_plan())
    tickets = plan_population(plan, WINDOW)

    sql = str(tickets.query).upper()
    assert "NOT EXISTS" in sql and "NOT IN" not in sql
    with django_assert_num_queries(1):
        count = tickets.count()
    assert count == len(population.in_window()) - earlier.sample_size
    with CaptureQueriesContext(connection) as queries:
        excluded = window_exclusions(plan, WINDOW)
    assert (excluded.same_plan, excluded.other_plans) == (0, earlier.sample_size)
    # The plan's filter (vendors, sites, workflows), then one aggregate over the tickets.
    assert len(queries) == 4
    assert sum(Ticket._meta.db_table in q["sql"] for q in queries) == 1


def test_a_replacement_never_takes_a_ticket_another_plan_drew(population, make_plan):
    whole = draw(make_plan(margin_of_error="0.0300"))
    dive = draw(deep_dive(make_plan, population, margin_of_error="0.1500"))
    stratum = dive.strata.order_by("population").first()
    members = {
        t.pk for t in population.in_window()
        if (t.vendor_id, t.workflow_id, t.site_id)
        == (population.vendors[0].pk, population.workflows[0].pk, stratum.site_id)
    }

    # Replace skipped tickets until the stratum has nothing left to draw.
    skipped = stratum.sampled_tickets.first()
    for _ in range(len(members) + 1):
        replacement = draw_replacement(skipped)
        if replacement is None:
            break
        assert replacement.ticket_id not in drawn_ids(whole)
        skipped = replacement
    else:
        raise AssertionError("the stratum never ran out of tickets")

    assert drawn_ids(dive) & members == members - drawn_ids(whole)


def test_the_run_report_says_how_many_tickets_other_plans_drew(
    population, make_plan, client_as, manager
):
    first = draw(make_plan())
    run = draw(make_plan())

    report = run_report(run)
    assert report.excluded_other_plans == first.sample_size > 0
    assert report.excluded_same_plan == 0
    assert report.window_tickets == len(population.in_window())
    assert report.excluded_share == first.sample_size / len(population.in_window())

    page = client_as(manager).get(reverse("sampling:run_detail", args=[run.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'id="run-excluded-other-plans">{intcomma(first.sample_size)}<' in html
    assert "drawn by other plans" in html
    assert f"of the plan's {intcomma(report.window_tickets)} tickets in this window" in html

    output = StringIO()
    call_command("draw_sample", run.plan.pk, "--seed", str(run.seed), "--window-start",
                 WINDOW.start.isoformat(), "--window-end", WINDOW.end.isoformat(), stdout=output)
    assert f"{first.sample_size} by other plans, 0 by this plan" in output.getvalue()


def test_a_run_drawn_before_the_counts_were_kept_says_nothing_about_them(
    population, make_plan, client_as, manager
):
    draw(make_plan())
    run = draw(make_plan())
    SampleRun.objects.filter(pk=run.pk).update(excluded_same_plan=None, excluded_other_plans=None)
    run.refresh_from_db()

    assert run_report(run).window_tickets is None
    html = client_as(manager).get(reverse("sampling:run_detail", args=[run.pk])).content.decode()
    assert 'id="run-exclusions"' not in html
