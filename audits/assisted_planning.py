"""The planner's AI-assisted panel: how well an outside model's scores (``Ticket.ai_score``)
foretold the finalised audits of a population, and what that is worth in audits and auditor
hours. It lives with the audits it reads (sampling, below, knows none); the arithmetic is
``sampling.stats`` (``score_correlation``, ``assisted_sample_size``).
Docs: docs/statistics.md#planning-with-a-models-scores.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Case, Count, F, FloatField, Q, Sum, Value, When
from django.utils import timezone

from accounts.scoping import visible_to
from sampling import stats
from sampling.population import filtered_tickets

from .models import VENDOR_WORK, Audit, AuditStatus

# Below this many scored, finalised audits ρ is too noisy to plan with (its standard error is
# about (1 − ρ²)/√n: ± 0.15 at 30 audits for ρ = 0.4); the panel says so instead.
MIN_SCORED_AUDITS = 30
# The model is measured on the audits finalised in this many days before now, so an old model's
# record does not speak for today's tickets and the query stays bounded at scale.
HISTORY_DAYS = 180


@dataclass(frozen=True)
class ModelQuality:
    """The most used model on a population's scored, finalised audits: its name, ``audits``
    (n), ``rho`` (ρ between failure 0/1 and the score; None when undefined), the mean time on
    task of those audits with a time recorded (None when none has), and how many other models
    scored some of them."""

    model: str
    audits: int
    rho: float | None
    seconds_per_audit: float | None
    other_models: int = 0

    @property
    def enough(self) -> bool:
        return self.audits >= MIN_SCORED_AUDITS and self.rho is not None


@dataclass(frozen=True)
class AssistedPlan:
    """What the planner shows: ``n`` audits alone, ``assisted`` with the model's scores (M), and
    the auditor hours the difference saves per run (None without a measured time)."""

    quality: ModelQuality
    n: int
    assisted: int

    @property
    def saved(self) -> int:
        return self.n - self.assisted

    @property
    def hours_saved(self) -> float | None:
        seconds = self.quality.seconds_per_audit
        return None if seconds is None else self.saved * seconds / 3600

    @property
    def minutes_per_audit(self) -> float | None:
        seconds = self.quality.seconds_per_audit
        return None if seconds is None else seconds / 60


def model_quality(user, population_filter: Mapping, *, now: dt.datetime | None = None
                  ) -> ModelQuality | None:
    """The most used model on the finalised audits (vendor work, ``HISTORY_DAYS`` back) of the
    tickets ``user`` may see that match the planner's filter (``filtered_tickets`` keywords; no
    window: the model's record is measured over its history, not the population's week). One
    grouped query of sums; None when no such audit has a score."""
    now = now or timezone.now()
    score = F("ticket__ai_score")
    failed = Q(passed=False)
    audits = visible_to(user, Audit.objects.filter(
        VENDOR_WORK,
        status=AuditStatus.FINAL,
        finalised_at__gte=now - dt.timedelta(days=HISTORY_DAYS),
        ticket__ai_score__isnull=False,
        ticket__in=filtered_tickets(**population_filter),
    ))
    rows = list(
        audits.order_by().values("ticket__ai_model").annotate(
            n=Count("pk"),
            y=Count("pk", filter=failed),
            f=Sum(score),
            f2=Sum(score * score),
            yf=Sum(Case(When(failed, then=score), default=Value(0.0), output_field=FloatField())),
            timed=Count("pk", filter=Q(time_spent_seconds__gt=0)),
            seconds=Sum("time_spent_seconds"),
        ).order_by("-n", "ticket__ai_model")
    )
    if not rows:
        return None
    top = rows[0]
    return ModelQuality(
        model=top["ticket__ai_model"],
        audits=top["n"],
        rho=stats.score_correlation(top["n"], top["y"], top["f"], top["f2"], top["yf"]),
        seconds_per_audit=top["seconds"] / top["timed"] if top["timed"] else None,
        other_models=len(rows) - 1,
    )


def assisted_plan(quality: ModelQuality | None, n: int | None) -> AssistedPlan | None:
    """The panel's numbers for ``n`` audits, or None when the model's record is too short."""
    if quality is None or not quality.enough or not n:
        return None
    return AssistedPlan(quality, n, stats.assisted_sample_size(n, quality.rho))
