"""Vendor B's calibration session (closed, with B's QA analyst's ratings, gold and a decision)
and the parameter sets the URL security walk tries with it (tests/test_url_security.py,
calibration block). Made once per world."""

from __future__ import annotations

from accounts.models import Role
from calibration import sessions
from calibration.models import CalibrationSession
from tests.audits.workspace_helpers import ALL_GOOD
from tests.factories import UserFactory, enrol_totp

B_SESSION = "Borealis calibration, private to B"
B_DECISION = "Borealis Support decided: escalate slurs"


def b_analyst(w):
    user = UserFactory(email="qa@borealis.example", role=Role.VENDOR_QA_ANALYST,
                       vendor=w.b.vendor)
    if not user.authenticator_set.exists():
        enrol_totp(user)
    return user


def b_session(w) -> CalibrationSession:
    existing = CalibrationSession.objects.filter(name=B_SESSION).first()
    if existing:
        return existing
    session = sessions.create_session(name=B_SESSION, form_version=w.version, by=w.manager,
                                      vendor=w.b.vendor)
    sessions.add_picked_items(session, by=w.manager,
                              external_ids=[t.external_id for t in w.b.tickets[:2]])
    analyst = b_analyst(w)
    for person in (w.auditor, analyst):
        sessions.invite(session, person, by=w.manager)
    sessions.open_session(session, by=w.manager)
    for item in session.items.all():
        for person in (w.auditor, analyst):
            sessions.score_item(item, person, ALL_GOOD)
        sessions.set_gold(item, by=w.manager, answers={"tone": ("5", B_DECISION)})
    sessions.save_note(session, "tone", B_DECISION, by=w.manager)
    return sessions.close_session(session, by=w.manager)


def session(w) -> list[dict]:
    return [{"pk": b_session(w).pk}]


def items(w) -> list[dict]:
    s = b_session(w)
    return [{"pk": s.pk, "item_pk": item.pk} for item in s.items.all()]


def question(w) -> list[dict]:
    return [{"pk": b_session(w).pk, "key": "tone", "?query": {"note": "A was here"}}]


def steps(w) -> list[dict]:
    pk = b_session(w).pk
    return [{"pk": pk, "step": step} for step in ("open", "close", "invite", "items", "remove")]


def list_queries(w) -> list[dict]:
    b_session(w)
    return [{}, {"?query": {"vendor": w.b.vendor.pk}}]
