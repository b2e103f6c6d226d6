"""The calibration API other tools rely on: the list, a session's agreement numbers and every
rating, scoped to who may see them."""

from __future__ import annotations

import pytest

from calibration import sessions
from tests.calibration.conftest import answers

pytestmark = pytest.mark.django_db

FIELDS = {"key", "kind", "n_units", "n_raters", "percent_agreement", "fleiss_kappa",
          "alpha_nominal", "alpha_ordinal", "alpha_ci"}


@pytest.fixture
def closed_session(open_session, manager, auditor, auditor2, analyst_a):
    items = list(open_session.items.all())
    for person, tone in ((auditor, "4"), (auditor2, "3"), (analyst_a, "4")):
        for item in items:
            sessions.score_item(item, person, answers(tone=tone))
    sessions.set_gold(items[0], by=manager, answers={"tone": ("4", "Curt but polite")})
    return sessions.close_session(open_session, by=manager)


def test_a_closed_session_gives_agreement_per_question_and_overall(
    client_as, manager, closed_session
):
    data = client_as(manager).get(f"/api/v1/calibration-sessions/{closed_session.pk}/").json()
    assert data["status"] == "closed"
    assert [q["key"] for q in data["questions"]] == [
        "right_action", "policy_cited", "tone", "escalation"]
    assert all(FIELDS <= set(q) for q in data["questions"]) and FIELDS <= set(data["overall"])
    tone = data["questions"][2]
    assert (tone["kind"], tone["n_units"], tone["n_raters"]) == ("scale", 3, 3)
    assert tone["percent_agreement"] == pytest.approx(1 / 3)
    assert tone["fleiss_kappa"] is not None and tone["alpha_ordinal"] is not None
    low, high = tone["alpha_ci"]
    assert low <= high
    assert data["questions"][0]["alpha_ordinal"] is None  # yes/no: nominal only
    assert data["overall"]["key"] == "overall" and data["overall"]["n_units"] == 12


def test_ratings_list_every_answer_and_the_gold(client_as, manager, closed_session):
    rows = client_as(manager).get(
        f"/api/v1/calibration-sessions/{closed_session.pk}/ratings/").json()
    assert len(rows) == 3 * 3 * 4 + 1
    assert {"ticket": "ACME-CAL-1", "rater": "qa@acme.example", "question": "tone",
            "answer": "4"} in rows
    assert {"ticket": "ACME-CAL-1", "rater": "gold", "question": "tone", "answer": "4"} in rows


def test_while_open_a_participant_sees_only_their_own_ratings_and_no_numbers(
    client_as, open_session, auditor, auditor2, manager
):
    item = open_session.items.first()
    sessions.score_item(item, auditor, answers())
    sessions.score_item(item, auditor2, answers(tone="1"))
    sessions.set_gold(item, by=manager, answers={"tone": ("5", "")})
    client = client_as(auditor)
    base = f"/api/v1/calibration-sessions/{open_session.pk}/"
    rows = client.get(base + "ratings/").json()
    assert {r["rater"] for r in rows} == {"auditor@example.com"}
    data = client.get(base).json()
    assert data["status"] == "open" and data["questions"] == [] and data["overall"] is None
    assert client_as(manager).get(base).json()["overall"]["n_units"] == 4  # 1 ticket x 4


def test_vendor_analysts_see_only_sessions_they_are_invited_to(
    client_as, closed_session, analyst_a, analyst_b, poc_a, version, manager, vendor_b,
    tickets_b
):
    b_session = sessions.create_session(name="Borealis only", form_version=version, by=manager,
                                        vendor=vendor_b)
    sessions.add_picked_items(b_session, by=manager, external_ids=["BOR-CAL-1"])
    sessions.invite(b_session, analyst_b, by=manager)

    a = client_as(analyst_a)
    listed = a.get("/api/v1/calibration-sessions/").json()["results"]
    assert [s["id"] for s in listed] == [closed_session.pk]
    assert a.get(f"/api/v1/calibration-sessions/{closed_session.pk}/").status_code == 200
    for path in ("", "ratings/"):
        assert a.get(f"/api/v1/calibration-sessions/{b_session.pk}/{path}").status_code == 404
        # A's POC is not invited even to A's own session.
        response = client_as(poc_a).get(f"/api/v1/calibration-sessions/{closed_session.pk}/{path}")
        assert response.status_code == 404
    assert client_as(analyst_b).get(
        f"/api/v1/calibration-sessions/{closed_session.pk}/ratings/").status_code == 404
    assert client_as(analyst_b).get("/api/v1/calibration-sessions/").json()["results"][0][
        "name"] == "Borealis only"
