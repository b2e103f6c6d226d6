"""The program overview, the manager's home: vendors benchmarked on shared workflows, recent runs,
auditor productivity, disputes and coaching by vendor, and red flags. Each section is a fixed
number of grouped queries over the rollups whatever the program's size (tested). The benchmark
estimates only the pairs it shows or a contract target names: estimates cost Python time, and a
large program has thousands of vendor × workflow pairs.
What each section shows: docs/user-guide.md#scorecards-and-dashboards.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.formats import percent as _percent
from rollups.assisted import AssistedRate, assisted_outcomes, assisted_rate
from rollups.estimates import DomainOutcome, Scope, domain_outcomes
from rollups.models import AuditorDay, StratumTotal, VendorCell
from sampling.models import SampleRun, SampleStratum, SamplingPlan
from sampling.stats import Estimate
from scorecards.dispute_rates import DisputeRate
from vendors.models import ContractTarget, Vendor, Workflow

from .flags import RedFlag
from .follow_ups import FollowUps, follow_ups
from .model_flags import last_complete_week, model_flags
from .page_cache import cached_page, query_parts, targets_parts
from .query import PageQuery
from .reliability_flags import reliability_flags
from .reported_qa import over_reporting_flags
from .scorecard import chosen_estimate
from .targets import BELOW, targets_in_effect, verdict
from .trends import control_series, trend_span

RECENT_RUNS = 10
# A finished draw whose audits are still under this share done after RUN_GRACE is behind.
RUN_BEHIND_SHARE = 0.8
RUN_GRACE = dt.timedelta(days=3)
# Workflows audited at fewer vendors than this are left out of the benchmark.
MIN_VENDORS_TO_COMPARE = 2
# The side-by-side matrix shows this many shared workflows, most audits first (?workflows=all
# shows every one).
BENCHMARK_WORKFLOWS = 20
# Out-of-control weeks are looked for over this many weeks ending with the period.
TREND_WEEKS = 12
METRIC_WORDS = {"accuracy": "accuracy", "critical_error_rate": "critical error rate",
                "policy_accuracy": "policy decision accuracy"}


@dataclass(frozen=True)
class BenchmarkCell:
    """One vendor's accuracy on one workflow (None: no audits there in the period)."""

    workflow: Workflow
    outcome: DomainOutcome | None
    url: str

    @property
    def accuracy(self) -> Estimate | None:
        return self.outcome.accuracy if self.outcome else None

    @property
    def audits(self) -> int:
        return self.outcome.audits if self.outcome else 0


@dataclass(frozen=True)
class BenchmarkRow:
    vendor: Vendor
    overall: DomainOutcome
    url: str
    cells: list[BenchmarkCell]
    # The vendor's AI-assisted accuracy over all workflows, where its audits carry the
    # model's scores (rollups.assisted).
    assisted: AssistedRate | None = None


@dataclass(frozen=True)
class Benchmark:
    workflows: list[Workflow]  # shown, most audits first
    rows: list[BenchmarkRow]
    left_out: int  # workflows audited at a single vendor only
    more: int = 0  # shared workflows not shown (beyond BENCHMARK_WORKFLOWS)


@dataclass(frozen=True)
class RunProgress:
    """A sample run's audits: allocated and drawn (planned) against completed."""

    run: SampleRun
    allocated: int
    drawn: int
    completed: int
    url: str
    behind: bool

    @property
    def share_done(self) -> float | None:
        return self.completed / self.drawn if self.drawn else None


@dataclass(frozen=True)
class AuditorLoad:
    auditor: str
    audits: int
    seconds: int
    auditor_id: int | None = None
    # Disputes of the auditor's audits finalised in the period (None: none finalised).
    disputes: DisputeRate | None = None

    @property
    def hours(self) -> float:
        return round(self.seconds / 3600, 2)

    @property
    def per_hour(self) -> float | None:
        """Audits per hour spent scoring (None when no time was recorded)."""
        return round(self.audits * 3600 / self.seconds, 2) if self.seconds else None


@dataclass(frozen=True)
class FormTime:
    form: str
    audits: int
    seconds: int

    @property
    def mean_minutes(self) -> float:
        """Mean scoring time per audit, in minutes (to 0.1)."""
        return round(self.seconds / self.audits / 60, 1)


@dataclass
class Overview:
    page_query: PageQuery
    benchmark: Benchmark
    runs: list[RunProgress]
    auditors: list[AuditorLoad]
    forms: list[FormTime]
    red_flags: list[RedFlag] = field(default_factory=list)
    follow_ups: FollowUps | None = None


@dataclass(frozen=True)
class RollupSections:
    """The overview's parts that the rollups decide, with the page's query and the targets
    in effect: cached under the rollups' version (``scorecards.page_cache``). Runs, disputes,
    coaching, calibration, models and vendors' own QA change without the rollups: read live."""

    by_vendor: dict
    by_pair: dict
    benchmark: Benchmark
    assisted_by_vendor: dict
    auditors: list[AuditorLoad]
    forms: list[FormTime]
    out_of_control: list[RedFlag]


def program_overview(page_query: PageQuery, now: dt.datetime | None = None, *,
                     all_workflows: bool = False, viewer=None) -> Overview:
    """The program-wide overview of the query's period (its other filters do not narrow it), with
    the BENCHMARK_WORKFLOWS shared workflows with the most audits, or all of them."""
    now = now or timezone.now()
    period = page_query.period
    targets = targets_in_effect(period)
    parts = (*query_parts(page_query, viewer), ("all_workflows", all_workflows),
             ("targets", targets_parts(targets)))
    sections = cached_page("overview", parts,
                           lambda: rollup_sections(page_query, targets, all_workflows))
    runs = recent_runs(now)
    disputes = follow_ups(period, now)
    overview = Overview(
        page_query=page_query, benchmark=sections.benchmark, runs=runs,
        auditors=[replace(load, disputes=disputes.by_auditor.get(load.auditor_id))
                  for load in sections.auditors],
        forms=sections.forms,
        follow_ups=disputes,
    )
    overview.red_flags = [
        *_target_flags(page_query, targets, sections.by_vendor, sections.by_pair,
                       sections.assisted_by_vendor),
        *_run_flags(runs, now),
        *sections.out_of_control,
        *disputes.flags,
        *reliability_flags(now),
        # Audits of the last complete weeks (so the rollups) decide it; a rescore of tickets
        # shows within PAGE_CACHE_SECONDS.
        *cached_page("model-flags", [("week", last_complete_week(now))], lambda: model_flags(now)),
        *over_reporting_flags(page_query, sections.by_vendor),
    ]
    return overview


def rollup_sections(page_query: PageQuery, targets: list[ContractTarget],
                    all_workflows: bool) -> RollupSections:
    """The benchmark, auditor loads, form times and out-of-control weeks of the period."""
    period = page_query.period
    policy = ContractTarget.Metric.POLICY_ACCURACY
    scope = Scope(period=period)
    by_vendor = domain_outcomes(
        scope, by="vendor", confidence=page_query.confidence,
        categories=any(t.metric == policy and t.workflow_id is None for t in targets))
    assisted_by_vendor = assisted_outcomes(scope, by="vendor", confidence=page_query.confidence)
    ranked, left_out = shared_workflows(period)
    shown = ranked if all_workflows else ranked[:BENCHMARK_WORKFLOWS]
    by_pair = pair_outcomes(
        scope, page_query.confidence, workflows=shown,
        pairs={(t.vendor_id, t.workflow_id) for t in targets if t.workflow_id},
        policy_pairs={(t.vendor_id, t.workflow_id) for t in targets
                      if t.workflow_id and t.metric == policy},
    )
    benchmark = _benchmark(page_query, by_vendor, by_pair, shown, left_out,
                           more=len(ranked) - len(shown), assisted=assisted_by_vendor)
    return RollupSections(
        by_vendor=by_vendor, by_pair=by_pair, benchmark=benchmark,
        assisted_by_vendor=assisted_by_vendor,
        auditors=auditor_loads(period.first, period.end),
        forms=form_times(period.first, period.end),
        out_of_control=out_of_control_flags(page_query),
    )


def scorecard_url(page_query: PageQuery, vendor: Vendor, workflow: Workflow | None = None) -> str:
    """The vendor's scorecard for the same period (narrowed to ``workflow`` if given)."""
    path = reverse("scorecards:scorecard", kwargs={"vendor": vendor.slug})
    return f"{path}?{scorecard_query(page_query, workflow)}"


def scorecard_query(page_query: PageQuery, workflow: Workflow | None = None) -> str:
    """The query string of ``scorecard_url``: the same period, narrowed to ``workflow``."""
    return page_query.url_query(vendor=None, site=None, agent=None,
                                workflow=workflow.slug if workflow else None)


def shared_workflows(period) -> tuple[list[int], int]:
    """Workflows audited at MIN_VENDORS_TO_COMPARE or more vendors, most audits first, and how
    many only one vendor works. One grouped read of the vendor cells, no estimates."""
    pairs = (VendorCell.objects.filter(week__gte=period.first, week__lte=period.last)
             .order_by().values_list("vendor_id", "workflow_id").annotate(n=Sum("audited")))
    vendors, audits = Counter(), Counter()
    for _vendor, workflow, n in pairs:
        vendors[workflow] += 1
        audits[workflow] += n
    shared = [w for w, n in vendors.items() if n >= MIN_VENDORS_TO_COMPARE]
    return sorted(shared, key=lambda w: (-audits[w], w)), len(vendors) - len(shared)


def pair_outcomes(scope: Scope, confidence: float, *, workflows: list[int],
                  pairs: set[tuple[int, int]], policy_pairs: set[tuple[int, int]]) -> dict:
    """Vendor × workflow outcomes on ``workflows`` and for the targets' ``pairs``, with error
    categories only for ``policy_pairs``. At most two ``domain_outcomes`` calls."""
    wanted = Q(workflow_id__in=workflows) if workflows else Q()
    for vendor, workflow in pairs - policy_pairs:
        wanted |= Q(vendor_id=vendor, workflow_id=workflow)
    by_pair = {}
    if wanted:
        by_pair = domain_outcomes(PairScope(scope.period, pairs=wanted), by=("vendor", "workflow"),
                                  confidence=confidence)
    if policy_pairs:
        with_categories = Q()
        for vendor, workflow in policy_pairs:
            with_categories |= Q(vendor_id=vendor, workflow_id=workflow)
        by_pair.update(domain_outcomes(PairScope(scope.period, pairs=with_categories),
                                       by=("vendor", "workflow"), categories=True,
                                       confidence=confidence))
    return by_pair


@dataclass(frozen=True)
class PairScope(Scope):
    """The program-wide scope narrowed to some vendor × workflow pairs: fewer domains, not a
    smaller sample (n_h is still read over all cells), so each estimate is unchanged."""

    pairs: Q = field(default_factory=Q)

    def cells(self) -> Q:
        return super().cells() & self.pairs


def _benchmark(page_query: PageQuery, by_vendor: dict, by_pair: dict, shown: list[int],
               left_out: int, more: int, assisted: dict) -> Benchmark:
    found = Workflow.objects.in_bulk(shown) if shown else {}
    workflows = [found[pk] for pk in shown]
    # Built once per workflow, not per cell: a large matrix has hundreds of cells.
    narrowed = {workflow.pk: scorecard_query(page_query, workflow) for workflow in workflows}
    rows = []
    for vendor in Vendor.objects.filter(pk__in=list(by_vendor)).order_by("name"):
        path = reverse("scorecards:scorecard", kwargs={"vendor": vendor.slug})
        rows.append(BenchmarkRow(
            vendor=vendor, overall=by_vendor[vendor.pk], url=scorecard_url(page_query, vendor),
            cells=[BenchmarkCell(workflow, by_pair.get((vendor.pk, workflow.pk)),
                                 f"{path}?{narrowed[workflow.pk]}")
                   for workflow in workflows],
            assisted=assisted_rate(assisted.get(vendor.pk), "accuracy"),
        ))
    return Benchmark(workflows=workflows, rows=rows, left_out=left_out, more=more)


def recent_runs(now: dt.datetime) -> list[RunProgress]:
    """The latest RECENT_RUNS ticket-sample runs with planned and completed audits, in three
    queries summing only the runs shown (a program keeps years of runs). Re-audit runs are
    not vendor work: their progress is on their own page."""
    runs = list(SampleRun.objects.filter(plan__kind=SamplingPlan.Kind.TICKETS)
                .select_related("plan").order_by("-created_at", "-id")[:RECENT_RUNS])
    ids = [run.pk for run in runs]
    planned = {row[0]: row[1:] for row in (
        SampleStratum.objects.filter(run__in=ids).order_by().values("run")
        .annotate(allocated=Sum("allocated"), drawn=Sum("drawn"))
        .values_list("run", "allocated", "drawn"))}
    completed = dict(StratumTotal.objects.filter(run__in=ids).order_by().values("run")
                     .annotate(done=Sum("audited")).values_list("run", "done"))
    progress = []
    for run in runs:
        allocated, drawn = planned.get(run.pk, (0, 0))
        done = completed.get(run.pk, 0)
        late = (run.status == SampleRun.Status.DONE and run.finished_at is not None
                and run.finished_at < now - RUN_GRACE)
        progress.append(RunProgress(
            run=run, allocated=allocated, drawn=drawn, completed=done,
            url=reverse("sampling:run_detail", args=[run.pk]),
            behind=late and drawn > 0 and done < RUN_BEHIND_SHARE * drawn,
        ))
    return progress


def auditor_loads(first: dt.date, last: dt.date) -> list[AuditorLoad]:
    """Per auditor: audits submitted on days first…last (UTC), time spent and audits per
    hour, summed from the auditor-days (one grouped query)."""
    rows = (AuditorDay.objects.filter(day__gte=first, day__lte=last).order_by()
            .values("auditor_id", "auditor__email")
            .annotate(audits=Sum("audits"), seconds=Sum("seconds"))
            .order_by("-audits", "auditor__email"))
    return [AuditorLoad(row["auditor__email"], row["audits"], row["seconds"] or 0,
                        auditor_id=row["auditor_id"])
            for row in rows]


def form_times(first: dt.date, last: dt.date) -> list[FormTime]:
    """Per audit form: audits submitted on days first…last (UTC) and their mean time (the
    rollup keeps sums, so no median). One grouped query."""
    rows = (AuditorDay.objects.filter(day__gte=first, day__lte=last).order_by()
            .values("form_id", "form__name")
            .annotate(audits=Sum("audits"), seconds=Sum("seconds"))
            .order_by("form__name", "form_id"))
    return [FormTime(row["form__name"], row["audits"], row["seconds"] or 0) for row in rows]


def _target_flags(page_query: PageQuery, targets: list[ContractTarget], by_vendor: dict,
                  by_pair: dict, assisted_by_vendor: dict) -> list[RedFlag]:
    """Contract targets a vendor misses significantly (inconclusive ones are not flags: the
    scorecard says how many more audits would decide them). A target over all workflows is
    judged as the vendor's scorecard judges it: on the AI-assisted estimate where the vendor
    has one (``chosen_estimate``), and the flag says so."""
    flags = []
    for target in targets:
        if target.workflow_id is None:
            outcome = by_vendor.get(target.vendor_id)
            estimate, basis = chosen_estimate(
                outcome, assisted_by_vendor.get(target.vendor_id), target.metric)
        else:
            outcome = by_pair.get((target.vendor_id, target.workflow_id))
            estimate, basis = (outcome.metric(target.metric) if outcome else None), "classical"
        if estimate is None:
            continue
        found = verdict(estimate, float(target.target), target.direction)
        if found.kind != BELOW:
            continue
        where = f" on {target.workflow.name}" if target.workflow else ""
        on = " (the AI-assisted estimate)" if basis == "AI-assisted" else ""
        flags.append(RedFlag("target", (
            f"{target.vendor.name}: {METRIC_WORDS[target.metric]}{where} is "
            f"{_percent(estimate.p)} ({_percent(estimate.low)} – {_percent(estimate.high)}){on}, "
            f"{found.text}; the contract asks for {target.get_direction_display()} "
            f"{_percent(float(target.target))}."
        ), scorecard_url(page_query, target.vendor, target.workflow)))
    return flags


def _run_flags(runs: list[RunProgress], now: dt.datetime) -> list[RedFlag]:
    return [
        RedFlag("run", (
            f"Run {progress.run.pk} of {progress.run.plan.name}: {progress.completed} of "
            f"{progress.drawn} audits done ({_percent(progress.share_done)}) "
            f"{(now - progress.run.finished_at).days} days after the draw."
        ), progress.url)
        for progress in runs if progress.behind
    ]


def out_of_control_flags(page_query: PageQuery) -> list[RedFlag]:
    """Weeks of the period with a vendor's error rate above its p-chart's upper limit over the
    TREND_WEEKS ending with the period, every vendor from one grouped read. A week below the
    lower limit went better than usual: not a red flag."""
    span = trend_span(page_query.period, TREND_WEEKS)
    outcomes = domain_outcomes(Scope(period=span), by=("vendor", "week"),
                               confidence=page_query.confidence)
    series: dict[int, dict[dt.date, DomainOutcome]] = defaultdict(dict)
    for (vendor, week), outcome in outcomes.items():
        series[vendor][week] = outcome
    in_period = set(page_query.period.weeks)  # the flags of a page belong to its period
    flagged = {
        vendor: [point for point in control_series(span, weeks)
                 if point.signal == "above" and point.week in in_period]
        for vendor, weeks in series.items()
    }
    flagged = {vendor: points for vendor, points in flagged.items() if points}
    vendors = Vendor.objects.in_bulk(list(flagged)) if flagged else {}
    flags = []
    for vendor in sorted(vendors.values(), key=lambda v: v.name):
        url = (f"{reverse('scorecards:trends')}?"
               f"{page_query.url_query(vendor=vendor.slug, site=None, agent=None, workflow=None)}")
        for point in flagged[vendor.pk]:
            flags.append(RedFlag("out_of_control", (
                f"{vendor.name}: the error rate of week {point.label} "
                f"({_percent(point.error_rate.p)}, n {point.audits}) is above the p-chart's "
                f"upper limit ({_percent(point.ucl)}): out of control."
            ), url))
    return flags
