"""The planner's risk-weighted trade: what drawing by AI score would buy (errors found per 100
audits) and cost (interval width) against equal probability, for the population on the page.

The population's scores are read as a histogram (per stratum, scores rounded to 0.01, and the
unscored), one grouped query whatever the number of tickets; the arithmetic is the pure
``sampling._risk.risk_trade``. Docs: docs/statistics.md#risk-weighted-samples-ht_proportion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, F
from django.db.models.functions import Round

from accounts.scoping import visible_to

from ._risk import RiskTrade, risk_trade
from .models import STRATUM_FIELDS, SamplingPlan
from .planning import SamplePlan
from .population import Window, filtered_tickets

# The planner has no floor field: it shows the trade at a new plan's default floor.
PLANNER_FLOOR = float(SamplingPlan._meta.get_field("risk_floor").default)
SCORE_STEP = 2  # decimals the histogram keeps


@dataclass(frozen=True)
class PlannerTrade:
    """The trade for the plan's proportional split, and how many tickets carry a score."""

    trade: RiskTrade
    scored: int
    population: int

    @property
    def scored_share(self) -> float:
        return self.scored / self.population if self.population else 0.0


def population_scores(
    user, population_filter: Mapping, strata_keys: list[str], window: Window | None
) -> dict[str, np.ndarray]:
    """Per stratum token ("vendor=3|workflow=12", "all"), the AI scores of the tickets ``user``
    may see that match the filter, rounded to 0.01 (nan: no score): one grouped query."""
    columns = [STRATUM_FIELDS[key] for key in strata_keys]
    tickets = visible_to(user, filtered_tickets(**population_filter, window=window))
    rows = (
        tickets.order_by()
        .annotate(score_bin=Round(F("ai_score"), SCORE_STEP))
        .values(*columns, "score_bin")
        .annotate(tickets=Count("pk"))
    )
    found: dict[str, tuple[list, list]] = {}
    for row in rows:
        token = "|".join(f"{key}={row[STRATUM_FIELDS[key]]}" for key in strata_keys) or "all"
        scores, counts = found.setdefault(token, ([], []))
        scores.append(np.nan if row["score_bin"] is None else float(row["score_bin"]))
        counts.append(row["tickets"])
    return {
        token: np.repeat(np.array(scores, dtype=float), counts)
        for token, (scores, counts) in found.items()
    }


def planner_trade(
    plan: SamplePlan | None, scores: dict[str, np.ndarray], floor: float = PLANNER_FLOOR
) -> PlannerTrade | None:
    """The trade of the plan's proportional split over ``scores`` (``population_scores``), or
    None when no ticket of the population has a score or there is nothing to allocate."""
    if plan is None or not plan.allocations:
        return None
    split = next(a for a in plan.allocations if a.method == "proportional")
    strata = {
        s.key: (s.sample, scores[s.key])
        for s in split.strata
        if s.sample and s.key in scores and len(scores[s.key])
    }
    scored = int(sum(np.count_nonzero(~np.isnan(v)) for v in scores.values()))
    if not strata or not scored:
        return None
    return PlannerTrade(
        trade=risk_trade(strata, floor, plan.confidence),
        scored=scored,
        population=int(sum(len(v) for v in scores.values())),
    )
