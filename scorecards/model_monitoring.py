"""Watching the models that score tickets (``Ticket.ai_score``, named by ``Ticket.ai_model``): on
the finalised audits of scored tickets, each period's AUC, Brier score and calibration with
their intervals, the latest period's reliability diagram, whether the recent weeks are
significantly worse than the weeks before (the "model degraded" red flag), the λ each stratum of
the latest run gives the AI-assisted estimate, and the error rates of automated and manual
decisions. The arithmetic is ``sampling.stats``; here are the queries.
Docs: docs/statistics.md#watching-the-model.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Case, Count, DateField, F, FloatField, Max, Q, Sum, Value, When
from django.db.models.functions import Round, TruncWeek

from audits.models import VENDOR_WORK, Audit, AuditStatus
from rollups.cells import RISK_WEIGHTED
from rollups.estimates import Scope, audit_domain_outcomes, complement
from rollups.periods import Period
from sampling import stats

# Scores are grouped to the thousandth in the database, so a period costs at most about
# 2,000 rows whatever its audits; AUC, Brier and the bins are computed on those values.
SCORE_STEPS = 1000
# The chart shows this many periods ending with the one the page is on.
CHART_PERIODS = 12
# A period's AUC needs this many failed and as many passed audits (else "too few").
MIN_EACH_OUTCOME = 5
# The degradation test compares the RECENT_WEEKS ending with a week against the
# REFERENCE_WEEKS before them.
RECENT_WEEKS = 4
REFERENCE_WEEKS = 12
KINDS = {"week": "Week", "month": "Month"}

# Finalised audits of vendor work whose ticket had a score, but those of risk-weighted
# strata: all the model is measured on. A risk-weighted plan draws tickets for their scores
# (π_i grows with ŷ), so its audits over-represent high scores: pooled unweighted with the
# rest they would move the AUC, the Brier score and the calibration for a reason that is the
# design, not the model. They are counted apart (``ModelWatch.risk_weighted``).
SCORED_FINAL = Q(VENDOR_WORK, status=AuditStatus.FINAL, ticket__ai_score__isnull=False)
MEASURED = SCORED_FINAL & (Q(sampled_ticket__isnull=True)
                           | Q(sampled_ticket__stratum__risk_weighted=False))
FAILED = Q(passed=False)


@dataclass(frozen=True)
class ModelSummary:
    name: str
    audits: int
    latest: dt.date  # the last day a measured audit's ticket was handled


@dataclass
class Outcomes:
    """A set of measured audits as arrays: y (1 failed) and the model's scores."""

    y: list = field(default_factory=list)
    scores: list = field(default_factory=list)

    def add(self, failed: bool, score: float, count: int) -> None:
        self.y.extend([1.0 if failed else 0.0] * count)
        self.scores.extend([score] * count)

    def extend(self, other: Outcomes) -> None:
        self.y.extend(other.y)
        self.scores.extend(other.scores)

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def failures(self) -> int:
        return int(sum(self.y))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.y, dtype=float), np.asarray(self.scores, dtype=float)


@dataclass(frozen=True)
class PeriodQuality:
    """One period's measures; None where too few audits allow one."""

    period: Period
    audits: int
    failures: int
    auc: stats.ScoreQuality | None
    brier: stats.ScoreQuality | None
    ece: float | None
    calibration: stats.CalibrationInTheLarge | None
    mean_score: float | None


@dataclass(frozen=True)
class StratumLambda:
    label: str
    audits: int
    failures: int
    rho: float | None
    lam: float


@dataclass(frozen=True)
class AutomationRate:
    label: str
    audits: int
    error_rate: stats.Estimate | None


@dataclass(frozen=True)
class DegradationCheck:
    model: str
    recent: tuple[dt.date, dt.date]  # first Monday, last Sunday
    reference: tuple[dt.date, dt.date]
    recent_audits: int
    reference_audits: int
    result: stats.Degradation | None  # None: a window had too few audits to test

    @property
    def degraded(self) -> bool:
        return self.result is not None and self.result.degraded

    @property
    def auc_p_text(self) -> str:
        return p_value_text(self.result.auc_p) if self.result else ""

    @property
    def calibration_p_text(self) -> str:
        return p_value_text(self.result.calibration_p) if self.result else ""


def p_value_text(p: float | None) -> str:
    """0.01873 -> "0.0187"; below 0.0001 "< 0.0001" rather than a bare 0.0000."""
    if p is None:
        return ""
    return "< 0.0001" if p < 0.0001 else f"{p:.4f}"


def measured_audits(model: str | None = None):
    audits = Audit.objects.filter(MEASURED)
    return audits if model is None else audits.filter(ticket__ai_model=model)


def models() -> list[ModelSummary]:
    """Every model with measured audits, most audits first (one grouped query)."""
    rows = (
        measured_audits()
        .order_by()
        .values("ticket__ai_model")
        .annotate(n=Count("pk"), latest=Max("ticket__handled_at"))
        .order_by("-n", "ticket__ai_model")
    )
    return [ModelSummary(row["ticket__ai_model"], row["n"], row["latest"].date()) for row in rows]


def _week():
    return TruncWeek("ticket__handled_at", output_field=DateField(), tzinfo=dt.UTC)


def _handled_in(first: dt.date, last_monday: dt.date) -> Q:
    start = dt.datetime.combine(first, dt.time(), dt.UTC)
    stop = dt.datetime.combine(last_monday + dt.timedelta(days=7), dt.time(), dt.UTC)
    return Q(ticket__handled_at__gte=start, ticket__handled_at__lt=stop)


def outcomes_by_week(
    audits, first: dt.date, last_monday: dt.date, *, by_model: bool = False
) -> dict:
    """{week (Monday): Outcomes} of ``audits`` whose ticket was handled in the weeks
    ``first`` … ``last_monday`` (or {(model, week): Outcomes}), from one grouped query of
    (week, outcome, score to the thousandth, count)."""
    keys = ["ticket__ai_model", "week"] if by_model else ["week"]
    rows = (
        audits.filter(_handled_in(first, last_monday))
        .order_by()
        .annotate(
            week=_week(),
            step=Round(F("ticket__ai_score") * SCORE_STEPS),
            failed=Case(When(FAILED, then=Value(True)), default=Value(False)),
        )
        .values(*keys, "failed", "step")
        .annotate(n=Count("pk"))
    )
    out: dict = defaultdict(Outcomes)
    for row in rows:
        key = (row["ticket__ai_model"], row["week"]) if by_model else row["week"]
        out[key].add(row["failed"], row["step"] / SCORE_STEPS, row["n"])
    return out


def period_quality(period: Period, outcomes: Outcomes, confidence: float) -> PeriodQuality:
    if not outcomes.n:
        return PeriodQuality(period, 0, 0, None, None, None, None, None)
    y, scores = outcomes.arrays()
    failures = outcomes.failures
    auc = (
        stats.auc_delong(y, scores, confidence)
        if min(failures, outcomes.n - failures) >= MIN_EACH_OUTCOME
        else None
    )
    enough = outcomes.n >= 2
    return PeriodQuality(
        period=period,
        audits=outcomes.n,
        failures=failures,
        auc=auc,
        brier=stats.brier_score(y, scores, confidence) if enough else None,
        ece=stats.expected_calibration_error(stats.calibration_bins(y, scores)),
        calibration=stats.calibration_in_the_large(y, scores) if enough else None,
        mean_score=float(scores.mean()),
    )


def periods_ending(last: Period, count: int = CHART_PERIODS) -> list[Period]:
    periods = [last]
    while len(periods) < count:
        periods.insert(0, periods[0].previous())
    return periods


def quality_series(
    model: str, periods: list[Period], confidence: float
) -> tuple[list[PeriodQuality], dict]:
    """Each period's measures, and the weeks' outcomes they were made of."""
    weeks = outcomes_by_week(measured_audits(model), periods[0].first, periods[-1].last)
    series = []
    for period in periods:
        outcomes = Outcomes()
        for week in period.weeks:
            if week in weeks:
                outcomes.extend(weeks[week])
        series.append(period_quality(period, outcomes, confidence))
    return series, weeks


def windows(last_monday: dt.date) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """(recent, reference) as (first Monday, last Monday): the RECENT_WEEKS ending with
    ``last_monday`` and the REFERENCE_WEEKS before them."""
    recent_first = last_monday - dt.timedelta(weeks=RECENT_WEEKS - 1)
    reference_last = recent_first - dt.timedelta(weeks=1)
    return (
        (recent_first, last_monday),
        (reference_last - dt.timedelta(weeks=REFERENCE_WEEKS - 1), reference_last),
    )


def degradation_checks(last_monday: dt.date, model: str | None = None) -> list[DegradationCheck]:
    """The degradation test of every model (or one) for the recent window ending with the week
    of ``last_monday``: one grouped query for all models."""
    recent, reference = windows(last_monday)
    audits = measured_audits(model)
    weeks = outcomes_by_week(audits, reference[0], recent[1], by_model=True)
    split: dict[str, tuple[Outcomes, Outcomes]] = defaultdict(lambda: (Outcomes(), Outcomes()))
    for (name, week), outcomes in weeks.items():
        split[name][0 if week < recent[0] else 1].extend(outcomes)
    checks = []
    for name in sorted(split):
        ref, new = split[name]
        result = None
        if ref.n >= 2 and new.n >= 2:
            result = stats.degradation_test(ref.arrays(), new.arrays())
            result = result if result.tested else None
        checks.append(
            DegradationCheck(
                name,
                (recent[0], recent[1] + dt.timedelta(days=6)),
                (reference[0], reference[1] + dt.timedelta(days=6)),
                new.n,
                ref.n,
                result,
            )
        )
    return checks


def stratum_lambdas(model: str) -> tuple[int | None, list[StratumLambda]]:
    """The latest sample run with measured audits of ``model`` and, per stratum, ρ and the
    power-tuning λ its audits give (``stats.power_tuning_lambda``): two queries."""
    audits = measured_audits(model).filter(sampled_ticket__isnull=False)
    run = (
        audits.order_by("-sampled_ticket__run_id")
        .values_list("sampled_ticket__run_id", flat=True)
        .first()
    )
    if run is None:
        return None, []
    score = F("ticket__ai_score")
    rows = (
        audits.filter(sampled_ticket__run_id=run)
        .order_by()
        .values(
            "sampled_ticket__stratum_id",
            "sampled_ticket__stratum__label",
            "sampled_ticket__stratum__position",
        )
        .annotate(
            n=Count("pk"),
            y=Count("pk", filter=FAILED),
            f=Sum(score),
            f2=Sum(score * score),
            yf=Sum(Case(When(FAILED, then=score), default=Value(0.0), output_field=FloatField())),
        )
        .order_by("sampled_ticket__stratum__position")
    )
    return run, [
        StratumLambda(
            row["sampled_ticket__stratum__label"],
            row["n"],
            row["y"],
            stats.score_correlation(row["n"], row["y"], row["f"], row["f2"], row["yf"]),
            stats.power_tuning_lambda(row["n"], row["y"], row["f"], row["f2"], row["yf"]),
        )
        for row in rows
    ]


def automation_rates(period: Period, confidence: float) -> list[AutomationRate]:
    """Error rates of manual and of automated decisions in ``period``: each a domain of the
    sample runs' strata, estimated like every scorecard rate, risk-weighted strata included
    with their audits' weights 1/π (``rollups.estimates.audit_domain_outcomes``, one query)."""
    outcomes = audit_domain_outcomes(Audit.objects.filter(Scope(period).audits()),
                                     "ticket__automated", (period.first, period.last),
                                     confidence)
    rates = []
    for automated, label in ((False, "Manual decisions"), (True, "Automated decisions")):
        outcome = outcomes.get(automated)
        # Like the scorecards, no rate below MIN_AUDITS audits.
        accuracy = outcome.accuracy if outcome else None
        rates.append(AutomationRate(label, outcome.audits if outcome else 0,
                                    complement(accuracy) if accuracy else None))
    return rates


@dataclass
class ModelWatch:
    """What the model-monitoring page shows for one model and period."""

    model: ModelSummary
    period: Period
    series: list[PeriodQuality]
    bins: list[stats.CalibrationBin]
    unscored: int  # finalised audits of the period whose ticket had no score
    risk_weighted: int  # finalised scored audits of the period from risk-weighted strata
    check: DegradationCheck | None
    run: int | None
    strata: list[StratumLambda]
    automation: list[AutomationRate]

    @property
    def current(self) -> PeriodQuality:
        return self.series[-1]


def model_watch(model: ModelSummary, period: Period, confidence: float = 0.95) -> ModelWatch:
    """Everything the page shows: about ten queries, none per period or stratum."""
    series, weeks = quality_series(model.name, periods_ending(period), confidence)
    latest = Outcomes()
    for week in period.weeks:
        if week in weeks:
            latest.extend(weeks[week])
    bins = stats.calibration_bins(*latest.arrays(), confidence=confidence) if latest.n else []
    in_period = _handled_in(period.first, period.last)
    unscored = Audit.objects.filter(
        VENDOR_WORK, in_period, status=AuditStatus.FINAL, ticket__ai_score__isnull=True
    ).count()
    risk_weighted = Audit.objects.filter(
        SCORED_FINAL, RISK_WEIGHTED, in_period, ticket__ai_model=model.name
    ).count()
    checks = degradation_checks(period.last, model.name)
    run, strata = stratum_lambdas(model.name)
    return ModelWatch(
        model,
        period,
        series,
        bins,
        unscored,
        risk_weighted,
        checks[0] if checks else None,
        run,
        strata,
        automation_rates(period, confidence),
    )
