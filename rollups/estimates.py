"""Domain estimates read from the rollups: the numbers every scorecard page shows. A page names a
scope, a period and optionally a breakdown; each group is a domain estimated by
``stats.DomainSums`` that the database totals (``rollups.domain_sums``) or the week rows add up
(``rollups.week_sums``). Derivation: docs/statistics.md#domain-estimates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass, field, replace

import numpy as np
from django.db import models
from django.db.models import F, QuerySet

from audits.models import Audit
from sampling import stats

from . import cells, week_sums
from .domain_sums import (
    CELL_SUMS,
    COLUMN_SUMS,
    DIMENSIONS,
    SHARED_SUMS,
    Scope,
    category_slugs,
    domain_sum_rows,
    totalled_per_domain,
)
from .models import AuditCell, PendingRefresh, SiteCell, StratumTotal, VendorCell

# Below this many audits in a domain no rate is shown: the page says "too few audits".
MIN_AUDITS = 10
CONFIDENCE = 0.95
# Contract metric → how it is read from the counts (see DomainOutcome.metric).
METRICS = ("accuracy", "critical_error_rate", "policy_accuracy")
# Policy decision accuracy: the share of audits without an error of this category.
POLICY_CATEGORY = "policy-error"


@dataclass(frozen=True)
class DomainOutcome:
    """One domain's audits and estimates; rates are None below MIN_AUDITS. ``categories`` maps a
    slug to the share of tickets with an error of it (only when asked for)."""

    key: Hashable
    audits: int
    strata: int
    accuracy: stats.Estimate | None = None
    critical_rate: stats.Estimate | None = None
    categories: dict[str, stats.Estimate] = field(default_factory=dict)
    average_score: float | None = None

    @property
    def enough(self) -> bool:
        return self.audits >= MIN_AUDITS

    def metric(self, name: str) -> stats.Estimate | None:
        """A contract metric's estimate (ContractTarget.Metric values)."""
        if name == "accuracy":
            return self.accuracy
        if name == "critical_error_rate":
            return self.critical_rate
        if name == "policy_accuracy":
            errors = self.categories.get(POLICY_CATEGORY)
            return complement(errors) if errors else None
        raise ValueError(f"unknown metric {name!r}")


def complement(estimate: stats.Estimate) -> stats.Estimate:
    """The estimate of 1 - p (same standard error, interval mirrored)."""
    return replace(estimate, p=1 - estimate.p, low=1 - estimate.high, high=1 - estimate.low)


def cells_for(scope: Scope, dimensions: tuple[str, ...]) -> type[models.Model]:
    """The coarsest cell table that still tells the page's domains apart."""
    def names(level: str) -> bool:
        return getattr(scope, level) is not None or level in dimensions

    if names("agent"):
        return AuditCell
    return SiteCell if names("site") else VendorCell


def domain_outcomes(
    scope: Scope,
    by: str | tuple[str, ...] | None = None,
    *,
    categories: bool = False,
    confidence: float = CONFIDENCE,
) -> dict[Hashable, DomainOutcome]:
    """The scope's estimates as one domain (key None) or per value of ``by`` (DIMENSIONS keys: ids,
    or Mondays for "week"; a tuple gives tuple keys), with every category's rate if asked."""
    dimensions = (by,) if isinstance(by, str) else tuple(by or ())
    if unknown := [name for name in dimensions if name not in DIMENSIONS]:
        raise ValueError(f"by must name {', '.join(DIMENSIONS)}, got {unknown}")
    slugs = category_slugs() if categories else []
    rows = week_sums.summed_rows(scope, dimensions, slugs)
    if rows is None:  # not a vendor's or the program's weeks: total the cells now
        rows = domain_sum_rows(cells_for(scope, dimensions), scope.cells(), dimensions, slugs,
                               weeks=(scope.period.first, scope.period.last))
    if not rows:
        return {}
    if not dimensions:
        keys = [None] * len(rows)
    elif isinstance(by, str):
        keys = [_key(row[0]) for row in rows]
    else:
        keys = [tuple(_key(value) for value in row[:len(dimensions)]) for row in rows]
    table = (np.array([row[len(dimensions):] for row in rows], dtype=float)
             .reshape(len(rows), -1))
    return _outcomes(keys, table, slugs, confidence)


def audit_domain_outcomes(
    audits: QuerySet[Audit], by: str, weeks: tuple[dt.date, dt.date],
    confidence: float = CONFIDENCE,
) -> dict[Hashable, DomainOutcome]:
    """Estimates per value of ``by``, an attribute the cells do not key (the ticket's
    ``ticket__automated``, say), over the scorecards' audits among ``audits`` (of tickets
    handled in ``weeks``, first and last Monday): the same sums as ``domain_outcomes``
    totalled straight from the audits, so a risk-weighted stratum's audits weigh 1/π as on the
    scorecards. Only audits the cells already count (none waiting for the rollups' flush,
    whose N_h and n_h would not hold them yet), of strata with cells in those weeks (found
    through ``StratumTotal``'s index, not by reading every audit of the tickets). One query."""
    first, last = weeks
    strata = StratumTotal.objects.filter(first_week__lte=last, last_week__gte=first)
    sums = cells.counted_sums()
    counts = (audits.filter(cells.COMPLETED,
                            sampled_ticket__stratum_id__in=strata.values("stratum_id"))
              .exclude(pk__in=PendingRefresh.objects.values("audit_id")).order_by()
              .annotate(domain=F(by), stratum_id=cells.KEYS["stratum_id"])
              .values("domain", "stratum_id")
              .annotate(**{name: sums[column] for name, column in CELL_SUMS.items()}))
    rows = totalled_per_domain(counts, ["domain"], ["x", "c"], weeks)
    if not rows:
        return {}
    table = np.array([row[1:] for row in rows], dtype=float).reshape(len(rows), -1)
    return _outcomes([row[0] for row in rows], table, [], confidence)


def _key(value):
    """A group's key as the ORM would give it: SQLite returns a week as ISO text."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _outcomes(keys: list[Hashable], table: np.ndarray, slugs: list[str],
              confidence: float) -> dict[Hashable, DomainOutcome]:
    """Each key's outcome from its row of ``domain_sum_rows`` (without the key columns)."""
    audits, strata, scored, score_total = table[:, :4].T
    shared = table[:, 4:8].T
    per_column = len(COLUMN_SUMS)
    enough = audits >= MIN_AUDITS

    def estimates(position: int) -> list[stats.Estimate]:
        if not enough.any():
            return []
        first = len(SHARED_SUMS) + position * per_column
        hits, within, hits_outside, misses_outside, with_hits, with_misses = (
            table[enough, first:first + per_column].T)
        size, lone, squared_weights, sampled_strata = (values[enough] for values in shared)
        return stats.DomainSums(
            audits=audits[enough], size=size, hits=hits, within=within,
            hits_outside=hits_outside, misses_outside=misses_outside, lone=lone,
            squared_weights=squared_weights, strata_with_hits=with_hits,
            strata_with_misses=with_misses, sampled_strata=sampled_strata,
        ).estimates(confidence=confidence)

    accuracy, critical = estimates(0), estimates(1)
    categories = {slug: estimates(2 + i) for i, slug in enumerate(slugs)}
    outcomes = {}
    renumbered = np.cumsum(enough) - 1
    for d, key in enumerate(keys):
        # Weighted like the rates (Lohr 2019 §4.3), not the plain mean of the audits.
        average = float(score_total[d] / scored[d]) if scored[d] else None
        outcome = DomainOutcome(key=key, audits=int(audits[d]), strata=int(strata[d]),
                                average_score=average)
        if enough[d]:
            e = int(renumbered[d])
            outcome = replace(outcome, accuracy=accuracy[e], critical_rate=critical[e],
                              categories={slug: rates[e] for slug, rates in categories.items()})
        outcomes[key] = outcome
    return outcomes
