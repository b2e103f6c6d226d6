"""In a real browser: a vendor POC picks March 2026 on the portal, moves through the tabs and
keeps March on each, then narrows the audit list to the failed audits, still in March."""

import re

import pytest
from playwright.sync_api import expect

from tests.portal.conftest import portal_world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def test_a_poc_picks_a_period_switches_tabs_and_filters_failed_audits(
    page,
    log_in,
    poc_a,
    portal_world,  # noqa: F811
):
    log_in(poc_a)
    expect(page).to_have_url(re.compile(r"/portal/$"))

    # Pick March 2026 with the period picker.
    page.select_option("#period-kind", "month")
    page.fill("#period-date", "2026-03-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#period-label")).to_have_text("March 2026")

    tabs = page.get_by_role("navigation", name="Partner portal")
    for tab in ("Error themes", "Disputes", "Coaching", "Audits"):
        tabs.get_by_role("link", name=tab, exact=True).click()
        expect(page).to_have_url(re.compile(r"[?&]period=month&date=2026-03-01"))
        expect(tabs.get_by_role("link", name=tab, exact=True)).to_have_attribute(
            "aria-current", "page"
        )

    # On the audit list, March is the period shown, and the failed filter keeps it.
    expect(page.locator(".period-dates")).to_contain_text("March 2026")
    expect(page.locator("#audits tbody tr")).to_have_count(len(portal_world.a_audits))
    page.select_option("#result", "failed")
    page.get_by_role("button", name="Filter").click()

    rows = page.locator("#audits tbody tr")
    expect(rows).to_have_count(2)
    for i in range(2):
        expect(rows.nth(i)).to_contain_text("ail")  # "Fail" or "Critical fail"
    expect(page).to_have_url(re.compile(r"result=failed"))
    expect(page.locator(".period-dates")).to_contain_text("March 2026")

    # And back to the scorecard: still March.
    tabs.get_by_role("link", name="Scorecard", exact=True).click()
    expect(page.locator("#period-label")).to_have_text("March 2026")
