"""What the plan and run pages say: a plan's filter in words, and a run's report.

The run report is read in a fixed, small number of queries whatever the number of strata or
audits: the strata with their audit outcomes come from ONE grouped query (strata ⟕ sampled
tickets ⟕ audits, conditional counts per stratum); once some audit is done, two more read the
error-category taxonomy and the per-stratum category counts. Error categories are counted in
the database with a JSON key test per category (``error_categories__has_key``: ``?`` on
PostgreSQL jsonb, ``json_type`` on SQLite), so no audit row is loaded into Python.

Estimates are stratified (Cochran 1977 ch. 5): each stratum's proportion is weighted by its
share of the population, W_h = N_h / N, never pooled across the sample, because unequal
allocation gives some strata many more audits per ticket than others. n_h is the number of
*completed* audits in the stratum (submitted, disputed, resolved or final), not the number
allocated, so a stratum still being audited is estimated from what it has. Only sampled
audits count: an ad-hoc audit has no sampled ticket (a database constraint), so the join
through the run's sampled tickets cannot reach one.

A sampled ticket a lead skipped (audit status *skipped*) is non-response: it is counted per
stratum and left out of n_h, so the estimates rest on the completed audits only, and the
page says how many were skipped. A replacement drawn for it is an ordinary sampled ticket
of the same stratum (``sampling.replacement``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from django.db.models import Count, Q

from audit_forms.models import ErrorCategory
from audits.models import OPEN_STATUSES, SCORED_STATUSES, Audit, AuditStatus

from . import stats
from .models import STRATUM_KEY_LABELS, SampleRun, SampleStratum, SamplingPlan

# Intervals for proportions near 0 or 1 from a few dozen audits: Wilson's interval at the
# effective sample size stays inside [0, 1] and does not collapse to a point at 0 errors, as
# the normal interval does (Korn & Graubard 1998; see stats.stratified_proportion).
INTERVAL_METHOD = "wilson"
_DONE = "sampled_tickets__audit__"


def filter_summary(plan: SamplingPlan) -> str:
    """The plan's population in one line, e.g. "Acme · Hate speech (EN) · manual decisions ·
    last 7 days (Europe/Madrid)". Reads the prefetched vendors/sites/workflows."""
    parts = [
        ", ".join(v.name for v in plan.vendors.all()) or "All vendors",
    ]
    if sites := [s.name for s in plan.sites.all()]:
        parts.append("sites " + ", ".join(sites))
    parts.append(", ".join(w.name for w in plan.workflows.all()) or "all workflows")
    if plan.decision_types:
        parts.append("decisions " + ", ".join(plan.decision_types))
    if plan.automation != SamplingPlan.Automation.ANY:
        parts.append(plan.get_automation_display().lower())
    parts.append(f"{plan.get_window_kind_display().lower()} ({plan.window_timezone})")
    return " · ".join(parts)


def strata_summary(keys: list[str]) -> str:
    """Strata keys in words, e.g. "Vendor × Workflow" ("None" for one stratum)."""
    return " × ".join(STRATUM_KEY_LABELS.get(key, key) for key in keys) or "None"


@dataclass(frozen=True)
class StratumOutcomes:
    """Completed audits of one stratum: how many, how many passed, how many failed a critical
    question, and how many found at least one error of each category (slug → count)."""

    done: int = 0
    passed: int = 0
    critical: int = 0
    skipped: int = 0
    categories: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StratumRow:
    """One stratum line of the run report."""

    key: int
    label: str
    population: int
    allocated: int
    drawn: int
    weight: float
    inclusion_probability: float
    audits_done: int
    margin: float | None
    expected_rate: float
    skipped: int = 0
    accuracy: StratumRate | None = None
    critical_rate: StratumRate | None = None


@dataclass(frozen=True)
class CategoryRow:
    """The stratified rate of audits finding at least one error of a category."""

    slug: str
    name: str
    audits_with_error: int
    estimate: stats.Estimate


@dataclass(frozen=True)
class RunReport:
    """A run's strata and totals, planned against achieved, and the estimates so far."""

    run: SampleRun
    strata: list[StratumRow]
    population: int
    allocated: int
    drawn: int
    audits_done: int
    confidence: float
    planned_margin: float | None
    achieved_margin: float | None
    skipped: int = 0
    accuracy: stats.Estimate | None = None
    critical_rate: stats.Estimate | None = None
    categories: list[CategoryRow] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def estimate(self) -> stats.Estimate | None:
        """The headline estimate: accuracy (the share of tickets handled correctly)."""
        return self.accuracy

    @property
    def uncovered_population(self) -> int:
        """Tickets in the strata with no completed audit yet: what the estimates leave out."""
        if self.accuracy is None:
            return 0
        return self.population - self.accuracy.covered_population


def run_report(run: SampleRun) -> RunReport:
    """The report of one run: per stratum N_h, n_h, W_h = N_h/N, inclusion probability
    n_h/N_h, audits done, the margin the stratum achieves alone at its planned rate
    (stats.margin_of_error with the finite population correction) and, from the completed
    audits, its accuracy and critical error rate; for the run, the stratified accuracy,
    critical error rate and error-category rates with intervals at the plan's confidence."""
    confidence = float(run.parameters.get("confidence", run.plan.confidence))
    strata, outcomes = stratum_outcomes(run)
    total = sum(s.population for s in strata)
    margins = _stratum_margins(strata, confidence)
    accuracies = stratum_rates(strata, outcomes, "passed", confidence)
    critical_rates = stratum_rates(strata, outcomes, "critical", confidence)
    rows = [
        StratumRow(
            key=s.pk,
            label=s.label,
            population=s.population,
            allocated=s.allocated,
            drawn=s.drawn,
            weight=s.population / total if total else 0.0,
            inclusion_probability=s.inclusion_probability,
            audits_done=outcomes[s.pk].done,
            margin=margin,
            expected_rate=s.expected_rate,
            skipped=outcomes[s.pk].skipped,
            accuracy=accuracy,
            critical_rate=critical,
        )
        for s, margin, accuracy, critical in zip(
            strata, margins, accuracies, critical_rates, strict=True
        )
    ]
    accuracy = stratified_estimate(strata, outcomes, "passed", confidence)
    category_rows = []
    if accuracy is not None:
        # Categories are read only once there are audits: a run without any costs no query.
        categories = list(ErrorCategory.objects.order_by("name").values_list("slug", "name"))
        found_in = category_counts(run, [slug for slug, _ in categories])
        outcomes = {
            pk: replace(found, categories=found_in.get(pk, {}))
            for pk, found in outcomes.items()
        }
        for slug, name in categories:
            found = sum(o.categories.get(slug, 0) for o in outcomes.values())
            estimate = stratified_estimate(strata, outcomes, slug, confidence)
            category_rows.append(CategoryRow(slug, name, found, estimate))
        category_rows.sort(key=lambda row: (-row.estimate.p, row.name))
    labels = {s.pk: s.label for s in strata}
    return RunReport(
        run=run,
        strata=rows,
        population=total,
        allocated=sum(r.allocated for r in rows),
        drawn=sum(r.drawn for r in rows),
        audits_done=sum(r.audits_done for r in rows),
        skipped=sum(r.skipped for r in rows),
        confidence=confidence,
        planned_margin=run.planned_margin,
        achieved_margin=run.achieved_margin,
        accuracy=accuracy,
        critical_rate=stratified_estimate(strata, outcomes, "critical", confidence),
        categories=category_rows,
        uncovered=[labels[key] for key in accuracy.uncovered_strata] if accuracy else [],
        notes=list(run.parameters.get("notes", [])),
    )


OPEN_ASSIGNMENTS_SHOWN = 50


def open_assignments(
    run: SampleRun, limit: int = OPEN_ASSIGNMENTS_SHOWN
) -> tuple[list[Audit], int]:
    """The run's audits not yet submitted, soonest due first (at most ``limit``), and how many
    there are: where a lead goes to reassign or skip one. Two queries."""
    pending = Audit.objects.filter(
        sampled_ticket__run=run, status__in=OPEN_STATUSES, submitted_at__isnull=True
    )
    shown = list(
        pending.select_related("ticket", "auditor", "sampled_ticket__stratum")
        .order_by("due_at", "pk")[:limit]
    )
    return shown, pending.count()


def stratum_outcomes(run: SampleRun) -> tuple[list[SampleStratum], dict[int, StratumOutcomes]]:
    """The run's strata in report order and, per stratum pk, its completed-audit outcomes
    (done, passed, critical) and its skipped audits: ONE grouped query, conditional COUNTs
    over the stratum's sampled tickets' audits."""
    done = Q(**{f"{_DONE}status__in": SCORED_STATUSES})
    strata = list(
        run.strata.order_by("position").annotate(
            done_n=Count("sampled_tickets__audit", filter=done),
            passed_n=Count(
                "sampled_tickets__audit", filter=done & Q(**{f"{_DONE}passed": True})
            ),
            critical_n=Count(
                "sampled_tickets__audit", filter=done & Q(**{f"{_DONE}critical_failed": True})
            ),
            skipped_n=Count(
                "sampled_tickets__audit", filter=Q(**{f"{_DONE}status": AuditStatus.SKIPPED})
            ),
        )
    )
    outcomes = {
        s.pk: StratumOutcomes(done=s.done_n, passed=s.passed_n, critical=s.critical_n,
                              skipped=s.skipped_n)
        for s in strata
    }
    return strata, outcomes


def category_counts(run: SampleRun, slugs: list[str]) -> dict[int, dict[str, int]]:
    """Per stratum pk, how many completed audits found at least one error of each category:
    ONE grouped query over the run's completed audits, a conditional COUNT per category on
    whether ``error_categories`` has the slug as a key (scoring stores only categories with
    at least one error)."""
    if not slugs:
        return {}
    rows = (
        Audit.objects.filter(sampled_ticket__run=run, status__in=SCORED_STATUSES)
        .order_by()
        .values("sampled_ticket__stratum_id")
        .annotate(**{
            f"category_{index}": Count("pk", filter=Q(error_categories__has_key=slug))
            for index, slug in enumerate(slugs)
        })
    )
    return {
        row["sampled_ticket__stratum_id"]: {
            slug: row[f"category_{index}"] for index, slug in enumerate(slugs)
        }
        for row in rows
    }


def stratified_estimate(
    strata: list[SampleStratum],
    outcomes: dict[int, StratumOutcomes],
    outcome: str,
    confidence: float,
) -> stats.Estimate | None:
    """The run's stratified estimate of one outcome ("passed", "critical" or a category slug)
    with its interval: ``stats.stratified_proportion({stratum: (N_h, n_h, x_h)})`` where n_h
    is the stratum's completed audits. None until some stratum has a completed audit."""
    if not any(outcomes[s.pk].done for s in strata):
        return None
    return stats.stratified_proportion(
        {s.pk: (s.population, outcomes[s.pk].done, _hits(outcomes[s.pk], outcome))
         for s in strata},
        confidence,
        method=INTERVAL_METHOD,
    )


def _hits(outcomes: StratumOutcomes, outcome: str) -> int:
    if outcome == "passed":
        return outcomes.passed
    if outcome == "critical":
        return outcomes.critical
    return outcomes.categories.get(outcome, 0)


def _stratum_margins(strata: list[SampleStratum], confidence: float) -> list[float | None]:
    """Each stratum's margin alone at its planned rate, in one vectorised call."""
    if not strata:
        return []
    allocated = np.array([s.allocated for s in strata])
    margins = stats.margin_of_error(
        np.maximum(allocated, 1), confidence,
        np.array([s.expected_rate for s in strata]), np.array([s.population for s in strata]),
    )
    return [float(m) if n else None for m, n in zip(np.atleast_1d(margins), allocated,
                                                    strict=True)]


@dataclass(frozen=True)
class StratumRate:
    """One stratum's own rate x_h / n_h with Wilson's interval (no finite population
    correction, so conservative when n_h is a large share of N_h)."""

    p: float
    low: float
    high: float
    n: int


def stratum_rates(
    strata: list[SampleStratum], outcomes: dict[int, StratumOutcomes], outcome: str,
    confidence: float,
) -> list[StratumRate | None]:
    """Per-stratum rates of one outcome, None for strata with no completed audit.

    One vectorised ``stats.proportion_ci`` call for all strata: a run can have hundreds of
    strata, and one estimator call per stratum would cost more than the page's queries.
    These rows describe each stratum alone; the run's figures are the stratified ones."""
    done = np.array([outcomes[s.pk].done for s in strata], dtype=int)
    hits = np.array([_hits(outcomes[s.pk], outcome) for s in strata], dtype=int)
    covered = done > 0
    if not covered.any():
        return [None] * len(strata)
    low, high = stats.proportion_ci(hits[covered], done[covered], confidence, "wilson")
    found = iter(zip(np.atleast_1d(low), np.atleast_1d(high), hits[covered], done[covered],
                     strict=True))
    rates: list[StratumRate | None] = []
    for is_covered in covered:
        if is_covered:
            lo, hi, x, n = next(found)
            rates.append(StratumRate(p=x / n, low=float(lo), high=float(hi), n=int(n)))
        else:
            rates.append(None)
    return rates
