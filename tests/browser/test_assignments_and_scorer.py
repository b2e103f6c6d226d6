"""In a real browser: a lead reassigns an audit, and the scorer's `c` key and time on task.

A program manager moves an audit from one auditor's queue to another's with a reason; the
other auditor finds it on their home page and in their queue. An auditor answers a question
and presses `c`: the comment box of the question just answered takes the keyboard. Time on
task keeps counting from where it was after the scoring page is reloaded, and the submitted
audit carries the whole total.
"""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from audits.models import Audit, AuditStatus
from tests.audits.workspace_helpers import assigned_audits, published_form
from tests.browser import keep_a_picture
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def audit(auditor, manager, workflow, site_a):
    published_form(workflow, by=manager)
    audit = assigned_audits(auditor, workflow, 1, site=site_a)[0]
    audit.ticket.excerpt = "Reported comment: a link to a known scam shop, posted 12 times."
    audit.ticket.save()
    return audit


def clock_seconds(page) -> int:
    minutes, seconds = page.locator("#time-spent").inner_text().split(":")
    return int(minutes) * 60 + int(seconds)


def saved_seconds(audit) -> int:
    return Audit.objects.get(pk=audit.pk).time_spent_seconds


def test_a_lead_reassigns_an_audit_and_the_other_auditor_finds_it(
    page, signed_in, manager, auditor, audit
):
    page.set_viewport_size({"width": 1280, "height": 900})
    bea = UserFactory(email="bea@example.com", role=Role.QA_AUDITOR)
    signed_in(manager)

    page.goto(f"/audits/{audit.pk}/")
    expect(page.locator("#assignment")).to_contain_text(auditor.email)
    keep_a_picture(page, "audit-reassign")
    page.get_by_label("Reassign to").select_option(label=bea.email)
    page.get_by_label("Reason (kept in the trail)").fill("Ana is on leave until Monday")
    page.get_by_role("button", name="Reassign").click()

    expect(page.locator(".messages")).to_contain_text(f"Reassigned to {bea.email}")
    expect(page.locator("#assignment")).to_contain_text(bea.email)
    expect(page.locator(".trail")).to_contain_text("Reassigned")
    expect(page.locator(".trail")).to_contain_text("Ana is on leave until Monday")

    page.context.clear_cookies()
    signed_in(bea)
    page.goto("/")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    expect(page.locator(".counts .stat").first).to_contain_text("1")
    keep_a_picture(page, "auditor-home")
    page.get_by_role("link", name="My queue").click()
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    expect(page.locator("table.data tbody")).to_contain_text(str(audit.ticket))
    assert Audit.objects.get(pk=audit.pk).auditor == bea


def test_the_c_key_comments_on_the_question_just_answered(page, signed_in, auditor, audit):
    signed_in(auditor)
    page.goto(f"/audits/{audit.pk}/score/")
    expect(page.locator(".question.current")).to_have_attribute("data-key", "right_action")

    page.keyboard.press("n")  # the first question, answered: the next one becomes current
    expect(page.locator(".question.current")).to_have_attribute("data-key", "policy_cited")
    page.keyboard.press("c")

    note = page.locator("textarea[name=note_right_action]")
    expect(note).to_be_focused()
    page.keyboard.type("The link is on the scam list: removal was right.")
    page.keyboard.press("Escape")
    expect(page.locator(".question.current")).to_have_attribute("data-key", "policy_cited")
    page.keyboard.press("a")  # N/A, then `c` again: the comment of that question
    page.keyboard.press("c")
    expect(page.locator("textarea[name=note_policy_cited]")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#save-status")).to_contain_text("Draft saved")
    expect(page.locator("#save-status")).to_contain_text(re.compile(r"\d{2}:\d{2}:\d{2}$"))

    saved = Audit.objects.get(pk=audit.pk)
    assert saved.comments == {"right_action": "The link is on the scam list: removal was right."}


def test_time_on_task_adds_up_across_a_reload(page, signed_in, auditor, audit):
    signed_in(auditor)
    page.goto(f"/audits/{audit.pk}/score/")

    # Time alone is saved while the auditor reads: no answer is needed for it to count.
    expect(page.locator("#time-spent")).to_have_text(
        re.compile(r"^0:(0[6-9]|[1-5]\d)$"), timeout=20_000
    )
    for _ in range(40):
        if saved_seconds(audit) >= 5:
            break
        page.wait_for_timeout(500)
    before_reload = saved_seconds(audit)
    assert before_reload >= 5

    page.reload()
    expect(page.locator("#time-spent")).not_to_have_text("–")
    assert clock_seconds(page) >= before_reload  # counting on from the kept time, not 0:00
    for key in ("y", "y", "4", "1"):
        page.keyboard.press(key)
    expect(page.locator(".question.answered")).to_have_count(4)
    page.mouse.move(5, 5)  # still at work: the clock does not pause
    for _ in range(80):
        if clock_seconds(page) >= before_reload + 2:
            break
        page.wait_for_timeout(250)
    on_the_clock = clock_seconds(page)
    page.keyboard.press("Control+Enter")

    expect(page.locator(".messages")).to_contain_text(f"Submitted {audit.ticket}")
    submitted = Audit.objects.get(pk=audit.pk)
    assert submitted.status == AuditStatus.SUBMITTED
    assert submitted.time_spent_seconds >= on_the_clock >= before_reload + 2
