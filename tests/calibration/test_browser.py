"""In a real browser: a lead sets up a calibration session, two auditors score it blind on
the scoring sheet, the lead records a gold answer, closes it and everyone reads the results."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from calibration.models import CalibrationSession, Rating

pytestmark = pytest.mark.browser


def choose(page, question: str, value: str) -> None:
    """Click the answer's label, as an auditor does (the sheet styles the radio itself)."""
    page.locator(f"label:has(input[name=q_{question}][value='{value}'])").click()


def score_both(page, session, tones):
    page.goto(f"/calibration/{session.pk}/")
    expect(page.locator("#your-items")).to_contain_text("to score")
    page.get_by_role("link", name="ACME-CAL-1").click()
    for tone in tones:
        expect(page.locator("#scoring-form")).to_be_visible()
        for name, value in (("right_action", "yes"), ("policy_cited", "pass"),
                            ("tone", tone), ("escalation", "not_needed")):
            choose(page, name, value)
        page.get_by_role("button", name="Save and next").click()
    expect(page.locator(".messages")).to_contain_text("Scored ACME-CAL-2")


def test_a_lead_runs_a_calibration_session_end_to_end(
    page, log_in, manager, auditor, auditor2, version, tickets_a
):
    log_in(manager)
    page.goto("/calibration/")
    page.get_by_role("link", name="New session").click()
    page.get_by_label("Name").fill("Browser calibration")
    page.get_by_label("Form version").select_option(label=str(version))
    page.get_by_label("Vendor").select_option(label="Acme Moderation")
    page.get_by_role("button", name="Create the session").click()
    session = CalibrationSession.objects.get(name="Browser calibration")
    expect(page).to_have_url(re.compile(rf"/calibration/{session.pk}/$"))

    page.get_by_label("Hand-picked ticket ids").check()
    page.get_by_role("textbox", name="Ticket ids").fill("ACME-CAL-1\nACME-CAL-2")
    page.get_by_role("button", name="Add tickets").click()
    expect(page.locator(".messages")).to_contain_text("Added 2 tickets")
    for person in (auditor, auditor2):
        page.get_by_label("Person").select_option(label=person.email)
        page.get_by_role("button", name="Invite").click()
        expect(page.locator(".messages")).to_contain_text(f"Invited {person.email}")
    page.get_by_role("button", name="Open for scoring").click()
    expect(page.locator("#session-status")).to_have_text("Open for scoring")

    page.get_by_role("link", name="Gold answers").first.click()
    choose(page, "tone", "4")
    page.get_by_label("Rationale for Tone of the reply").fill("Polite, a little curt")
    page.get_by_role("button", name="Save gold answers").click()
    expect(page.locator(".messages")).to_contain_text("Saved the gold answers of ACME-CAL-1")

    page.context.clear_cookies()
    log_in(auditor)
    score_both(page, session, ["4", "5"])
    page.context.clear_cookies()
    log_in(auditor2)
    score_both(page, session, ["2", "5"])
    blind = page.locator("body")
    expect(blind).not_to_contain_text("auditor@example.com")  # nobody else's answers or name
    expect(blind).not_to_contain_text("Polite, a little curt")  # nor the gold
    assert Rating.objects.filter(item__session=session).count() == 16

    page.context.clear_cookies()
    log_in(manager)
    page.goto(f"/calibration/{session.pk}/")
    expect(page.locator("#progress")).to_contain_text("2/2")
    page.get_by_role("button", name="Close and show the results").click()
    expect(page.locator("#session-status")).to_have_text("Closed")
    agreement = page.locator("#agreement")
    expect(agreement.locator("tr", has_text="tone")).to_contain_text("50 %")
    expect(agreement.locator("tr", has_text="right_action")).to_contain_text("reliable")
    expect(page.locator("#accuracy")).to_contain_text("1/1")
    expect(page.locator("#accuracy")).to_contain_text("0/1")
    expect(page.locator("#grid")).to_contain_text("auditor2@example.com")
