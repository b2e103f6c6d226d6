"""What the plan and run pages say: a plan's filter in words, and a run's report built from
each stratum's outcomes, which ``audits.run_report`` reads from the audits. Estimates are
stratified over completed audits (skipped ones are non-response). A risk-weighted run's
estimates weight each completed audit by its own 1/π_i (Hájek, ``stats.ht_proportion``).
Derivation: docs/statistics.md#stratified-proportion and #risk-weighted-samples-ht_proportion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from . import stats
from .models import STRATUM_KEY_LABELS, SampleRun, SampleStratum, SamplingPlan

# Wilson at n_eff, not normal: it does not collapse to a point at 0 errors (Korn & Graubard 1998).
INTERVAL_METHOD = "wilson"


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
    # A risk-weighted stratum's completed audits, one (π_i, passed, critical, categories found)
    # each: their estimates need every audit's own probability, not the counts alone.
    audits: tuple[tuple[float, bool, bool, frozenset[str]], ...] = ()


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
    # Tickets of the window left out of N because an earlier run drew them first (a ticket is
    # audited at most once: sampling.population.plan_population); None for older runs.
    excluded_same_plan: int | None = None
    excluded_other_plans: int | None = None
    risk_weighted: bool = False

    @property
    def window_tickets(self) -> int | None:
        """The plan's tickets in the run's window: the population and those left out."""
        if self.excluded_same_plan is None or self.excluded_other_plans is None:
            return None
        return self.population + self.excluded_same_plan + self.excluded_other_plans

    @property
    def excluded_share(self) -> float | None:
        """The left-out share of the window: how far at most the window's rates can be from
        the estimates, which describe the population (docs/statistics.md, "Tickets another
        run drew")."""
        window = self.window_tickets
        return (window - self.population) / window if window else None

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


def report_from_outcomes(
    run: SampleRun,
    strata: list[SampleStratum],
    outcomes: dict[int, StratumOutcomes],
    categories: Sequence[tuple[str, str]] = (),
) -> RunReport:
    """One run's report from its strata (in report order) and each stratum's outcomes: per stratum
    its weight, planned margin and own rates; for the run, the stratified accuracy, critical
    error rate and category rates. No query beyond the run's plan."""
    confidence = float(run.parameters.get("confidence", run.plan.confidence))
    total = sum(s.population for s in strata)
    weighted = any(s.risk_weighted for s in strata)
    rates = weighted_stratum_rates if weighted else stratum_rates
    estimate = weighted_estimate if weighted else stratified_estimate
    margins = _stratum_margins(strata, confidence)
    accuracies = rates(strata, outcomes, "passed", confidence)
    critical_rates = rates(strata, outcomes, "critical", confidence)
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
    accuracy = estimate(strata, outcomes, "passed", confidence)
    category_rows = []
    if accuracy is not None:
        for slug, name in categories:
            found = sum(o.categories.get(slug, 0) for o in outcomes.values())
            category_rows.append(
                CategoryRow(slug, name, found, estimate(strata, outcomes, slug, confidence))
            )
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
        critical_rate=estimate(strata, outcomes, "critical", confidence),
        categories=category_rows,
        uncovered=[labels[key] for key in accuracy.uncovered_strata] if accuracy else [],
        notes=list(run.parameters.get("notes", [])),
        excluded_same_plan=run.excluded_same_plan,
        excluded_other_plans=run.excluded_other_plans,
        risk_weighted=weighted,
    )


def stratified_estimate(
    strata: list[SampleStratum],
    outcomes: dict[int, StratumOutcomes],
    outcome: str,
    confidence: float,
) -> stats.Estimate | None:
    """The run's stratified estimate of "passed", "critical" or a category slug, n_h being the
    completed audits; None until some stratum has one."""
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
    """Each stratum's own rate of one outcome (None without a completed audit), in one vectorised
    call: a run can have hundreds of strata."""
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


def _outcome_of(audit: tuple[float, bool, bool, frozenset[str]], outcome: str) -> bool:
    _, passed, critical, found = audit
    if outcome == "passed":
        return passed
    if outcome == "critical":
        return critical
    return outcome in found


def weighted_estimate(
    strata: list[SampleStratum],
    outcomes: dict[int, StratumOutcomes],
    outcome: str,
    confidence: float,
) -> stats.Estimate | None:
    """A risk-weighted run's estimate of one outcome: each completed audit weighs g_h/π_i*, with
    π_i* = π_i · done_h / drawn_h (its draw probability times its stratum's response rate, skips
    and open audits being non-response) and g_h making its stratum's weights add up to N_h
    (``stats.stratified_hajek``, as the vendor scorecards weigh it). None until some stratum
    has a completed audit."""
    sampled = []
    for s in strata:
        found = outcomes[s.pk]
        if not found.audits:
            continue
        response = len(found.audits) / max(s.drawn, len(found.audits))
        sampled.append((
            s.population,
            [1.0 if _outcome_of(audit, outcome) else 0.0 for audit in found.audits],
            [audit[0] * response for audit in found.audits],
        ))
    if not sampled:
        return None
    found = stats.stratified_hajek(sampled, confidence=confidence)
    uncovered = tuple(s.pk for s in strata if s.population and not outcomes[s.pk].audits)
    left_out = sum(s.population for s in strata if s.pk in uncovered)
    total = sum(s.population for s in strata)
    return stats.Estimate(
        p=found.p,
        se=found.se,
        low=found.low,
        high=found.high,
        n=found.n,
        margin=(found.high - found.low) / 2,
        confidence=confidence,
        method="hajek",
        population=total,
        covered_population=total - left_out,
        effective_n=found.effective_n,
        uncovered_strata=uncovered,
    )


def weighted_stratum_rates(
    strata: list[SampleStratum], outcomes: dict[int, StratumOutcomes], outcome: str,
    confidence: float,
) -> list[StratumRate | None]:
    """Each risk-weighted stratum's own Hájek rate of one outcome with its interval (None without
    a completed audit)."""
    rates: list[StratumRate | None] = []
    for s in strata:
        audits = outcomes[s.pk].audits
        if not audits:
            rates.append(None)
            continue
        found = stats.ht_proportion(
            [1.0 if _outcome_of(a, outcome) else 0.0 for a in audits], [a[0] for a in audits],
            confidence=confidence, method="hajek",
        )
        rates.append(StratumRate(p=found.p, low=found.low, high=found.high, n=found.n))
    return rates
