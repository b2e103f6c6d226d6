"""Running a calibration session: its items and participants, blind scoring, the answer key,
closing, and the decisions that follow.

Each step checks who may take it and when, and raises ``CalibrationError`` (what is wrong,
for a message) or ``NotAllowed`` (who may not, a 403 or 404) so views, the API, the import
and the demo share one set of rules:

* QA leads (program managers and admins) create and run sessions, record gold answers and
  decisions; participants are internal staff, or vendor QA analysts of the session's vendor
  (a session they join holds only that vendor's tickets).
* Items and participants are set while the session is a draft (participants may still be
  invited once it is open); scoring needs it open; nothing changes once it is closed.
* Answers are checked by the scoring function's own rules (``audit_forms.scoring``), so a
  participant's sheet is valid exactly when an auditor's would be.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from audit_forms import catalog
from audit_forms.models import FormVersion
from audit_forms.scoring import InvalidAnswers, answer_credit, score_audit
from audits.dispute_models import CORRECTING_DECISIONS
from audits.models import Audit, AuditStatus, DisputedQuestion
from tickets.models import Ticket

from . import events
from .models import (
    CalibrationItem,
    CalibrationSession,
    GoldAnswer,
    ItemSource,
    Participant,
    QuestionNote,
    Rating,
    ScoredItem,
    SessionStatus,
)

# Recent finalised audits a random draw picks from (the newest first): enough to be random,
# bounded so a draw never loads a month of audits into memory.
RANDOM_POOL = 5000


class CalibrationError(ValueError):
    """A step that cannot be taken now or with these values; the message says why."""


class NotAllowed(PermissionDenied):
    """The user may not take this step in this session."""


def is_lead(user) -> bool:
    """QA leads run sessions: program managers and admins."""
    return bool(getattr(user, "is_authenticated", False) and user.is_manager)


def _require_lead(user) -> None:
    if not is_lead(user):
        raise NotAllowed("Only a QA lead can run a calibration session.")


def _require_status(session: CalibrationSession, *statuses: str, doing: str) -> None:
    if session.status not in statuses:
        raise CalibrationError(
            f"{session} is {session.get_status_display().lower()}: cannot {doing} now.")


# ----- the session, its items and participants ---------------------------------------------


@transaction.atomic
def create_session(*, name: str, form_version: FormVersion, by, vendor=None,
                   now: dt.datetime | None = None) -> CalibrationSession:
    """A draft session scoring with ``form_version`` (published or retired, never a draft:
    its questions must not change under the participants). ``now`` (and in the next steps)
    dates it otherwise than now: the demo's history of past sessions."""
    _require_lead(by)
    name = (name or "").strip()
    if not name:
        raise CalibrationError("name: a session needs a name")
    if CalibrationSession.objects.filter(name__iexact=name).exists():
        raise CalibrationError(f"name: a session named {name!r} already exists")
    if form_version.is_draft:
        raise CalibrationError(f"form version: {form_version} is a draft; publish it first")
    return CalibrationSession.objects.create(
        name=name, form_version=form_version, vendor=vendor, created_by=by,
        created_at=now or timezone.now())


def _add_tickets(session: CalibrationSession, tickets: Iterable[Ticket], source: str
                 ) -> list[CalibrationItem]:
    _require_status(session, SessionStatus.DRAFT, doing="change its items")
    tickets = list(tickets)
    if session.vendor_id is not None:
        foreign = [t.external_id for t in tickets if t.vendor_id != session.vendor_id]
        if foreign:
            raise CalibrationError(
                f"tickets: {', '.join(foreign[:5])} are not {session.vendor}'s; this session "
                f"holds {session.vendor}'s tickets only")
    present = set(session.items.values_list("ticket_id", flat=True))
    position = session.items.count()
    added = []
    for ticket in tickets:
        if ticket.pk in present:
            continue
        present.add(ticket.pk)
        position += 1
        added.append(CalibrationItem(session=session, ticket=ticket, source=source,
                                     position=position))
    return CalibrationItem.objects.bulk_create(added)


@transaction.atomic
def add_random_items(session: CalibrationSession, *, by, count: int, vendors: Iterable = (),
                     workflows: Iterable = (), days: int = 30, seed: int | None = None,
                     now: dt.datetime | None = None) -> list[CalibrationItem]:
    """``count`` tickets drawn at random from the audits finalised in the last ``days`` days
    (of ``vendors`` and ``workflows`` when given; the session's vendor when it has one)."""
    _require_lead(by)
    if count < 1:
        raise CalibrationError("count: draw at least one ticket")
    audits = Audit.objects.filter(
        status=AuditStatus.FINAL,
        finalised_at__gte=(now or timezone.now()) - dt.timedelta(days=days))
    vendors = list(vendors)
    if session.vendor_id is not None:
        vendors = [session.vendor_id]
    if vendors:
        audits = audits.filter(ticket__vendor__in=vendors)
    if workflows := list(workflows):
        audits = audits.filter(ticket__workflow__in=workflows)
    present = session.items.values_list("ticket_id", flat=True)
    pool = list(audits.exclude(ticket__in=present).order_by("-finalised_at", "-id")
                .values_list("ticket_id", flat=True)[:RANDOM_POOL])
    pool = sorted(set(pool))
    if not pool:
        raise CalibrationError(
            f"no finalised audit in the last {days} days matches: widen the vendors, "
            "workflows or days")
    chosen = random.Random(seed).sample(pool, min(count, len(pool)))
    return _add_tickets(session, Ticket.objects.filter(pk__in=chosen).order_by("pk"),
                        ItemSource.RANDOM)


def find_tickets(external_ids: Iterable[str]) -> list[Ticket]:
    """Tickets by external id, in the order given; every id unknown (or ambiguous: the same
    id from two sources) is named in one error."""
    wanted = list(dict.fromkeys(i.strip() for i in external_ids if i.strip()))
    if not wanted:
        raise CalibrationError("tickets: give at least one ticket id")
    found: dict[str, list[Ticket]] = {}
    for ticket in Ticket.objects.filter(external_id__in=wanted):
        found.setdefault(ticket.external_id, []).append(ticket)
    unknown = [i for i in wanted if i not in found]
    ambiguous = [i for i in wanted if len(found.get(i, [])) > 1]
    problems = []
    if unknown:
        problems.append(f"no ticket with id {', '.join(unknown[:10])}")
    if ambiguous:
        problems.append(f"{', '.join(ambiguous[:10])} name tickets of several sources")
    if problems:
        raise CalibrationError("tickets: " + "; ".join(problems))
    return [found[i][0] for i in wanted]


@transaction.atomic
def add_picked_items(session: CalibrationSession, *, by, external_ids: Iterable[str]
                     ) -> list[CalibrationItem]:
    """The tickets with these external ids, in that order."""
    _require_lead(by)
    return _add_tickets(session, find_tickets(external_ids), ItemSource.PICKED)


@transaction.atomic
def add_overturned_dispute_items(session: CalibrationSession, *, by, count: int,
                                 vendors: Iterable = ()) -> list[CalibrationItem]:
    """The tickets of the ``count`` most recently decided disputes in which a lead overturned
    the auditor on at least one question: the cases the program got wrong before."""
    _require_lead(by)
    decided = DisputedQuestion.objects.filter(decision__in=CORRECTING_DECISIONS)
    vendors = [session.vendor_id] if session.vendor_id is not None else list(vendors)
    if vendors:
        decided = decided.filter(dispute__audit__ticket__vendor__in=vendors)
    present = set(session.items.values_list("ticket_id", flat=True))
    ticket_ids: list[int] = []
    for ticket_id in (decided.order_by("-dispute__resolved_at", "-id")
                      .values_list("dispute__audit__ticket_id", flat=True)):
        if ticket_id not in present and ticket_id not in ticket_ids:
            ticket_ids.append(ticket_id)
        if len(ticket_ids) >= count:
            break
    if not ticket_ids:
        raise CalibrationError("no overturned dispute matches")
    tickets = Ticket.objects.in_bulk(ticket_ids)
    return _add_tickets(session, [tickets[i] for i in ticket_ids], ItemSource.DISPUTES)


@transaction.atomic
def remove_item(session: CalibrationSession, item: CalibrationItem, *, by) -> None:
    _require_lead(by)
    _require_status(session, SessionStatus.DRAFT, doing="change its items")
    item.delete()


def check_may_join(session: CalibrationSession, user) -> None:
    """Internal staff may join any session; a vendor QA analyst only one holding their own
    vendor's tickets (the session's vendor); vendor POCs never."""
    if not user.is_active:
        raise CalibrationError(f"{user} is deactivated")
    if user.is_internal:
        return
    if user.role != Role.VENDOR_QA_ANALYST:
        raise CalibrationError(f"{user} is a {user.get_role_display()}: only QA staff and "
                               "vendor QA analysts take part in calibration")
    if session.vendor_id is None or user.vendor_id != session.vendor_id:
        raise CalibrationError(
            f"{user} is a QA analyst of {user.vendor}: they can join only a session of "
            f"{user.vendor}'s tickets (set the session's vendor)")


@transaction.atomic
def invite(session: CalibrationSession, user, *, by) -> Participant:
    _require_lead(by)
    _require_status(session, SessionStatus.DRAFT, SessionStatus.OPEN, doing="invite people")
    check_may_join(session, user)
    participant, _ = Participant.objects.get_or_create(
        session=session, user=user, defaults={"invited_by": by})
    return participant


@transaction.atomic
def open_session(session: CalibrationSession, *, by, now: dt.datetime | None = None
                 ) -> CalibrationSession:
    """draft -> open: participants may score."""
    _require_lead(by)
    session = CalibrationSession.objects.select_for_update().get(pk=session.pk)
    _require_status(session, SessionStatus.DRAFT, doing="open it")
    if not session.items.exists():
        raise CalibrationError("add at least one ticket before opening the session")
    if session.participants.count() < 2:
        raise CalibrationError("invite at least two participants: agreement needs two raters")
    session.status, session.opened_at = SessionStatus.OPEN, now or timezone.now()
    session.save(update_fields=["status", "opened_at"])
    return session


@transaction.atomic
def close_session(session: CalibrationSession, *, by, now: dt.datetime | None = None
                  ) -> CalibrationSession:
    """open -> closed: scoring ends and everyone may see every answer and the results."""
    _require_lead(by)
    session = CalibrationSession.objects.select_for_update().get(pk=session.pk)
    _require_status(session, SessionStatus.OPEN, doing="close it")
    session.status, session.closed_at, session.closed_by = (
        SessionStatus.CLOSED, now or timezone.now(), by)
    session.save(update_fields=["status", "closed_at", "closed_by"])
    events.session_closed.send(sender=CalibrationSession, session=session)
    return session


# ----- scoring and the answer key -----------------------------------------------------------


def _current(item: CalibrationItem) -> CalibrationSession:
    """The item's session as stored now (a copy loaded earlier may predate its opening or
    closing), locked against a concurrent close."""
    return (CalibrationSession.objects.select_for_update().select_related("form_version")
            .get(pk=item.session_id))


def is_participant(session: CalibrationSession, user) -> bool:
    return session.participants.filter(user_id=getattr(user, "pk", None)).exists()


@transaction.atomic
def score_item(item: CalibrationItem, user, answers: Mapping[str, str]) -> list[Rating]:
    """Record ``user``'s answers to ``item`` (replacing earlier ones while the session is
    open). Raises ``InvalidAnswers`` naming each question, by the auditors' own rules."""
    session = _current(item)
    if not is_participant(session, user):
        raise NotAllowed("Only the session's participants score its items.")
    _require_status(session, SessionStatus.OPEN, doing="score")
    answers = {key: value for key, value in answers.items() if value}
    score_audit(catalog.spec_of(session.form_version_id), answers)  # raises InvalidAnswers
    Rating.objects.filter(item=item, rater=user).delete()
    ratings = Rating.objects.bulk_create(
        Rating(item=item, rater=user, question_key=key, answer=value)
        for key, value in answers.items())
    ScoredItem.objects.update_or_create(item=item, rater=user,
                                        defaults={"scored_at": timezone.now()})
    return ratings


def _questions(version: FormVersion) -> dict:
    return {q.key: q for q in catalog.spec_of(version.pk).questions()}


def check_answer(questions: dict, key: str, answer: str) -> None:
    """Raise InvalidAnswers unless ``answer`` is a stored value of question ``key``."""
    if key not in questions:
        raise InvalidAnswers({key: "not a question of this form"})
    answer_credit(questions[key], answer)


@transaction.atomic
def set_gold(item: CalibrationItem, *, by, answers: Mapping[str, tuple[str, str]]
             ) -> list[GoldAnswer]:
    """The answer key of ``item``: question key -> (answer, rationale); an empty answer
    clears that question's key. Before or after scoring, until the session closes."""
    _require_lead(by)
    session = _current(item)
    _require_status(session, SessionStatus.DRAFT, SessionStatus.OPEN, doing="change the gold")
    questions = _questions(session.form_version)
    problems = {}
    for key, (answer, _rationale) in answers.items():
        if answer:
            try:
                check_answer(questions, key, answer)
            except InvalidAnswers as invalid:
                problems.update(invalid.problems)
    if problems:
        raise InvalidAnswers(problems)
    kept = []
    for key, (answer, rationale) in answers.items():
        if not answer:
            GoldAnswer.objects.filter(item=item, question_key=key).delete()
            continue
        gold, _ = GoldAnswer.objects.update_or_create(
            item=item, question_key=key,
            defaults={"answer": answer, "rationale": (rationale or "").strip(), "set_by": by,
                      "set_at": timezone.now()})
        kept.append(gold)
    return kept


# ----- decisions ----------------------------------------------------------------------------


@transaction.atomic
def save_note(session: CalibrationSession, key: str, note: str, *, by) -> QuestionNote:
    """The session's decision about question ``key``."""
    _require_lead(by)
    if key not in _questions(session.form_version):
        raise CalibrationError(f"{key!r} is not a question of {session.form_version}")
    saved, _ = QuestionNote.objects.update_or_create(
        session=session, question_key=key,
        defaults={"note": note.strip(), "updated_by": by, "updated_at": timezone.now()})
    return saved


@transaction.atomic
def turn_into_guidance(session: CalibrationSession, key: str, guidance: str, *, by
                       ) -> FormVersion:
    """Write ``guidance`` into question ``key`` of the form's draft (started from the
    published version if there is none) and say in its changelog which session it came from.
    The draft is published from the form builder like any other change."""
    _require_lead(by)
    guidance = (guidance or "").strip()
    if not guidance:
        raise CalibrationError("guidance: write the guidance text")
    draft = catalog.start_draft(session.form_version.form, by=by)
    question = draft.questions.filter(key=key).select_related("section__version").first()
    if question is None:
        raise CalibrationError(f"the draft {draft} has no question {key!r} any more")
    catalog.update_question(question, guidance=guidance)
    line = f"Guidance for “{key}” from calibration session “{session.name}” (#{session.pk})."
    catalog.update_version_settings(
        draft, pass_mark=draft.pass_mark, critical_zeroes_score=draft.critical_zeroes_score,
        changelog="\n".join(filter(None, [draft.changelog, line])))
    note, _ = QuestionNote.objects.get_or_create(
        session=session, question_key=key, defaults={"updated_by": by})
    note.guidance_version = draft
    note.updated_by, note.updated_at = by, timezone.now()
    note.save(update_fields=["guidance_version", "updated_by", "updated_at"])
    return draft
