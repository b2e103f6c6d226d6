"""In a real browser: an auditor works the queue with the keyboard only.

Opens the queue, starts the next audit, answers every question with y/n/a and digit keys
(no clicks on answers), sees the draft autosaved, submits with Ctrl+Enter and lands on the
next audit of the queue.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from audit_forms.scoring import score_audit
from audits.models import Audit, AuditStatus
from tests.audits.workspace_helpers import assigned_audits, published_form
from tests.browser import keep_a_picture

pytestmark = pytest.mark.browser


@pytest.fixture
def queue(auditor, manager, workflow, site_a):
    published_form(workflow, by=manager)
    first, second = assigned_audits(auditor, workflow, 2, site=site_a, due_in_hours=(5, 30))
    first.ticket.excerpt = (
        'User reply: "people like you should go back where you came from". '
        "Reported twice within an hour; the agent removed the reply under hateful conduct."
    )
    first.ticket.policy_label = "hateful_conduct"
    first.ticket.content_url = "https://example.com/content/81723"
    first.ticket.save()
    return first, second


def test_an_auditor_scores_an_audit_with_the_keyboard_and_gets_the_next_one(
    page, signed_in, auditor, queue
):
    first, second = queue
    signed_in(auditor)

    page.goto("/audits/queue/")
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    expect(page.locator("table.data tbody tr")).to_have_count(2)
    keep_a_picture(page, "queue")
    # Chromium applies autofocus at its next rendering step, which may follow "load".
    expect(page.get_by_role("button", name="Start next")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/audits/{first.pk}/score/$"))
    expect(page.get_by_role("heading", name=f"Audit of {first.ticket}")).to_be_visible()
    expect(page.locator(".question.current")).to_have_attribute("data-key", "right_action")

    for key in ("y", "a", "4", "3"):  # yes · N/A · scale 4 · third choice ("Missed")
        page.keyboard.press(key)
    expect(page.locator(".question.answered")).to_have_count(4)
    expect(page.locator("#answered-count")).to_have_text("4")
    expect(page.locator("#save-status")).to_contain_text("Draft saved")
    expect(page.locator("#time-spent")).to_have_text(re.compile(r"^0:0[1-9]|^0:[1-5]\d"))
    page.keyboard.press("k")  # back up to look at the tone question again, then on
    expect(page.locator(".question.current")).to_have_attribute("data-key", "tone")
    page.keyboard.press("j")
    expect(page.locator(".question.current")).to_have_attribute("data-key", "escalation")
    page.keyboard.press("c")  # a comment, typed without leaving the keyboard
    page.keyboard.type("Needed L2: the user threatened self-harm.")
    page.keyboard.press("Escape")
    expect(page.locator("#save-status")).to_contain_text("Draft saved")
    keep_a_picture(page, "scoring")

    page.keyboard.press("Control+Enter")

    expect(page).to_have_url(re.compile(rf"/audits/{second.pk}/score/$"))
    expect(page.get_by_role("heading", name=f"Audit of {second.ticket}")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text(f"Submitted {first.ticket}")
    first = Audit.objects.get(pk=first.pk)
    answers = {"right_action": "yes", "policy_cited": "na", "tone": "4", "escalation": "missed"}
    assert first.status == AuditStatus.SUBMITTED and first.answers == answers
    assert first.comments == {"escalation": "Needed L2: the user threatened self-harm."}
    expected = score_audit(first.form_version.to_spec(), answers).score
    assert first.score == Decimal(str(expected)).quantize(Decimal("0.01"))
    assert first.time_spent_seconds >= 1

    page.goto(f"/audits/{first.pk}/")
    expect(page.get_by_role("heading", name=f"Audit #{first.pk}")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Missed")
    keep_a_picture(page, "audit-detail")


def test_submitting_an_incomplete_audit_names_the_missing_questions(
    page, signed_in, auditor, queue
):
    first, _ = queue
    signed_in(auditor)
    page.goto(f"/audits/{first.pk}/score/")
    page.keyboard.press("n")  # only the first question

    page.keyboard.press("Control+Enter")

    expect(page.get_by_role("alert")).to_contain_text("3 questions need an answer")
    expect(page.get_by_role("alert")).to_contain_text("4. Escalation")
    expect(page.locator(".question.missing")).to_have_count(3)
    expect(page.locator(".question.current")).to_have_attribute("data-key", "policy_cited")
    keep_a_picture(page, "scoring-missing")


def test_an_auditor_audits_a_ticket_found_by_id_outside_any_sample(
    page, signed_in, auditor, manager, workflow, site_a
):
    from tests.factories import AgentFactory, TicketFactory

    published_form(workflow, by=manager)
    ticket = TicketFactory(
        agent=AgentFactory(site=site_a),
        workflow=workflow,
        external_id="ZD-4471",
        excerpt="Spam link in a product review.",
    )
    signed_in(auditor)

    page.goto("/audits/adhoc/")
    expect(page.get_by_label("Ticket id (external id or number)")).to_be_focused()
    page.keyboard.type("ZD-4471")
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_contain_text("Spam link in a product review.")
    keep_a_picture(page, "adhoc")
    page.get_by_role("button", name="Start unsampled audit").click()

    expect(page.get_by_role("heading", name="Audit of ZD-4471")).to_be_visible()
    expect(page.locator(".ticket-pane")).to_contain_text("unsampled, not in estimates")
    audit = Audit.objects.get(ticket=ticket)
    assert audit.unsampled and audit.status == AuditStatus.IN_PROGRESS
