"""What a user may see of calibration: which sessions, whose answers, and the results.

Sessions come through ``accounts.scoping.visible_to`` (vendor users: their own vendor's
sessions only) and, for vendor users, only those they are invited to; anything else is a 404.
Blindness: until a session closes, a participant sees only their own answers and nobody
sees the gold answers but the leads, who see who has finished how many items, not what
anyone answered. Once closed, everyone who may see the session sees every answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from accounts.scoping import visible_to
from audit_forms.catalog import spec_of

from . import results as numbers
from .models import (
    CalibrationItem,
    CalibrationSession,
    GoldAnswer,
    Participant,
    QuestionNote,
    Rating,
    ScoredItem,
)
from .sessions import is_lead

GOLD = "gold"


def sessions_visible_to(user) -> QuerySet[CalibrationSession]:
    """Internal staff: every session. Vendor users: their vendor's sessions they are invited
    to. Anyone else: none."""
    sessions = visible_to(user, CalibrationSession.objects.all())
    if not getattr(user, "is_internal", False):
        sessions = sessions.filter(participants__user=user)
    return sessions.select_related("form_version__form", "vendor", "created_by")


def session_for(user, pk: int) -> CalibrationSession:
    return get_object_or_404(sessions_visible_to(user), pk=pk)


def item_for(user, session: CalibrationSession, item_pk: int) -> CalibrationItem:
    items = visible_to(user, CalibrationItem.objects.filter(session=session))
    return get_object_or_404(
        items.select_related("ticket__vendor", "ticket__site", "ticket__agent",
                             "ticket__workflow"), pk=item_pk)


def sees_all_answers(session: CalibrationSession, user) -> bool:
    return session.is_closed


def sees_gold(session: CalibrationSession, user) -> bool:
    return session.is_closed or is_lead(user)


def sees_results(session: CalibrationSession, user) -> bool:
    """Agreement numbers: for everyone once closed; for leads (progress) while open."""
    return session.is_closed or is_lead(user)


def ratings_visible_to(user, session: CalibrationSession) -> QuerySet[Rating]:
    """Every rating once the session is closed; before, only the user's own."""
    ratings = visible_to(user, Rating.objects.filter(item__session=session))
    if not sees_all_answers(session, user):
        ratings = ratings.filter(rater=user)
    return ratings.select_related("item__ticket", "rater").order_by(
        "item__position", "item_id", "rater__email", "question_key")


def gold_visible_to(user, session: CalibrationSession) -> QuerySet[GoldAnswer]:
    gold = visible_to(user, GoldAnswer.objects.filter(item__session=session))
    if not sees_gold(session, user):
        return gold.none()
    return gold.select_related("item__ticket").order_by("item__position", "item_id",
                                                        "question_key")


@dataclass(frozen=True)
class Progress:
    participant: Participant
    scored: int
    items: int

    @property
    def finished(self) -> bool:
        return self.scored >= self.items


def progress(session: CalibrationSession) -> list[Progress]:
    """Who has scored how many of the items (counts only: no answers)."""
    items = session.items.count()
    scored = dict(ScoredItem.objects.filter(item__session=session).values("rater")
                  .annotate(n=Count("id")).values_list("rater", "n"))
    return [Progress(p, scored.get(p.user_id, 0), items)
            for p in session.participants.select_related("user")]


def scored_item_ids(session: CalibrationSession, user) -> set[int]:
    return set(ScoredItem.objects.filter(item__session=session, rater=user)
               .values_list("item_id", flat=True))


def form_questions(session: CalibrationSession) -> list[tuple[str, str]]:
    """(key, kind) of the session's form version, in form order."""
    return [(q.key, q.kind) for q in spec_of(session.form_version_id).questions()]


def session_results(session: CalibrationSession) -> numbers.SessionResults:
    """The session's agreement and accuracy, from every participant's ratings (call it for
    a closed session, or for a lead's preview: the numbers carry no one's answers)."""
    ratings = {(item, rater, key): answer for item, rater, key, answer in
               Rating.objects.filter(item__session=session)
               .values_list("item_id", "rater_id", "question_key", "answer")}
    gold = {(item, key): answer for item, key, answer in
            GoldAnswer.objects.filter(item__session=session)
            .values_list("item_id", "question_key", "answer")}
    raters = list(session.participants.order_by("user__email").values_list("user_id", flat=True))
    return numbers.session_results(form_questions(session), ratings, gold, raters)


@dataclass(frozen=True)
class GridRow:
    """One participant's answers per question, item by item (None: not answered), with
    whether each matched the gold answer (None: no gold)."""

    email: str
    cells: list[list[tuple[str | None, bool | None]]]
    accuracy: numbers.Accuracy | None


def answer_grid(session: CalibrationSession, result: numbers.SessionResults
                ) -> tuple[list[CalibrationItem], list[GridRow]]:
    """Participants x questions: who answered what on each item (closed sessions)."""
    items = list(session.items.select_related("ticket"))
    keys = [key for key, _ in form_questions(session)]
    answers = {(i, r, k): a for i, r, k, a in Rating.objects.filter(item__session=session)
               .values_list("item_id", "rater_id", "question_key", "answer")}
    gold = {(i, k): a for i, k, a in GoldAnswer.objects.filter(item__session=session)
            .values_list("item_id", "question_key", "answer")}
    accuracy = {a.rater: a for a in result.accuracy}
    rows = []
    for participant in session.participants.select_related("user").order_by("user__email"):
        cells = []
        for key in keys:
            cell = []
            for item in items:
                answer = answers.get((item.pk, participant.user_id, key))
                expected = gold.get((item.pk, key))
                cell.append((answer, None if expected is None or answer is None
                             else answer == expected))
            cells.append(cell)
        rows.append(GridRow(participant.user.email, cells, accuracy.get(participant.user_id)))
    return items, rows


def notes_by_key(session: CalibrationSession) -> dict[str, QuestionNote]:
    return {n.question_key: n for n in session.notes.select_related("guidance_version__form")}
