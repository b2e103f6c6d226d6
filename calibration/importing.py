"""Importing an offline calibration exercise from CSV: every row or none.

Columns ``session,ticket,rater,question,answer``: the session (its name or id; it exists and
is not closed), the ticket's external id, the rater's email (or ``gold`` for the answer
key), the form question's key and the stored choice value (``yes``, ``fail``, ``4``, a
choice's value, ``na``). Every row is checked first, by the scorer's own rules; only when no
row is bad are the missing tickets added to their draft session, the raters invited and the
answers written, in one transaction. Importing a file twice changes nothing the second
time. Row numbers count the header as row 1, as the ticket import's do.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit_forms.catalog import spec_of
from audit_forms.scoring import InvalidAnswers
from tickets.import_report import RowError, RowErrors, shown
from tickets.models import Ticket

from . import sessions
from .models import (
    CalibrationItem,
    CalibrationSession,
    GoldAnswer,
    ItemSource,
    Participant,
    Rating,
    ScoredItem,
    SessionStatus,
)

COLUMNS = ("session", "ticket", "rater", "question", "answer")
GOLD = "gold"


@dataclass
class CalibrationImport(RowErrors):
    """What an import found and did; ``ok`` is False when any row was bad (nothing written)."""

    ratings: int = 0
    gold: int = 0
    items_added: int = 0
    invited: int = 0

    def done(self) -> str:
        return (f"{self.rows_read} row(s): {self.ratings} rating(s), {self.gold} gold "
                f"answer(s); {self.items_added} ticket(s) added, {self.invited} rater(s) "
                "invited.")


@dataclass(frozen=True)
class _Row:
    number: int
    session: CalibrationSession
    ticket: Ticket
    rater: User | None  # None: gold
    question: str
    answer: str


def import_calibration(stream: BinaryIO, *, file_name: str = "") -> CalibrationImport:
    report = CalibrationImport(file_name=file_name)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    try:
        rows = list(_checked_rows(csv.reader(text), report))
    finally:
        text.detach()
    if report.ok:
        _write(rows, report)
    return report


def import_calibration_from_path(path: str) -> CalibrationImport:
    with open(path, "rb") as stream:
        return import_calibration(stream, file_name=path)


class _Lookups:
    """Sessions, tickets and people by what the file names them, loaded once each."""

    def __init__(self):
        self.sessions: dict[str, CalibrationSession | None] = {}
        self.tickets: dict[str, list[Ticket]] = {}
        self.users: dict[str, User | None] = {}
        self.questions: dict[int, dict] = {}

    def session(self, value: str) -> CalibrationSession | None:
        if value not in self.sessions:
            found = CalibrationSession.objects.select_related("form_version", "vendor")
            by_id = found.filter(pk=int(value)) if value.isdigit() else found.none()
            self.sessions[value] = (by_id.first()
                                    or found.filter(name__iexact=value).first())
        return self.sessions[value]

    def ticket(self, value: str) -> list[Ticket]:
        if value not in self.tickets:
            self.tickets[value] = list(Ticket.objects.filter(external_id=value)[:2])
        return self.tickets[value]

    def user(self, email: str) -> User | None:
        key = email.lower()
        if key not in self.users:
            self.users[key] = User.objects.filter(email__iexact=email).first()
        return self.users[key]

    def form_questions(self, session: CalibrationSession) -> dict:
        if session.pk not in self.questions:
            self.questions[session.pk] = {
                q.key: q for q in spec_of(session.form_version_id).questions()}
        return self.questions[session.pk]


def _checked_rows(reader, report: CalibrationImport) -> Iterator[_Row]:
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        report.add_errors([RowError(1, ",".join(missing), "missing column(s); the file "
                                    f"needs {','.join(COLUMNS)}")])
        return
    at = {c: header.index(c) for c in COLUMNS}
    look = _Lookups()
    seen: dict[tuple, int] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        report.rows_read += 1
        values = {c: (cells[i].strip() if i < len(cells) else "") for c, i in at.items()}
        errors, row = _check(number, values, look, seen)
        if errors:
            report.add_errors(errors)
        elif row is not None:
            yield row


def _check(number, v, look: _Lookups, seen) -> tuple[list[RowError], _Row | None]:
    errors: list[RowError] = []

    def bad(column: str, problem: str) -> None:
        errors.append(RowError(number, column, problem))

    for column in COLUMNS:
        if not v[column]:
            bad(column, "a value is required")
    if errors:
        return errors, None
    session = look.session(v["session"])
    if session is None:
        bad("session", f"no calibration session {shown(v['session'])}")
    elif session.status == SessionStatus.CLOSED:
        bad("session", f"{shown(session.name)} is closed: its results are final")
    tickets = look.ticket(v["ticket"])
    if not tickets:
        bad("ticket", f"no ticket with id {shown(v['ticket'])}")
    elif len(tickets) > 1:
        bad("ticket", f"{shown(v['ticket'])} names tickets of several sources")
    rater = None
    if v["rater"].lower() != GOLD:
        rater = look.user(v["rater"])
        if rater is None:
            bad("rater", f"nobody has the email {shown(v['rater'])}")
    if session is None or errors:
        return errors, None
    ticket = tickets[0]
    if session.vendor_id is not None and ticket.vendor_id != session.vendor_id:
        bad("ticket", f"{shown(ticket.external_id)} is not {session.vendor}'s ticket")
    elif (session.status != SessionStatus.DRAFT
          and not session.items.filter(ticket=ticket).exists()):
        bad("ticket", f"{shown(ticket.external_id)} is not in {shown(session.name)}, which is "
                      "open: its tickets are fixed")
    if rater is not None:
        try:
            sessions.check_may_join(session, rater)
        except sessions.CalibrationError as error:
            bad("rater", str(error))
    try:
        sessions.check_answer(look.form_questions(session), v["question"], v["answer"])
    except InvalidAnswers as invalid:
        for key, problem in invalid.problems.items():
            bad("question" if problem == "not a question of this form" else "answer",
                f"{shown(key)}: {problem}")
    key = (session.pk, ticket.pk, rater.pk if rater else GOLD, v["question"])
    if key in seen:
        bad("question", f"{shown(v['question'])} of {shown(ticket.external_id)} by "
                        f"{shown(v['rater'])} is already answered in row {seen[key]}")
    seen.setdefault(key, number)
    if errors:
        return errors, None
    return [], _Row(number, session, ticket, rater, v["question"], v["answer"])


@transaction.atomic
def _write(rows: list[_Row], report: CalibrationImport) -> None:
    items: dict[tuple[int, int], CalibrationItem] = {}
    now = timezone.now()
    for row in rows:
        key = (row.session.pk, row.ticket.pk)
        if key not in items:
            item = CalibrationItem.objects.filter(session=row.session, ticket=row.ticket).first()
            if item is None:
                position = row.session.items.count() + 1
                item = CalibrationItem.objects.create(
                    session=row.session, ticket=row.ticket, source=ItemSource.IMPORTED,
                    position=position)
                report.items_added += 1
            items[key] = item
        item = items[key]
        if row.rater is None:
            GoldAnswer.objects.update_or_create(
                item=item, question_key=row.question,
                defaults={"answer": row.answer, "set_at": now})
            report.gold += 1
            continue
        _, invited = Participant.objects.get_or_create(session=row.session, user=row.rater)
        report.invited += invited
        Rating.objects.update_or_create(item=item, rater=row.rater, question_key=row.question,
                                        defaults={"answer": row.answer})
        ScoredItem.objects.get_or_create(item=item, rater=row.rater,
                                         defaults={"scored_at": now})
        report.ratings += 1
