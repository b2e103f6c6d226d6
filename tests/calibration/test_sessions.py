"""A lead runs a calibration session: items, participants, blind scoring, gold, closing,
results and decisions."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import Role
from audit_forms.models import FormVersion
from audit_forms.scoring import InvalidAnswers
from audits import lifecycle
from audits.models import Audit
from calibration import selectors, sessions
from calibration.models import ItemSource, Rating, SessionStatus
from tests.audits.workspace_helpers import assign_tickets, sample_run
from tests.calibration.conftest import answers
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_only_a_lead_creates_a_session_with_a_published_form(version, auditor, manager):
    with pytest.raises(sessions.NotAllowed):
        sessions.create_session(name="Mine", form_version=version, by=auditor)
    draft = FormVersion.objects.create(form=version.form, number=2, created_by=manager)
    with pytest.raises(sessions.CalibrationError, match="is a draft"):
        sessions.create_session(name="Draft form", form_version=draft, by=manager)
    with pytest.raises(sessions.CalibrationError, match="name: a session needs a name"):
        sessions.create_session(name="  ", form_version=version, by=manager)
    session = sessions.create_session(name="Weekly", form_version=version, by=manager)
    assert session.status == SessionStatus.DRAFT
    with pytest.raises(sessions.CalibrationError, match="already exists"):
        sessions.create_session(name="weekly", form_version=version, by=manager)


def test_hand_picked_tickets_are_named_when_unknown(draft_session, manager, tickets_a):
    with pytest.raises(sessions.CalibrationError, match="no ticket with id NOPE-1, NOPE-2"):
        sessions.add_picked_items(draft_session, by=manager,
                                  external_ids=["NOPE-1", tickets_a[3].external_id, "NOPE-2"])
    assert draft_session.items.count() == 3  # nothing added: all or none
    added = sessions.add_picked_items(draft_session, by=manager,
                                      external_ids=[tickets_a[0].external_id,
                                                    tickets_a[3].external_id])
    assert [i.ticket for i in added] == [tickets_a[3]]  # the first was already in


def test_a_vendor_session_takes_only_that_vendors_tickets(draft_session, manager, tickets_b):
    with pytest.raises(sessions.CalibrationError, match="BOR-CAL-1 are not Acme Moderation's"):
        sessions.add_picked_items(draft_session, by=manager, external_ids=["BOR-CAL-1"])


def _final_audits(tickets, auditor, manager):
    run = sample_run()
    assign_tickets(run, tickets, auditor)
    lifecycle.open_assigned_audits(run)
    for audit in Audit.objects.filter(ticket__in=tickets):
        audit = lifecycle.submit_audit(audit, auditor, answers=answers())
        lifecycle.finalise_audit(audit, manager, "")


def test_random_items_come_from_recent_finalised_audits_reproducibly(
    version, manager, auditor, tickets_a, tickets_b
):
    _final_audits(tickets_a[:3] + tickets_b, auditor, manager)
    one = sessions.create_session(name="Random one", form_version=version, by=manager)
    two = sessions.create_session(name="Random two", form_version=version, by=manager)
    picked = sessions.add_random_items(one, by=manager, count=3, seed=5)
    again = sessions.add_random_items(two, by=manager, count=3, seed=5)
    assert [i.ticket_id for i in picked] == [i.ticket_id for i in again]
    assert {i.source for i in picked} == {ItemSource.RANDOM}
    assert {i.ticket_id for i in picked} <= {t.pk for t in tickets_a[:3] + tickets_b}

    only_b = sessions.create_session(name="B only", form_version=version, by=manager)
    drawn = sessions.add_random_items(only_b, by=manager, count=10, vendors=[tickets_b[0].vendor])
    assert sorted(i.ticket_id for i in drawn) == sorted(t.pk for t in tickets_b)

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=60)
    stale = sessions.create_session(name="Stale", form_version=version, by=manager)
    with pytest.raises(sessions.CalibrationError, match="no finalised audit in the last 30"):
        sessions.add_random_items(stale, by=manager, count=3, now=later)


def test_items_from_overturned_disputes(version, manager, auditor, tickets_a, poc_a):
    from audits import disputes

    _final_audits(tickets_a[:2], auditor, manager)
    audit = Audit.objects.get(ticket=tickets_a[1])
    dispute = disputes.raise_dispute(audit, poc_a, {"right_action": "It was right"})
    disputes.resolve_dispute(dispute, manager, {
        "right_action": disputes.Decision("overturned", "Agreed", corrected_answer="no")})
    session = sessions.create_session(name="Disputed", form_version=version, by=manager)
    items = sessions.add_overturned_dispute_items(session, by=manager, count=5)
    assert [i.ticket for i in items] == [tickets_a[1]]
    assert items[0].source == ItemSource.DISPUTES


def test_who_may_join(draft_session, manager, poc_a, analyst_b, version):
    with pytest.raises(sessions.CalibrationError, match="only QA staff and vendor QA analysts"):
        sessions.invite(draft_session, poc_a, by=manager)
    with pytest.raises(sessions.CalibrationError, match="QA analyst of Borealis Support"):
        sessions.invite(draft_session, analyst_b, by=manager)
    no_vendor = sessions.create_session(name="Mixed", form_version=version, by=manager)
    with pytest.raises(sessions.CalibrationError, match="set the session's vendor"):
        sessions.invite(no_vendor, analyst_b, by=manager)


def test_opening_needs_items_and_two_participants(version, manager, auditor):
    session = sessions.create_session(name="Empty", form_version=version, by=manager)
    with pytest.raises(sessions.CalibrationError, match="add at least one ticket"):
        sessions.open_session(session, by=manager)


def test_scoring_is_blind_until_the_session_closes(
    open_session, manager, auditor, auditor2, analyst_a
):
    item = open_session.items.first()
    sessions.score_item(item, auditor, answers(tone="4"))
    sessions.score_item(item, auditor2, answers(tone="2"))
    sessions.set_gold(item, by=manager, answers={"tone": ("4", "Polite but curt")})

    own = selectors.ratings_visible_to(auditor, open_session)
    assert {r.rater for r in own} == {auditor}
    assert not selectors.gold_visible_to(auditor, open_session).exists()
    assert not selectors.ratings_visible_to(analyst_a, open_session).exists()
    assert selectors.gold_visible_to(manager, open_session).count() == 1
    assert not selectors.ratings_visible_to(manager, open_session).exists()  # counts only
    assert [(p.participant.user.email, p.scored) for p in selectors.progress(open_session)] == [
        ("auditor2@example.com", 1), ("auditor@example.com", 1), ("qa@acme.example", 0)]

    closed = sessions.close_session(open_session, by=manager)
    assert {r.rater for r in selectors.ratings_visible_to(auditor, closed)} == {
        auditor, auditor2}
    assert selectors.gold_visible_to(analyst_a, closed).count() == 1


def test_answers_follow_the_auditors_rules(open_session, auditor, analyst_a, manager):
    item = open_session.items.first()
    with pytest.raises(InvalidAnswers) as invalid:
        sessions.score_item(item, auditor, answers(right_action="", extra="yes"))
    assert invalid.value.problems == {"right_action": "an answer is required",
                                      "extra": "not a question of this form"}
    with pytest.raises(InvalidAnswers, match="tone: '9' is not on the 1–5 scale"):
        sessions.score_item(item, auditor, answers(tone="9"))
    outsider = UserFactory(email="outsider@example.com", role=Role.QA_AUDITOR)
    with pytest.raises(sessions.NotAllowed):
        sessions.score_item(item, outsider, answers())
    with pytest.raises(InvalidAnswers, match="escalation: 'maybe' is not one of"):
        sessions.set_gold(item, by=manager, answers={"escalation": ("maybe", "")})

    sessions.score_item(item, analyst_a, answers(policy_cited="na"))
    sessions.score_item(item, analyst_a, answers())  # scoring again replaces the answers
    assert dict(Rating.objects.filter(item=item, rater=analyst_a)
                .values_list("question_key", "answer")) == answers()


def test_nothing_changes_once_closed(open_session, manager, auditor):
    sessions.close_session(open_session, by=manager)
    item = open_session.items.select_related("session").first()
    with pytest.raises(sessions.CalibrationError, match="is closed: cannot score now"):
        sessions.score_item(item, auditor, answers())
    with pytest.raises(sessions.CalibrationError, match="cannot change the gold now"):
        sessions.set_gold(item, by=manager, answers={"tone": ("5", "")})
    with pytest.raises(sessions.CalibrationError, match="cannot close it now"):
        sessions.close_session(open_session, by=manager)


def test_results_agreement_and_accuracy(open_session, manager, auditor, auditor2, analyst_a):
    items = list(open_session.items.all())
    sheets = {
        auditor: [answers(), answers(right_action="no"), answers(tone="3")],
        auditor2: [answers(), answers(right_action="no"), answers(tone="2")],
        analyst_a: [answers(), answers(), answers(tone="3")],
    }
    for person, per_item in sheets.items():
        for item, sheet in zip(items, per_item, strict=True):
            sessions.score_item(item, person, sheet)
    sessions.set_gold(items[1], by=manager, answers={"right_action": ("no", "Policy 4.2")})
    closed = sessions.close_session(open_session, by=manager)

    result = selectors.session_results(closed)
    by_key = {q.key: q for q in result.questions}
    right = by_key["right_action"]
    assert (right.n_units, right.n_raters) == (3, 3)
    assert right.percent_agreement == pytest.approx((1 + 1 / 3 + 1) / 3)
    assert right.fleiss_kappa is not None and right.alpha_ordinal is None
    assert right.alpha_ci[0] <= right.alpha_nominal <= right.alpha_ci[1]
    assert by_key["tone"].alpha_ordinal is not None
    assert by_key["escalation"].alpha_nominal == 1.0  # everyone answered not_needed
    assert result.overall.n_units == 12 and result.overall.n_raters == 3

    accuracy = {a.rater: a for a in result.accuracy}
    assert (accuracy[auditor.pk].matches, accuracy[auditor.pk].compared) == (1, 1)
    assert (accuracy[analyst_a.pk].matches, accuracy[analyst_a.pk].compared) == (0, 1)
    assert accuracy[analyst_a.pk].low == 0.0 and 0 < accuracy[analyst_a.pk].high < 1


def test_a_decision_becomes_guidance_in_a_new_draft(open_session, manager, version):
    sessions.save_note(open_session, "tone", "Curt is a 3, rude is a 2.", by=manager)
    draft = sessions.turn_into_guidance(
        open_session, "tone", "A curt reply scores 3; a rude one 2.", by=manager)
    assert draft.is_draft and draft.based_on == version and draft.number == 2
    assert draft.questions.get(key="tone").guidance == "A curt reply scores 3; a rude one 2."
    assert version.questions.get(key="tone").guidance == ""  # the published one is untouched
    assert "from calibration session “November calibration”" in draft.changelog
    note = selectors.notes_by_key(open_session)["tone"]
    assert note.note == "Curt is a 3, rude is a 2." and note.guidance_version == draft
    with pytest.raises(sessions.CalibrationError, match="is not a question"):
        sessions.save_note(open_session, "nope", "x", by=manager)
