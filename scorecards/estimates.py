"""Domain estimates read from the rollup cells: the numbers every scorecard page shows.

A page names a *scope* (vendor, site, workflow, agent: any of them) and a period, and
optionally a dimension to break it down by (site, workflow, agent, vendor, week). Each group
of the breakdown is a domain: its rates are ``stats.domain_proportion`` over the
(run, stratum) cells it touches, never a pooled average of a stratified sample (see
``scorecards.models``). Two grouped queries read everything, whatever the number of groups:

1. the cells in scope and period, summed per (group, stratum): m_hd, x_hd, critical and
   per-category counts. The cells are ``SiteCell`` unless the scope or the breakdown names
   an agent (then ``AuditCell``): the same counts, several times fewer rows;
2. per stratum of query 1's rows, N_h (the stratum's population) and n_h (its completed
   audits over *all* its cells: the domain is a part of what was sampled, not all of it),
   by primary key from ``StratumTotal``, which the rollups keep with the cells.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, IntegerField, Q, Sum
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from audits.models import ErrorCategory
from sampling import stats

from .models import AuditCell, SiteCell, StratumTotal
from .periods import Period

# Below this many audits in a domain no rate is shown: the page says "too few audits".
MIN_AUDITS = 10
CONFIDENCE = 0.95
# What a breakdown can group by → the cell column.
DIMENSIONS = {
    "vendor": "vendor_id",
    "site": "site_id",
    "workflow": "workflow_id",
    "agent": "agent_id",
    "week": "week",
}
# Contract metric → how it is read from the counts (see DomainOutcome.metric).
METRICS = ("accuracy", "critical_error_rate", "policy_accuracy")
# Policy decision accuracy: the share of audits without an error of this category.
POLICY_CATEGORY = "policy-error"


@dataclass(frozen=True)
class Scope:
    """Which cells a page reads: any of vendor, site, workflow, agent (ids), and a period."""

    period: Period
    vendor: int | None = None
    site: int | None = None
    workflow: int | None = None
    agent: int | None = None

    def cells(self) -> Q:
        condition = Q(week__gte=self.period.first, week__lte=self.period.last)
        for name in ("vendor", "site", "workflow", "agent"):
            if (value := getattr(self, name)) is not None:
                condition &= Q(**{f"{name}_id": value})
        return condition


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
    from dataclasses import replace

    return replace(estimate, p=1 - estimate.p, low=1 - estimate.high, high=1 - estimate.low)


def category_slugs() -> list[str]:
    return list(ErrorCategory.objects.order_by("slug").values_list("slug", flat=True))


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
    # Site cells hold the same counts summed over agents, in several times fewer rows: read
    # them unless the page looks at agents.
    uses_agents = scope.agent is not None or "agent" in dimensions
    base = (AuditCell if uses_agents else SiteCell).objects.filter(scope.cells())
    group = [DIMENSIONS[name] for name in dimensions]
    sums = {
        "m": Sum("audited"), "x": Sum("passed"), "c": Sum("critical_failed"),
        "scored_n": Sum("scored"), "score_total": Sum("score_sum"),
        **{f"cat_{i}": Sum(Coalesce(Cast(KeyTextTransform(slug, "error_categories"),
                                         IntegerField()), 0))
           for i, slug in enumerate(slugs)},
    }
    rows = list(base.order_by().values(*group, "stratum_id").annotate(**sums))
    if not rows:
        return {}
    strata = _strata({row["stratum_id"] for row in rows})
    grouped: dict[Hashable, list[dict]] = defaultdict(list)
    # In stratum order, so the float sums add up in the same order whichever cell table or
    # query plan gave the rows: the same counts give the same numbers to the last digit.
    for row in sorted(rows, key=lambda row: row["stratum_id"]):
        if not group:
            key = None
        elif isinstance(by, str):
            key = row[group[0]]
        else:
            key = tuple(row[column] for column in group)
        grouped[key].append(row)
    return {
        key: _outcome(key, members, strata, slugs, confidence)
        for key, members in grouped.items()
    }


def _strata(ids: set[int]) -> dict[int, tuple[int, int]]:
    """{stratum: (N_h, n_h)} in one query by primary key from ``StratumTotal`` (n_h counts
    the stratum's completed audits over all its cells, all weeks and domains)."""
    totals = StratumTotal.objects.order_by()
    if connection.vendor == "postgresql":
        # A program-wide page touches tens of thousands of strata: one array literal costs
        # PostgreSQL (and Django) far less to parse than as many IN parameters.
        totals = totals.filter(RawSQL(
            f"{connection.ops.quote_name(StratumTotal._meta.db_table)}.stratum_id "
            "= ANY(%s::bigint[])",
            ("{" + ",".join(str(pk) for pk in sorted(ids)) + "}",),
            output_field=BooleanField(),
        ))
    else:
        totals = totals.filter(stratum_id__in=sorted(ids))
    return {pk: (population, audited)
            for pk, population, audited in totals.values_list("stratum_id", "population",
                                                              "audited")}


def _outcome(key, rows: list[dict], strata: dict, slugs: list[str],
             confidence: float) -> DomainOutcome:
    audits = sum(row["m"] for row in rows)
    # The average score is a domain mean, weighted like the rates: Σ w_h·Σscore / Σ w_h·scored
    # with w_h = N_h/n_h (Lohr 2019 §4.3), not the plain mean of the audits.
    weights = {row["stratum_id"]: strata[row["stratum_id"]][0] / strata[row["stratum_id"]][1]
               for row in rows}
    scored = sum(weights[row["stratum_id"]] * (row["scored_n"] or 0) for row in rows)
    total = sum(weights[row["stratum_id"]] * float(row["score_total"] or 0) for row in rows)
    average = total / scored if scored else None
    if audits < MIN_AUDITS:
        return DomainOutcome(key=key, audits=audits, strata=len(rows), average_score=average)

    def estimate(column: str) -> stats.Estimate:
        counts = {
            row["stratum_id"]: (*strata[row["stratum_id"]], row["m"], row[column])
            for row in rows
        }
        return stats.domain_proportion(counts, confidence=confidence)

    return DomainOutcome(
        key=key,
        audits=audits,
        strata=len(rows),
        accuracy=estimate("x"),
        critical_rate=estimate("c"),
        categories={slug: estimate(f"cat_{i}") for i, slug in enumerate(slugs)},
        average_score=average,
    )
