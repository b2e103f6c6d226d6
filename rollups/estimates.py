"""Domain estimates read from the rollup cells: the numbers every scorecard page shows.

A page names a *scope* (vendor, site, workflow, agent: any of them) and a period, and
optionally a dimension to break it down by (site, workflow, agent, vendor, week). Each group
of the breakdown is a domain: its rates are ``stats.domain_proportion`` over the
(run, stratum) cells it touches, never a pooled average of a stratified sample (see
``rollups.models``). One query reads everything, whatever the number of groups:
the cells in scope and period, summed per (group, stratum) (m_hd, x_hd, critical and
per-category counts), each row joined to its stratum's N_h (population) and n_h (completed
audits over *all* its cells: the domain is a part of what was sampled, not all of it) from
``StratumTotal``, which the rollups keep with the cells. The cells are the coarsest table
that still tells the page's domains apart (``cells_for``): ``VendorCell`` unless the scope or
the breakdown names a site (``SiteCell``) or an agent (``AuditCell``): the same counts, in
several times fewer rows at each step up. The database also totals each domain's
``stats.DomainSums`` over its strata (``rollups.domain_sums``), so a program-wide page receives one
row per domain, not one per stratum, and Python only works out the intervals. A vendor's or
the program's domains by week (or over weeks no stratum spans) are added up from the
``WeekSums`` the rollups keep instead (``rollups.week_sums``): the same sums, read from a
few rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from dataclasses import dataclass, field, replace

import numpy as np
from django.db import models

from sampling import stats

from . import week_sums
from .domain_sums import (
    COLUMN_SUMS,
    DIMENSIONS,
    SHARED_SUMS,
    Scope,
    category_slugs,
    domain_sum_rows,
)
from .models import AuditCell, SiteCell, VendorCell

# Below this many audits in a domain no rate is shown: the page says "too few audits".
MIN_AUDITS = 10
CONFIDENCE = 0.95
# Contract metric → how it is read from the counts (see DomainOutcome.metric).
METRICS = ("accuracy", "critical_error_rate", "policy_accuracy")
# Policy decision accuracy: the share of audits without an error of this category.
POLICY_CATEGORY = "policy-error"


@dataclass(frozen=True)
class DomainOutcome:
    """One domain's audits and estimates. Rates are None when ``audits`` < MIN_AUDITS (the
    page says so instead of showing a number); ``average_score`` is the weighted mean score.
    ``categories`` maps an error category slug to
    the estimated share of tickets with at least one error of it (only when asked for)."""

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
    """The fewest cells that hold what the page asks about: the same counts, summed over the
    agents (site cells) or over agents and sites (vendor cells) the page does not look at."""
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
    """The scope's estimates, as one domain (``by`` None: key None) or per value of ``by``
    (a key of DIMENSIONS: ids, or Mondays for "week"; a tuple of keys gives tuple keys, e.g.
    ("vendor", "workflow") → {(vendor_id, workflow_id): …}). With ``categories`` each outcome
    also carries every error category's rate."""
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


def _key(value):
    """A group's key as the ORM would give it: SQLite returns a week as ISO text."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _outcomes(keys: list[Hashable], table: np.ndarray, slugs: list[str],
              confidence: float) -> dict[Hashable, DomainOutcome]:
    """Each key's outcome from its row of ``domain_sum_rows`` (without the key columns)."""
    audits, strata, scored, score_total = table[:, :4].T
    shared = table[:, 4:8].T
    per_column = len(COLUMN_SUMS)
    # Rates only for domains with MIN_AUDITS or more.
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
        # The average score is a domain mean, weighted like the rates: Σ w_h·Σscore /
        # Σ w_h·scored with w_h = N_h/n_h (Lohr 2019 §4.3), not the plain mean of the audits.
        average = float(score_total[d] / scored[d]) if scored[d] else None
        outcome = DomainOutcome(key=key, audits=int(audits[d]), strata=int(strata[d]),
                                average_score=average)
        if enough[d]:
            e = int(renumbered[d])
            outcome = replace(outcome, accuracy=accuracy[e], critical_rate=critical[e],
                              categories={slug: rates[e] for slug, rates in categories.items()})
        outcomes[key] = outcome
    return outcomes
