"""In a real browser: a lead sets up a calibration session, two auditors score it blind on
the scoring sheet, the lead records a gold answer, closes it and everyone reads the results."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from calibration import sessions
from calibration.models import CalibrationSession, Rating
from tests.audits.workspace_helpers import ALL_GOOD
from tests.factories import PASSWORD

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
    page, signed_in, manager, auditor, auditor2, version, tickets_a
):
    signed_in(manager)
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
    signed_in(auditor)
    score_both(page, session, ["4", "5"])
    page.context.clear_cookies()
    signed_in(auditor2)
    score_both(page, session, ["2", "5"])
    blind = page.locator("body")
    expect(blind).not_to_contain_text("auditor@example.com")  # nobody else's answers or name
    expect(blind).not_to_contain_text("Polite, a little curt")  # nor the gold
    assert Rating.objects.filter(item__session=session).count() == 16

    page.context.clear_cookies()
    signed_in(manager)
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


def test_a_vendor_qa_analyst_takes_part_through_the_portal(
    page, browser, live_server, log_in, manager, auditor, analyst_a, open_session
):
    """Acme's QA analyst logs in (with TOTP), finds the session in the partner portal, scores
    every ticket blind, and once the lead has closed it reads the results."""
    session = open_session
    items = list(session.items.order_by("position"))
    for item in items:  # an auditor has scored already, with a tone nobody else gives
        sessions.score_item(item, auditor, {**ALL_GOOD, "tone": "2"})
    sessions.set_gold(items[0], by=manager, answers={"tone": ("5", "Polite and complete")})

    log_in(analyst_a)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    page.locator("#my-calibration").get_by_role("link", name=session.name).click()
    expect(page.locator("#your-items")).to_contain_text("to score")
    page.get_by_role("link", name="ACME-CAL-1").click()
    for _ in items:
        expect(page.locator("#scoring-form")).to_be_visible()
        body = page.locator("body")
        expect(body).not_to_contain_text("auditor@example.com")  # blind: no one else's
        expect(body).not_to_contain_text("Polite and complete")  # nor the gold
        for name, value in (("right_action", "yes"), ("policy_cited", "pass"),
                            ("tone", "5"), ("escalation", "not_needed")):
            choose(page, name, value)
        page.get_by_role("button", name="Save and next").click()
    expect(page.locator(".messages")).to_contain_text("Scored ACME-CAL-3")
    expect(page.locator("#your-items .badge.good")).to_have_count(len(items))
    expect(page.locator("#results")).to_have_count(0)
    assert Rating.objects.filter(item__session=session, rater=analyst_a).count() == 12

    # The lead closes the session in their own browser.
    lead = browser.new_context(base_url=live_server.url)
    lead_page = lead.new_page()
    lead_page.goto("/accounts/login/")
    lead_page.fill("input[name=login]", manager.email)
    lead_page.fill("input[name=password]", PASSWORD)
    lead_page.click("form button[type=submit]")
    lead_page.goto(f"/calibration/{session.pk}/")
    expect(lead_page.locator("#progress")).to_contain_text("3/3")
    lead_page.get_by_role("button", name="Close and show the results").click()
    expect(lead_page.locator("#session-status")).to_have_text("Closed")
    lead.close()

    page.reload()
    expect(page.locator("#session-status")).to_have_text("Closed")
    expect(page.locator("#agreement tr", has_text="tone")).to_contain_text("unreliable")
    accuracy = page.locator("#accuracy tr", has_text=analyst_a.email)
    expect(accuracy).to_contain_text("1/1")
    expect(page.locator("#accuracy tr", has_text="auditor@example.com")).to_contain_text("0/1")
    expect(page.locator("#grid")).to_contain_text("auditor@example.com")
    expect(page.locator("#grid tr", has_text="gold")).to_contain_text("5")
