"""In a real browser: a manager opens a coaching action for an agent from two of the agent's
audits; vendor A's POC (logged in with TOTP) acknowledges it, records the coaching done and
completes it; the manager verifies it."""

import re

import pytest
from playwright.sync_api import expect

from audits import lifecycle
from coaching.models import ActionStatus, CoachingAction
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits, published_form

pytestmark = pytest.mark.browser


@pytest.fixture
def audits(auditor, manager, workflow, site_a):
    published_form(workflow, by=manager)
    opened = assigned_audits(auditor, workflow, 2, site=site_a)
    return [
        lifecycle.submit_audit(a, auditor, answers={**ALL_GOOD, "right_action": "no"})
        for a in opened
    ]


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


def test_a_coaching_action_goes_from_audits_to_verified(
    page, log_in, signed_in, manager, poc_a, audits
):
    agent = audits[0].ticket.agent
    signed_in(manager)
    page.goto("/coaching/new/?audits=" + ",".join(str(a.pk) for a in audits))
    expect(page.locator("#coaching-target")).to_contain_text(f"agent {agent.external_id}")
    page.fill("input[name=title]", "Wrong action on reclaimed slurs")
    page.fill("textarea[name=description]", "Both audits removed a reclaimed use.")
    expect(page.locator("select[name=category]")).to_have_value("policy-error")
    page.select_option("select[name=owner]", label=poc_a.email)
    page.get_by_role("button", name="Open action").click()
    action = CoachingAction.objects.get()
    expect(page).to_have_url(re.compile(rf"/coaching/{action.pk}/$"))
    expect(page.locator("#action-status")).to_have_text("Open")
    log_out(page)

    log_in(poc_a)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Coaching").click()
    page.get_by_role("link", name="Wrong action on reclaimed slurs").click()
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#action-status")).to_have_text("Acknowledged")
    page.fill("textarea[name=notes]", "One-to-one session on the reclaimed-slur examples.")
    page.get_by_role("button", name="Mark complete").click()
    expect(page.locator("#action-status")).to_have_text("Completed")
    expect(page.locator("#action-notes")).to_contain_text("reclaimed-slur examples")
    expect(page.get_by_role("button", name="Verify")).to_have_count(0)
    expect(page.locator("#action-effect")).to_contain_text("too few audits after")
    log_out(page)

    signed_in(manager)
    page.goto(f"/coaching/{action.pk}/")
    page.fill("input[name=text]", "Session record checked.")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#action-status")).to_have_text("Verified")
    action.refresh_from_db()
    assert (action.status, action.completed_by, action.verified_by) == (
        ActionStatus.VERIFIED,
        poc_a,
        manager,
    )
