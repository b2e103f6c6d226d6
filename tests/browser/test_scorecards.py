"""In a real browser: a program manager opens a vendor's scorecard, drills from the vendor to
one agent by clicking rows, switches from the month to one week with the period picker, climbs
back up by the breadcrumbs and downloads the breakdown as CSV, whose numbers are the page's."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rollups.writer import rebuild_rollups
from tests.audits.workspace_helpers import published_form
from tests.browser import keep_a_picture
from tests.factories import AgentFactory, SiteFactory
from tests.scorecards.test_scorecard import APRIL, MARCH, accuracy_target, audit_batch

pytestmark = pytest.mark.browser


@pytest.fixture
def program(manager, auditor, vendor_a, site_a, workflow):
    """Acme's Manila agents M1 and M2 and Cebu's C1 on hate speech in March; M1 again in
    April. Acme's contract: accuracy at least 85 %."""
    published_form(workflow, by=manager)
    cebu = SiteFactory(vendor=vendor_a, name="Cebu", slug="cebu")
    m1 = AgentFactory(site=site_a, external_id="M1")
    m2 = AgentFactory(site=site_a, external_id="M2")
    c1 = AgentFactory(site=cebu, external_id="C1")
    batches = []
    audit_batch(
        batches,
        auditor,
        workflow,
        m1,
        population=600,
        handled_at=MARCH,
        passed=27,
        failed=2,
        critical=1,
    )
    audit_batch(
        batches,
        auditor,
        workflow,
        m2,
        population=200,
        handled_at=MARCH,
        passed=16,
        failed=3,
        critical=1,
    )
    audit_batch(
        batches, auditor, workflow, c1, population=80, handled_at=MARCH, passed=10, failed=2
    )
    audit_batch(
        batches, auditor, workflow, m1, population=400, handled_at=APRIL, passed=5, failed=10
    )
    accuracy_target(vendor_a, Decimal("0.8500"))
    rebuild_rollups()
    return batches


def breakdown_on_page(page) -> list[list[str]]:
    rows = page.locator("#breakdown tbody tr")
    return [
        [" ".join(cell.split()) for cell in rows.nth(i).locator("th, td").all_inner_texts()]
        for i in range(rows.count())
    ]


def test_a_manager_drills_from_vendor_to_agent_switches_period_and_downloads_the_table(
    page, signed_in, manager, program
):
    signed_in(manager)
    page.goto("/scorecards/vendors/acme/?period=month&date=2026-03-01")
    expect(page.get_by_role("heading", name="Acme Moderation scorecard")).to_be_visible()
    expect(page.locator("#period-label")).to_have_text("March 2026")
    expect(page.locator("#breakdown tbody tr")).to_have_count(2)
    keep_a_picture(page, "scorecard-vendor")

    breakdown = page.locator("#breakdown")
    breakdown.get_by_role("link", name="Manila").click()
    expect(page.get_by_role("heading", name="Manila scorecard")).to_be_visible()
    expect(breakdown.locator("tbody tr")).to_have_count(1)
    expect(breakdown.locator("tbody tr").first).to_contain_text("50")
    breakdown.get_by_role("link", name="Hate speech (EN)").click()
    expect(page.get_by_role("heading", name="Hate speech (EN) scorecard")).to_be_visible()
    expect(breakdown.locator("tbody tr")).to_have_count(2)
    breakdown.get_by_role("link", name="M1 (Manila)").click()
    expect(page.get_by_role("heading", name="M1 scorecard")).to_be_visible()
    expect(page.locator("#breakdown")).to_have_count(0)
    expect(page.locator(".breadcrumbs")).to_have_text(
        "Acme Moderation › Manila › Hate speech (EN) › M1"
    )
    expect(page.locator("#headline-accuracy")).to_contain_text("n 30")

    page.select_option("#period-kind", "week")
    page.fill("#period-date", "2026-03-10")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#period-label")).to_have_text("Week 11, 2026")
    expect(page.get_by_role("heading", name="M1 scorecard")).to_be_visible()
    assert "agent=M1" in page.url

    page.locator(".breadcrumbs").get_by_role("link", name="Acme Moderation").click()
    expect(page.get_by_role("heading", name="Acme Moderation scorecard")).to_be_visible()
    expect(page.locator("#period-label")).to_have_text("Week 11, 2026")
    shown = breakdown_on_page(page)
    assert [row[:2] for row in shown] == [["Cebu", "12"], ["Manila", "50"]]
    keep_a_picture(page, "scorecard-week")

    with page.expect_download() as info:
        page.locator("a[href*='format=csv'][href*='table=breakdown']").click()
    download = info.value
    assert re.search(r"breakdown\.csv$", download.suggested_filename)
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert [row["site"] for row in exported] == ["Cebu", "Manila"]
    for csv_row, page_row in zip(exported, shown, strict=True):
        low, p, high = (
            float(csv_row[name]) * 100 for name in ("accuracy_low", "accuracy", "accuracy_high")
        )
        assert csv_row["audits"] == page_row[1]
        assert page_row[2].startswith(f"{p:.1f}% {low:.1f}% – {high:.1f}%")
        assert csv_row["verdict"] == page_row[-1]
