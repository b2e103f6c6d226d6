"""In a real browser: a manager opens a coaching action from a failed audit's page, then
another from the agent's scorecard page, and each time lands on the saved action; the agent's
page then lists both in the coaching history.

The period shown is derived from the audited ticket (no wall clock)."""

import re

import pytest
from playwright.sync_api import expect

from audits import lifecycle
from coaching.models import CoachingAction, Level
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits, published_form
from tests.browser import keep_a_picture

pytestmark = pytest.mark.browser


@pytest.fixture
def failed(auditor, manager, workflow, site_a):
    published_form(workflow, by=manager)
    [audit] = assigned_audits(auditor, workflow, 1, site=site_a)
    return lifecycle.submit_audit(audit, auditor, answers={**ALL_GOOD, "right_action": "no"})


def test_coaching_opens_from_a_failed_audit_and_from_the_agents_page(
    page, signed_in, manager, failed
):
    agent = failed.ticket.agent
    signed_in(manager)

    page.goto(f"/audits/{failed.pk}/")
    page.get_by_role("link", name="Open coaching action").click()
    expect(page.locator("#coaching-target")).to_contain_text(f"agent {agent.external_id}")
    expect(page.locator("select[name=category]")).to_have_value("policy-error")
    page.fill("input[name=title]", "Wrong action on a reported post")
    page.get_by_role("button", name="Open action").click()
    from_audit = CoachingAction.objects.get()
    expect(page).to_have_url(re.compile(rf"/coaching/{from_audit.pk}/$"))
    expect(page.locator("#action-status")).to_have_text("Open")
    expect(page.locator("#action-sources")).to_contain_text(f"Audit {failed.pk}")

    handled = failed.ticket.handled_at.date().isoformat()
    page.goto(
        f"/scorecards/vendors/{agent.vendor.slug}/?period=week&date={handled}"
        f"&agent={agent.external_id}"
    )
    expect(page.locator("#agent-audit-list")).to_contain_text(f"Audit {failed.pk}")
    expect(page.locator("#agent-coaching-list")).to_contain_text("Wrong action on a reported post")
    page.set_viewport_size({"width": 1280, "height": 900})
    keep_a_picture(page, "agent-page")
    page.get_by_role("link", name="Open coaching action").click()
    expect(page.locator("#coaching-target")).to_contain_text(
        f"agent {agent.external_id} ({agent.site.name})"
    )
    page.fill("input[name=title]", "Follow-up on reported posts")
    page.select_option("select[name=category]", "procedural")
    page.get_by_role("button", name="Open action").click()
    from_page = CoachingAction.objects.exclude(pk=from_audit.pk).get()
    expect(page).to_have_url(re.compile(rf"/coaching/{from_page.pk}/$"))
    expect(page.locator("h1")).to_contain_text("Follow-up on reported posts")
    assert (from_page.level, from_page.agent, from_page.category.slug) == (
        Level.AGENT,
        agent,
        "procedural",
    )
    assert not from_page.audits.exists()

    page.go_back()
    page.go_back()
    page.reload()
    expect(page.locator("#agent-coaching-list tbody tr")).to_have_count(2)
