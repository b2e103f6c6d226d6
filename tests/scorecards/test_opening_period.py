"""The period a page opens on: never an empty future one.

A program whose last audits are of tickets handled in October, looked at on Sunday 6 December
2026 (whose week began on 30 November, so the month holding today is November): every page
opens on October, the latest month with audits; the picker offers no link into a period that
has not begun; a page on the period holding today says it runs to date.
"""

import datetime as dt

import pytest

from tests.scorecards.test_overview_disputes import final_audits

pytestmark = pytest.mark.django_db

OCTOBER = dt.datetime(2026, 10, 14, 12, tzinfo=dt.UTC)
TODAY = dt.datetime(2026, 12, 6, 15, tzinfo=dt.UTC)


@pytest.fixture
def audited_in_october(time_machine, version, auditor, manager, workflow, site_a):
    time_machine.move_to(OCTOBER, tick=False)
    final_audits(auditor, manager, workflow, site_a, 3)
    time_machine.move_to(TODAY, tick=False)


@pytest.mark.parametrize(
    "path",
    ["/scorecards/", "/scorecards/vendors/acme/", "/scorecards/trends/", "/scorecards/gaps/"],
)
def test_every_page_opens_on_the_latest_month_with_audits(
    client_as, manager, audited_in_october, path
):
    response = client_as(manager).get(path)

    assert response.status_code == 200
    period = response.context["period"]
    assert period.label == "October 2026"
    assert 'rel="next">November 2026' in response.content.decode()


def test_the_portal_opens_on_its_vendors_latest_month(client_as, poc_a, audited_in_october):
    response = client_as(poc_a).get("/portal/")

    assert response.status_code == 200
    assert response.context["period"].label == "October 2026"


def test_the_period_holding_today_runs_to_date_and_has_no_next_link(
    client_as, manager, audited_in_october
):
    page = client_as(manager).get("/scorecards/?period=month&date=2026-11-01")

    text = page.content.decode()
    assert page.context["period"].label == "November 2026"
    assert "to date" in text
    assert 'rel="next"' not in text
    assert 'rel="prev">← October 2026' in text


def test_the_trend_window_ends_with_the_current_week_not_in_the_future(
    client_as, manager, audited_in_october
):
    page = client_as(manager).get("/scorecards/trends/?period=quarter&date=2026-10-01")

    weeks = [point.week for point in page.context["series"]]
    assert weeks[-1] == dt.date(2026, 11, 30)  # this week's Monday, not 28 December's
