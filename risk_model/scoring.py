"""Scoring the ticket population with a version of the built-in risk model.

Tickets are read in keyset pages of ``CHUNK`` by id (``id > last ORDER BY id LIMIT CHUNK``), so
memory stays that of one page however large the population; each page's scores are written in
one statement (``tickets.ai_scores.write_ai_scores``). A ticket the version learned from gets
its out-of-fold score, never the final model's in-sample one; every other ticket the average
of the version's K fold models (cross-prediction), so all scores come from the same models.
A score from an outside model (``ai_model`` not starting with ``BUILT_IN_PREFIX``) is kept
unless ``overwrite_outside``.
Docs: docs/risk-model.md#scoring-the-population.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q

from tickets.ai_scores import write_ai_scores
from tickets.models import Ticket

from . import learning
from .models import BUILT_IN_PREFIX, OutOfFoldScore, RiskModel

CHUNK = 5_000


@dataclass(frozen=True)
class ScoringResult:
    """How many tickets got the version's score (``out_of_fold`` of them audited ones it
    learned from) and how many kept an outside model's score."""

    model: str
    scored: int
    out_of_fold: int
    kept_outside: int


def scorable(overwrite_outside: bool) -> Q:
    """The tickets a scoring may write: unscored ones and the built-in model's own, and every
    ticket when a manager asks to replace outside models' scores too."""
    if overwrite_outside:
        return Q()
    return Q(ai_model="") | Q(ai_model__startswith=BUILT_IN_PREFIX)


def current_model() -> RiskModel | None:
    return RiskModel.objects.order_by("-version").first()


def score_tickets(
    model: RiskModel,
    *,
    overwrite_outside: bool = False,
    chunk: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> ScoringResult:
    """Write ``model``'s score to every scorable ticket, page by page; safe to run twice (the
    second run writes the same scores)."""
    bundle = learning.RiskBundle.loads(model.estimator)
    allowed = Ticket.objects.filter(scorable(overwrite_outside))
    scored = out_of_fold = 0
    last = 0
    while True:
        rows = list(
            allowed.filter(pk__gt=last).order_by("pk").values(*learning.TICKET_FIELDS)[:chunk]
        )
        if not rows:
            break
        ids = [row["id"] for row in rows]
        scores = bundle.cross_predict(learning.ticket_frame(rows))
        crossed = dict(
            OutOfFoldScore.objects.filter(model=model, ticket_id__in=ids).values_list(
                "ticket_id", "score"
            )
        )
        if crossed:
            position = {ticket_id: i for i, ticket_id in enumerate(ids)}
            for ticket_id, score in crossed.items():
                scores[position[ticket_id]] = score
        write_ai_scores(ids, scores.tolist(), model.name)
        scored += len(ids)
        out_of_fold += len(crossed)
        last = ids[-1]
        if progress:
            progress(scored)
    kept = 0 if overwrite_outside else Ticket.objects.exclude(scorable(False)).count()
    return ScoringResult(model.name, scored, out_of_fold, kept)
