"""The calibration pages: a lead sets a session up, participants score blind on the
auditors' sheet, the lead records gold and closes, everyone reads the results."""

from __future__ import annotations

import pytest

from calibration import sessions
from calibration.models import Rating, SessionStatus
from tests.calibration.conftest import answers

pytestmark = pytest.mark.django_db


def post_sheet(client, url, sheet, **extra):
    return client.post(url, {**{f"q_{k}": v for k, v in sheet.items()}, **extra})


def test_a_lead_creates_a_session_and_adds_tickets_and_people(
    client_as, manager, version, vendor_a, tickets_a, auditor, auditor2
):
    client = client_as(manager)
    assert client.get("/calibration/").status_code == 200
    response = client.post("/calibration/new/", {"name": "Weekly", "form_version": version.pk,
                                                 "vendor": vendor_a.pk})
    session = response.url.split("/")[2]
    base = f"/calibration/{session}/"
    client.post(base + "items/", {"source": "picked", "external_ids": "ACME-CAL-1, ACME-CAL-2"})
    client.post(base + "invite/", {"user": auditor.pk})
    client.post(base + "invite/", {"user": auditor2.pk})
    response = client.post(base + "items/", {"source": "picked", "external_ids": "NOPE"})
    page = client.get(base).content.decode()
    assert "no ticket with id NOPE" in page
    assert "ACME-CAL-1" in page and "auditor2@example.com" in page
    client.post(base + "open/")
    assert "Close and show the results" in client.get(base).content.decode()


def test_the_auditors_page_is_403_for_an_auditor_and_404_for_a_vendor_user(
    client_as, auditor, analyst_a, draft_session
):
    assert client_as(auditor).get("/calibration/new/").status_code == 403
    assert client_as(analyst_a).get("/calibration/new/").status_code == 404
    item = draft_session.items.first()
    gold = f"/calibration/{draft_session.pk}/items/{item.pk}/gold/"
    assert client_as(analyst_a).get(gold).status_code == 404


def test_participants_score_blind_and_see_everything_once_closed(
    client_as, open_session, manager, auditor, auditor2, analyst_a
):
    items = list(open_session.items.all())
    score = f"/calibration/{open_session.pk}/items/{items[0].pk}/score/"
    analyst = client_as(analyst_a)
    page = analyst.get(score).content.decode()
    assert 'id="scoring-form"' in page and "Was the right action taken?" in page
    assert "ACME-CAL-1" in page

    response = post_sheet(analyst, score, answers(right_action=""))
    assert response.status_code == 400 and "an answer is required" in response.content.decode()
    response = post_sheet(analyst, score, answers(tone="2"), next="1")
    assert response.url == f"/calibration/{open_session.pk}/items/{items[1].pk}/score/"
    post_sheet(client_as(auditor), score, answers(tone="5"))

    own = client_as(auditor).get(f"/calibration/{open_session.pk}/").content.decode()
    assert "qa@acme.example" not in own  # no progress of others, no answers
    lead = client_as(manager).get(f"/calibration/{open_session.pk}/").content.decode()
    assert "1/3" in lead and "0/3" in lead  # progress, counts only
    assert 'id="grid"' not in lead

    gold = f"/calibration/{open_session.pk}/items/{items[0].pk}/gold/"
    client = client_as(manager)
    assert client.get(gold).status_code == 200
    client.post(gold, {"q_tone": "2", "why_tone": "Dismissive reply"})
    client.post(f"/calibration/{open_session.pk}/close/")

    closed = client_as(auditor).get(f"/calibration/{open_session.pk}/").content.decode()
    assert 'id="agreement"' in closed and 'id="grid"' in closed
    assert "qa@acme.example" in closed and "Dismissive reply" in closed
    assert "0.800" in closed and "tentative" in closed  # thresholds explained
    assert post_sheet(client_as(auditor2), score, answers()).status_code == 302
    assert not Rating.objects.filter(rater=auditor2).exists()  # closed: not recorded


def test_someone_not_invited_cannot_score(client_as, open_session, poc_a, manager):
    item = open_session.items.first()
    score = f"/calibration/{open_session.pk}/items/{item.pk}/score/"
    assert client_as(manager).get(score).status_code == 404
    assert client_as(poc_a).get(score).status_code == 404
    assert client_as(poc_a).get(f"/calibration/{open_session.pk}/").status_code == 404


def test_a_decision_and_its_guidance_from_the_page(client_as, open_session, manager):
    client = client_as(manager)
    url = f"/calibration/{open_session.pk}/questions/tone/"
    client.post(url, {"note": "Curt is 3"})
    client.post(url, {"guidance": "A curt reply scores 3."})
    page = client.get(f"/calibration/{open_session.pk}/").content.decode()
    assert "Curt is 3" in page and "Guidance written into Moderation scorecard v2" in page


def test_the_session_list_shows_a_vendor_analyst_only_their_sessions(
    client_as, open_session, analyst_b, analyst_a
):
    assert "November calibration" in client_as(analyst_a).get("/calibration/").content.decode()
    assert "November calibration" not in client_as(analyst_b).get(
        "/calibration/").content.decode()
    assert open_session.status == SessionStatus.OPEN
    assert sessions.is_participant(open_session, analyst_a)


def test_the_portal_shows_an_analyst_their_sessions_and_a_poc_none(
    client_as, open_session, analyst_a, poc_a, manager
):
    page = client_as(analyst_a).get("/portal/").content.decode()
    assert 'id="my-calibration"' in page and "November calibration" in page
    assert 'id="my-calibration"' not in client_as(poc_a).get("/portal/").content.decode()
    assert ">Calibration</a>" in client_as(manager).get("/calibration/").content.decode()
