"""Does the vendor's own QA say what ours says? Two comparisons over a period.

* **The same tickets** (``PairedComparison``): tickets handled in the period with both a
  verdict of the vendor's and a final audit of ours (the latest finalised one). Agreement,
  Cohen's kappa and McNemar's test, whose discordant counts say which way they disagree.
* **The rates** (``RateGap``): the accuracy the vendor reports over the period's weeks
  (Σ passed / Σ audited) against our estimate for the same vendor (and workflow) from the
  rollups, the gap with Newcombe's interval (``sampling.stats.compare_estimates``).

Derivations and the choices made: docs/statistics.md#vendor-reported-qa.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field, replace

from django.db.models import Count, OuterRef, Subquery, Sum

from accounts.formats import percent, setting_percent
from audits.models import Audit, AuditStatus
from rollups.estimates import CONFIDENCE, DomainOutcome, Scope, domain_outcomes
from rollups.periods import Period
from sampling import stats
from vendors.models import Vendor, Workflow

from .models import VendorRate, VendorTicketResult


@dataclass(frozen=True)
class PairedComparison:
    """Verdicts on the same tickets: ``both_passed`` … and the two discordant counts."""

    both_passed: int = 0
    both_failed: int = 0
    they_passed_we_failed: int = 0  # the vendor's QA passed what we failed
    they_failed_we_passed: int = 0

    @property
    def n(self) -> int:
        return (self.both_passed + self.both_failed + self.they_passed_we_failed
                + self.they_failed_we_passed)

    @property
    def agreement(self) -> float | None:
        return (self.both_passed + self.both_failed) / self.n if self.n else None

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa of the two verdicts (None without tickets)."""
        if not self.n:
            return None
        ours = ([True] * self.both_passed + [False] * self.both_failed
                + [False] * self.they_passed_we_failed + [True] * self.they_failed_we_passed)
        theirs = ([True] * self.both_passed + [False] * self.both_failed
                  + [True] * self.they_passed_we_failed + [False] * self.they_failed_we_passed)
        return stats.cohen_kappa(theirs, ours)

    @property
    def mcnemar(self) -> stats.McNemar | None:
        if not self.n:
            return None
        return stats.mcnemar(self.they_passed_we_failed, self.they_failed_we_passed)

    @property
    def significant(self) -> bool:
        """The two verdicts disagree one way more than the other beyond chance (5 %)."""
        test = self.mcnemar
        return bool(test and test.p_value < 0.05)


def reported_estimate(passed: int, audited: int, confidence: float = CONFIDENCE
                      ) -> stats.Estimate:
    """The vendor's reported rate as a simple binomial sample of its audits, with a Wilson
    interval: we do not know how they sampled, only how many they audited."""
    p = passed / audited
    low, high = stats.proportion_ci(passed, audited, confidence, method="wilson")
    return stats.Estimate(p=p, se=math.sqrt(p * (1 - p) / audited), low=low, high=high,
                          n=audited, margin=(high - low) / 2, confidence=confidence,
                          method="wilson", population=audited, covered_population=audited,
                          effective_n=float(audited))


@dataclass(frozen=True)
class RateGap:
    """The vendor's reported accuracy against ours over one domain (a workflow, or all)."""

    vendor: Vendor
    workflow: Workflow | None
    audited: int
    passed: int
    ours: stats.Estimate | None  # None: too few of our audits
    our_audits: int
    confidence: float = CONFIDENCE

    @property
    def reported(self) -> stats.Estimate | None:
        if not self.audited:
            return None
        return reported_estimate(self.passed, self.audited, self.confidence)

    @property
    def comparison(self) -> stats.Comparison | None:
        """Reported minus ours, with Newcombe's interval and the two-sided test."""
        reported = self.reported
        if reported is None or self.ours is None:
            return None
        return stats.compare_estimates(reported, self.ours, confidence=self.confidence)

    @property
    def significant(self) -> bool:
        comparison = self.comparison
        return bool(comparison and comparison.significant)

    @property
    def over_reports(self) -> bool:
        """The vendor reports a significantly higher accuracy than we measure."""
        comparison = self.comparison
        return bool(comparison and comparison.significant and comparison.difference > 0)

    @property
    def text(self) -> str:
        """"Vendor reports 98.1%; our estimate 93.5% (92.3% – 94.6%): the gap of 4.6 points
        is significant (95% interval 3.1 to 6.0 points)." """
        reported = self.reported
        if reported is None:
            return "The vendor reported no audited tickets."
        said = f"Vendor reports {percent(reported.p)} (n {self.audited:,})"
        if self.ours is None:
            return f"{said}; too few of our audits to compare (n {self.our_audits})."
        comparison = self.comparison
        gap = abs(comparison.difference) * 100
        verdict = "is significant" if comparison.significant else "is not significant"
        return (f"{said}; our estimate {percent(self.ours.p)} ({percent(self.ours.low)} – "
                f"{percent(self.ours.high)}): the gap of {gap:.1f} points {verdict} "
                f"({setting_percent(self.confidence)} interval {comparison.low * 100:+.1f} to "
                f"{comparison.high * 100:+.1f} points).")


@dataclass
class VendorQAComparison:
    """Everything a page shows about one vendor's reported QA over a period."""

    vendor: Vendor
    period: Period
    workflow: Workflow | None
    paired: PairedComparison
    overall: RateGap | None  # None: no weekly rates reported in the period
    by_workflow: list[RateGap] = field(default_factory=list)
    # Workflows we audited in the period that the vendor's rates leave out.
    unreported: list[Workflow] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return bool(self.paired.n or self.overall)


def our_final_verdict() -> Subquery:
    """The ticket's latest final audit's verdict (None when it has none)."""
    return Subquery(Audit.objects.filter(ticket=OuterRef("ticket_id"), status=AuditStatus.FINAL)
                    .order_by("-finalised_at", "-pk").values("passed")[:1])


def paired_comparison(vendor: Vendor, period: Period,
                      workflow: Workflow | None = None) -> PairedComparison:
    """The 2 × 2 table of the vendor's verdicts and ours on the tickets handled in the period
    that carry both: one grouped query."""
    start, end = period.handled_span()
    results = VendorTicketResult.objects.filter(
        vendor=vendor, ticket__handled_at__gte=start, ticket__handled_at__lt=end)
    if workflow is not None:
        results = results.filter(ticket__workflow=workflow)
    cells = (results.annotate(ours=our_final_verdict()).filter(ours__isnull=False)
             .order_by().values("passed", "ours").annotate(n=Count("pk")))
    table = {(row["passed"], row["ours"]): row["n"] for row in cells}
    return PairedComparison(
        both_passed=table.get((True, True), 0), both_failed=table.get((False, False), 0),
        they_passed_we_failed=table.get((True, False), 0),
        they_failed_we_passed=table.get((False, True), 0))


def reported_totals(period: Period, *, vendor: Vendor | None = None,
                    workflow: Workflow | None = None, by: str = "workflow"
                    ) -> dict[Hashable, tuple[int, int]]:
    """Σ audited and Σ passed of the weekly rates in the period, per ``by`` ("workflow" or
    "vendor" id): one grouped query."""
    rates = VendorRate.objects.filter(week__gte=period.first, week__lte=period.last)
    if vendor is not None:
        rates = rates.filter(vendor=vendor)
    if workflow is not None:
        rates = rates.filter(workflow=workflow)
    rows = (rates.order_by().values(f"{by}_id")
            .annotate(audited=Sum("audited"), passed=Sum("passed")))
    return {row[f"{by}_id"]: (row["audited"], row["passed"]) for row in rows}


def compare(vendor: Vendor, period: Period, *, workflow: Workflow | None = None,
            confidence: float = CONFIDENCE) -> VendorQAComparison:
    """The vendor's reported QA against ours over ``period`` (narrowed to ``workflow``)."""
    paired = paired_comparison(vendor, period, workflow)
    totals = reported_totals(period, vendor=vendor, workflow=workflow)
    result = VendorQAComparison(vendor=vendor, period=period, workflow=workflow, paired=paired,
                                overall=None)
    if not totals:
        return result
    scope = Scope(period=period, vendor=vendor.pk,
                  workflow=workflow.pk if workflow else None)
    ours = domain_outcomes(scope, confidence=confidence).get(None)
    audited = sum(a for a, _ in totals.values())
    passed = sum(p for _, p in totals.values())
    result.overall = _gap(vendor, workflow, audited, passed, ours, confidence)
    per_workflow = (domain_outcomes(scope, by="workflow", confidence=confidence)
                    if workflow is None else {workflow.pk: ours} if ours else {})
    workflows = Workflow.objects.in_bulk(set(totals) | set(per_workflow))
    result.by_workflow = sorted(
        (_gap(vendor, workflows[pk], a, p, per_workflow.get(pk), confidence)
         for pk, (a, p) in totals.items()), key=lambda gap: gap.workflow.name)
    result.unreported = sorted((workflows[pk] for pk in per_workflow if pk not in totals),
                               key=lambda w: w.name)
    return result


def _gap(vendor, workflow, audited: int, passed: int, ours: DomainOutcome | None,
         confidence: float) -> RateGap:
    return RateGap(vendor=vendor, workflow=workflow, audited=audited, passed=passed,
                   ours=ours.accuracy if ours else None, our_audits=ours.audits if ours else 0,
                   confidence=confidence)


def over_reporting(period: Period, ours_by_vendor: dict[int, DomainOutcome],
                   confidence: float = CONFIDENCE) -> list[RateGap]:
    """Vendors whose reported accuracy over the period is significantly above our estimate
    (``ours_by_vendor``: the period's ``domain_outcomes`` by vendor, which the caller has):
    one grouped query whatever the number of vendors, and one for the names of those flagged."""
    totals = reported_totals(period, by="vendor")
    flagged = {pk: gap for pk, (audited, passed) in totals.items()
               if (gap := _gap(None, None, audited, passed, ours_by_vendor.get(pk),
                               confidence)).over_reports}
    vendors = Vendor.objects.in_bulk(list(flagged)) if flagged else {}
    return sorted((replace(gap, vendor=vendors[pk]) for pk, gap in flagged.items()),
                  key=lambda gap: gap.vendor.name)

