"""In a real browser: vendor A's POC logs in with their TOTP code, lands on the partner
portal, reads their scorecard for March and opens one of their finalised audits from the
portal's audit list. Nothing of vendor B is on any page on the way."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from rollups.estimates import Scope, domain_outcomes
from rollups.periods import period_of
from rollups.writer import rebuild_rollups
from tests.audits.workspace_helpers import ALL_GOOD, published_form
from tests.factories import AgentFactory
from tests.portal.conftest import FAIL, final_stratum

pytestmark = pytest.mark.browser


@pytest.fixture
def finalised(manager, auditor, workflow, site_a, site_b):
    """Twelve finalised audits of Acme in March, and six of Borealis."""
    published_form(workflow, by=manager)
    ours = final_stratum(
        "Acme March",
        auditor,
        manager,
        workflow,
        AgentFactory(site=site_a, external_id="ACME-7"),
        population=300,
        outcomes=[ALL_GOOD] * 11 + [FAIL],
    )
    final_stratum(
        "Borealis March",
        auditor,
        manager,
        workflow,
        AgentFactory(site=site_b, external_id="BOR-9"),
        population=50,
        outcomes=[FAIL] * 6,
    )
    rebuild_rollups()
    return ours


def test_a_poc_reads_their_scorecard_and_opens_a_finalised_audit(
    page, log_in, poc_a, vendor_a, finalised
):
    march = period_of("month", dt.date(2026, 3, 1))
    accuracy = domain_outcomes(Scope(march, vendor=vendor_a.pk))[None].accuracy

    log_in(poc_a)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_role("heading", name="Acme Moderation", exact=True)).to_be_visible()

    page.goto("/portal/?period=month&date=2026-03-01")
    expect(page.locator("#period-label")).to_have_text("March 2026")
    expect(page.locator("#headline-accuracy .value")).to_have_text(f"{accuracy.p * 100:.1f}%")
    expect(page.locator("body")).not_to_contain_text("Borealis")

    page.get_by_role("link", name="Audits of this period").click()
    audits = page.locator("#audits tbody tr")
    expect(audits).to_have_count(12)
    expect(page.locator("body")).not_to_contain_text("BOR-9")
    audit = finalised[0]
    page.get_by_role("link", name=f"#{audit.pk}", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/audits/{audit.pk}/$"))
    expect(page.locator("body")).to_contain_text(audit.ticket.external_id)
