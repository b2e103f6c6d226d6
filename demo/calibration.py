"""The demo's calibration sessions: two closed (one internal, one with a vendor's QA analyst)
and one still open, so every calibration page shows data on first login; and eight earlier
internal sessions, three weeks apart, so the reliability page has a trend and one auditor
drifts: auditor2 slips on 3 % of answers until 90 days ago and on 22 % since, a fall the
overview's red flags report (``calibration.track_record``). The earlier sessions re-use
tickets of the 8-week ticket history, as the demo keeps no older tickets.

Items are tickets of finalised demo audits scored with the most used published form; each
participant's answers are the audit's answers with a few changed at a rate of their own
(seeded, so a re-seed gives the same sessions), and the gold answers are the audit's. Every
step goes through ``calibration.sessions``. Seeding is skipped when the sessions exist.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Role, User
from audit_forms.catalog import spec_of
from audit_forms.models import FormVersion
from audit_forms.scoring import SCALE_VALUES, Question
from audits.models import Audit, AuditStatus
from calibration import sessions
from calibration.models import CalibrationSession
from calibration.reliability import DRIFT_WINDOW_DAYS
from demo.vendors import VENDORS

CLOSED_INTERNAL = "Week 44: internal calibration"
CLOSED_VENDOR = "Week 45: calibration with {vendor}'s QA"
RUNNING = "Week 46: calibration (scoring)"
# How often each participant departs from the audit's answer, per question.
SLIPS = {"auditor1@demo.qa": 0.05, "auditor2@demo.qa": 0.12, "auditor3@demo.qa": 0.25}
ANALYST_SLIP = 0.18
SEED = 13
HISTORY = "Round {n}: internal calibration"
HISTORY_ROUNDS, HISTORY_EVERY_DAYS = 8, 21
# The auditor whose accuracy falls: their slip before and within the latest drift window.
DRIFTING, DRIFT_SLIPS = "auditor2@demo.qa", (0.03, 0.22)


def analyst_email() -> str:
    return f"qa@{VENDORS[0].slug}.demo.qa"


def seed() -> dict[str, tuple[int, int]]:
    before = CalibrationSession.objects.count()
    manager = User.objects.filter(email="manager@demo.qa").first()
    version = _busiest_version()
    if manager is None or version is None or CalibrationSession.objects.filter(
            name=CLOSED_INTERNAL).exists():
        return {"calibration sessions": (0, before)}
    auditors = list(User.objects.filter(email__in=SLIPS).order_by("email"))
    analyst = User.objects.get(email=analyst_email(), role=Role.VENDOR_QA_ANALYST)
    rng = random.Random(SEED)
    audits = list(Audit.objects.filter(form_version=version, status=AuditStatus.FINAL)
                  .select_related("ticket__vendor").order_by("pk")[:2000])
    used: set[int] = set()

    def pick(count, vendor=None):
        pool = [a for a in audits if a.ticket_id not in used
                and (vendor is None or a.ticket.vendor_id == vendor.pk)]
        chosen = rng.sample(pool, min(count, len(pool)))
        used.update(a.ticket_id for a in chosen)
        return chosen

    spec = {q.key: q for q in spec_of(version.pk).questions()}
    now = timezone.now()
    for n in range(1, HISTORY_ROUNDS + 1):
        when = now - dt.timedelta(days=HISTORY_EVERY_DAYS * (HISTORY_ROUNDS + 1 - n))
        _run(HISTORY.format(n=n), version, manager, None, pick(10), auditors, spec, rng,
             close=True, when=when, recent=now - when < dt.timedelta(days=DRIFT_WINDOW_DAYS))
    _run(CLOSED_INTERNAL, version, manager, None, pick(10), auditors, spec, rng, close=True)
    vendor = analyst.vendor
    _run(CLOSED_VENDOR.format(vendor=vendor.name), version, manager, vendor,
         pick(8, vendor), auditors[:2] + [analyst], spec, rng, close=True)
    _run(RUNNING, version, manager, None, pick(6), auditors, spec, rng, close=False)
    total = CalibrationSession.objects.count()
    return {"calibration sessions": (total - before, total)}


def _busiest_version() -> FormVersion | None:
    return (FormVersion.objects.published()
            .annotate(n=Count("audits", filter=Q(audits__status=AuditStatus.FINAL)))
            .order_by("-n", "pk").first())


def _run(name, version, manager, vendor, audits, people, spec, rng, *, close: bool,
         when: dt.datetime | None = None, recent: bool = True) -> None:
    """One session through its steps; ``when`` dates a past one (created two days, opened a
    day before it closes); ``recent``: within the latest drift window."""
    if not audits:
        return
    session = sessions.create_session(
        name=name, form_version=version, by=manager, vendor=vendor,
        now=when and when - dt.timedelta(days=2))
    sessions.add_picked_items(session, by=manager,
                              external_ids=[a.ticket.external_id for a in audits])
    for person in people:
        sessions.invite(session, person, by=manager)
    session = sessions.open_session(session, by=manager,
                                    now=when and when - dt.timedelta(days=1))
    by_ticket = {a.ticket_id: a for a in audits}
    items = list(session.items.all())
    for index, item in enumerate(items):
        truth = {k: v for k, v in (by_ticket[item.ticket_id].answers or {}).items() if v}
        for n, person in enumerate(people):
            if not close and n > 0 and index >= len(items) // (n + 1):
                continue  # the running session: some have scored more than others
            slip = (DRIFT_SLIPS[1 if recent else 0] if person.email == DRIFTING
                    else SLIPS.get(person.email, ANALYST_SLIP))
            sessions.score_item(item, person, {
                key: _slip(spec[key], answer, slip, rng) if key in spec else answer
                for key, answer in truth.items()})
        sessions.set_gold(item, by=manager, answers={
            key: (answer, "The audit's answer, confirmed by the lead.")
            for key, answer in truth.items() if key in spec})
    if close:
        sessions.save_note(session, next(iter(spec)),
                           "Agreed: re-read the policy's examples before answering.", by=manager)
        sessions.close_session(session, by=manager, now=when)


def _slip(question: Question, answer: str, rate: float, rng: random.Random) -> str:
    """``answer``, or with probability ``rate`` a neighbouring valid answer."""
    if rng.random() >= rate or answer == "na":
        return answer
    if question.kind == "scale":
        value = int(answer) + rng.choice((-1, 1))
        return SCALE_VALUES[min(max(value, 1), 5) - 1]
    options = {"yes_no": ["yes", "no"], "pass_fail": ["pass", "fail"]}.get(
        question.kind, [c.value for c in question.choices])
    others = [o for o in options if o != answer]
    return rng.choice(others) if others else answer
