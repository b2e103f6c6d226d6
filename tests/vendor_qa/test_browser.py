"""In a real browser: a QA lead uploads Acme's weekly QA rates and the gap appears on Acme's
scorecard; then Acme's POC uploads per-ticket verdicts in the portal and sees the same gap
and the paired table there, with nothing of Borealis on the way."""

import pytest
from playwright.sync_api import expect

from tests.vendor_qa.conftest import MARCH_QUERY, Program, acme_march

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def program(manager, auditor, site_a, site_b, workflow) -> Program:
    """Acme's March made anew for each test: the browser's live server reads only committed
    rows."""
    return acme_march(manager, auditor, site_a, site_b, workflow)

QUERY = "&".join(f"{k}={v}" for k, v in MARCH_QUERY.items())


def test_a_vendor_qa_upload_shows_the_gap_on_the_scorecard_and_in_the_portal(
        page, signed_in, program, manager, poc_a, vendor_a, workflow):
    signed_in(manager)
    page.goto("/vendor-qa/")
    page.select_option("select[name=vendor]", vendor_a.slug)
    page.set_input_files("input[name=file]", files=[{
        "name": "acme-weekly.csv", "mimeType": "text/csv",
        "buffer": f"workflow,week,audited,passed\n{workflow.slug},2026-03-11,500,490\n".encode(),
    }])
    page.click("#vendor-qa-upload button[type=submit]")
    expect(page.locator("#import-report")).to_contain_text("1 new weekly rate")
    expect(page.locator("#vendor-qa-uploads")).to_contain_text("acme-weekly.csv")

    page.goto(f"/scorecards/vendors/{vendor_a.slug}/?{QUERY}")
    expect(page.locator("#vendor-qa-gap")).to_contain_text(
        "Vendor reports 98.0% (n 500); our estimate 75.0%")
    expect(page.locator("#vendor-qa-gap")).to_contain_text("the gap of 23.0 points is significant")

    page.context.clear_cookies()
    signed_in(poc_a)
    page.goto(f"/portal/vendor-qa/?{QUERY}")
    expect(page.locator("#vendor-qa-gap")).to_contain_text("the gap of 23.0 points is significant")
    verdicts = ["yes"] * 30 + ["yes"] * 8 + ["no"] * 2  # ours: 30 passed, then 10 failed
    rows = "".join(f"{t.external_id},{v}\n" for t, v in zip(program.tickets, verdicts,
                                                             strict=True))
    page.set_input_files("input[name=file]", files=[{
        "name": "acme-tickets.csv", "mimeType": "text/csv",
        "buffer": ("ticket,passed\n" + rows).encode()}])
    page.click("#vendor-qa-upload button[type=submit]")
    expect(page.locator("#import-report")).to_contain_text("40 new ticket results")
    expect(page.locator("#vendor-qa-paired")).to_contain_text("40 tickets carry both")
    expect(page.locator("#they-passed-we-failed")).to_have_text("8")
    expect(page.locator("body")).not_to_contain_text("Borealis")
    expect(page.locator("body")).not_to_contain_text("BOR-SECRET-1")
