"""Domain estimates read from the rollup cells: the numbers every scorecard page shows.

A page names a *scope* (vendor, site, workflow, agent: any of them) and a period, and
optionally a dimension to break it down by (site, workflow, agent, vendor, week). Each group
of the breakdown is a domain: its rates are ``stats.domain_proportion`` over the
(run, stratum) cells it touches, never a pooled average of a stratified sample (see
``scorecards.models``). Two grouped queries read everything, whatever the number of groups:

1. the cells in scope and period, summed per (group, stratum): m_hd, x_hd, critical and
   per-category counts;
2. per stratum touched, N_h (the stratum's population) and n_h (its completed audits over
   *all* its cells: the domain is a part of what was sampled, not all of it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field

from django.db.models import IntegerField, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from audits.models import ErrorCategory
from sampling import stats
from sampling.models import SampleStratum

from .models import AuditCell
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
    cells: QuerySet | None = None,
) -> dict[Hashable, DomainOutcome]:
    """The scope's estimates, as one domain (``by`` None: key None) or per value of ``by``
    (a key of DIMENSIONS: ids, or Mondays for "week"; a tuple of keys gives tuple keys, e.g.
    ("vendor", "workflow") → {(vendor_id, workflow_id): …}). With ``categories`` each outcome
    also carries every error category's rate. ``cells`` narrows the cell queryset further
    (a vendor user's scoped cells, say)."""
    dimensions = (by,) if isinstance(by, str) else tuple(by or ())
    if unknown := [name for name in dimensions if name not in DIMENSIONS]:
        raise ValueError(f"by must name {', '.join(DIMENSIONS)}, got {unknown}")
    slugs = category_slugs() if categories else []
    base = (cells if cells is not None else AuditCell.objects.all()).filter(scope.cells())
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
    strata = {
        pk: (population, audited)
        for pk, population, audited in SampleStratum.objects.filter(
            pk__in=base.order_by().values("stratum_id")
        ).annotate(audited=Sum("audit_cells__audited")).values_list(
            "pk", "population", "audited"
        )
    }
    grouped: dict[Hashable, list[dict]] = defaultdict(list)
    for row in rows:
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
