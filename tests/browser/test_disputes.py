"""In a real browser: a vendor POC disputes a question of a final audit with evidence; a
program manager overturns it and sees the new score on the audit page."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from audit_forms.scoring import score_audit
from audits import lifecycle
from audits.models import Audit, AuditStatus, Dispute
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits, published_form

pytestmark = pytest.mark.browser


@pytest.fixture
def final_audit(auditor, manager, workflow, site_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    published_form(workflow, by=manager)
    audit = assigned_audits(auditor, workflow, site=site_a)[0]
    lifecycle.submit_audit(audit, auditor, answers={**ALL_GOOD, "policy_cited": "fail"})
    return lifecycle.finalise_audit(audit, manager)


def test_a_poc_disputes_a_question_and_a_manager_overturns_it(
    page, signed_in, poc_a, manager, final_audit, tmp_path
):
    audit = final_audit
    evidence = tmp_path / "reply.txt"
    evidence.write_text("Removed under policy 4.2 (hateful conduct).")
    signed_in(poc_a)

    page.goto(f"/audits/{audit.pk}/")
    expect(page.locator(".card.stat .value").first).to_have_text(f"{audit.score:.1f}")
    page.get_by_role("link", name="Dispute", exact=True).click()
    expect(page.get_by_role("heading", name=f"Dispute audit #{audit.pk}")).to_be_visible()
    reason = page.get_by_label("Reason for disputing question 2")
    reason.click()
    expect(reason).to_be_focused()
    reason.fill("The reply cites policy 4.2; see the attached text.")
    page.get_by_label("Evidence for question 2").set_input_files(str(evidence))
    page.get_by_role("button", name="Raise dispute").click()

    dispute = Dispute.objects.get()
    expect(page).to_have_url(re.compile(rf"/audits/disputes/{dispute.pk}/$"))
    expect(page.locator(".messages")).to_contain_text(f"Dispute #{dispute.pk} raised")
    expect(page.locator("body")).to_contain_text("The reply cites policy 4.2")
    expect(page.get_by_role("link", name="reply.txt")).to_be_visible()

    page.context.clear_cookies()
    signed_in(manager)
    page.goto("/audits/disputes/")
    page.get_by_role("link", name=f"#{dispute.pk}", exact=True).click()
    page.get_by_label("Decision on question 2").select_option("overturned")
    page.get_by_label("Corrected answer to question 2").select_option("pass")
    page.get_by_label("Reply to the vendor on question 2").fill("Agreed: policy 4.2 is cited.")
    page.get_by_role("button", name="Resolve dispute").click()

    expect(page).to_have_url(re.compile(rf"/audits/{audit.pk}/$"))
    audit = Audit.objects.get(pk=audit.pk)
    expected = score_audit(audit.form_version.to_spec(), ALL_GOOD).score
    assert audit.status == AuditStatus.FINAL
    assert audit.score == Decimal(str(expected)).quantize(Decimal("0.01"))
    expect(page.locator(".card.stat .value").first).to_have_text(f"{audit.score:.1f}")
    expect(page.locator("#disputes")).to_contain_text("Resolved")
