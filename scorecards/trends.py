"""Trends: is quality moving, and is a move real or noise? The weekly series of a scope with its
p-chart, the last week against the one before, and each vendor against a reference vendor, all
from domain estimates; "better" or "worse" only when significant.
Derivation: docs/statistics.md#p-chart and docs/statistics.md#comparing-two-rates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils import timezone

from accounts.formats import percent as _percent
from accounts.formats import points
from rollups.assisted import AssistedRate, assisted_outcomes, assisted_rate
from rollups.estimates import DomainOutcome, Scope, complement, domain_outcomes
from rollups.periods import Period, PeriodInvalid, monday
from sampling import stats
from vendors.models import Vendor

from .query import PageQuery

WEEKS = 12
WEEKS_RANGE = (4, 52)


@dataclass(frozen=True)
class WeekPoint:
    """One ISO week of a scope: audits, estimates (None below MIN_AUDITS) and p-chart place."""

    week: dt.date  # the Monday (UTC)
    audits: int
    accuracy: stats.Estimate | None = None
    error_rate: stats.Estimate | None = None
    control_n: float | None = None  # the size the p-chart gives the week (effective)
    center: float | None = None
    lcl: float | None = None
    ucl: float | None = None
    signal: str = ""  # "above" the upper limit, "below" the lower one, or ""
    # The week's AI-assisted accuracy where its audits carry the model's scores
    # (rollups.assisted); the p-chart stays on the classical rates.
    assisted: AssistedRate | None = None

    @property
    def label(self) -> str:
        year, week, _ = self.week.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def enough(self) -> bool:
        return self.accuracy is not None

    @property
    def out_of_control(self) -> bool:
        return bool(self.signal)


def read_weeks(query: Mapping[str, str]) -> int:
    """The ``weeks`` query parameter (WEEKS_RANGE, default WEEKS), or PeriodInvalid naming it."""
    raw = query.get("weeks") or str(WEEKS)
    low, high = WEEKS_RANGE
    # ASCII digits only: "²" is a digit to str.isdigit() but not to int().
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise PeriodInvalid(f"weeks: {raw!r} is not a whole number from {low} to {high}")
    return int(raw)


def trend_span(period: Period, weeks: int = WEEKS, today: dt.date | None = None) -> Period:
    """The ``weeks`` ISO weeks ending with the period's last week, or with this week when the
    period runs into the future (a trend is history)."""
    last = min(period.last, monday(today or timezone.now().date()))
    return Period("custom", last - dt.timedelta(weeks=weeks - 1), last)


def weekly_series(page_query: PageQuery, weeks: int = WEEKS) -> list[WeekPoint]:
    """Every week of ``trend_span`` for the query's scope, oldest first (weeks without audits
    too), with estimates, p-chart limits and, where a week has one, its AI-assisted accuracy.
    Four queries."""
    span = trend_span(page_query.period, weeks)
    scope = dataclasses.replace(page_query.scope, period=span)
    outcomes = domain_outcomes(scope, by="week", confidence=page_query.confidence)
    assisted = assisted_outcomes(scope, by="week", confidence=page_query.confidence)
    return [
        dataclasses.replace(point, assisted=rate)
        if point.enough and (rate := assisted_rate(assisted.get(point.week), "accuracy")) else point
        for point in control_series(span, outcomes)
    ]


def control_series(span: Period, outcomes: Mapping[dt.date, DomainOutcome]) -> list[WeekPoint]:
    """Every week of ``span`` from its outcome (by week), with the p-chart's limits."""
    return with_control_limits([week_point(week, outcomes.get(week)) for week in span.weeks])


def week_point(week: dt.date, outcome: DomainOutcome | None) -> WeekPoint:
    """A week of a series: no rate below MIN_AUDITS, the error rate as 1 - accuracy."""
    if outcome is None:
        return WeekPoint(week=week, audits=0)
    if outcome.accuracy is None:
        return WeekPoint(week=week, audits=outcome.audits)
    return WeekPoint(week=week, audits=outcome.audits, accuracy=outcome.accuracy,
                     error_rate=complement(outcome.accuracy))


def control_size(estimate: stats.Estimate) -> float:
    """A week's size on the p-chart: its effective size, or its audits when it is a census (no
    sampling error, but the process still varies from ticket to ticket)."""
    return estimate.n if math.isinf(estimate.effective_n) else estimate.effective_n


def with_control_limits(points: Sequence[WeekPoint]) -> list[WeekPoint]:
    """The points with the p-chart of their error rate (Montgomery 2009 §7.2.2), each week
    entering as a binomial sample of its effective size; trial limits from every week shown.
    """
    charted = [i for i, point in enumerate(points) if point.error_rate is not None]
    if not charted:
        return list(points)
    sizes = [control_size(points[i].error_rate) for i in charted]
    defectives = [points[i].error_rate.p * size for i, size in zip(charted, sizes, strict=True)]
    center, lcl, ucl = stats.p_chart(defectives, sizes)
    result = list(points)
    for i, size, low, high in zip(charted, sizes, lcl, ucl, strict=True):
        rate = points[i].error_rate.p
        signal = "above" if rate > high else "below" if rate < low else ""
        result[i] = dataclasses.replace(points[i], control_n=size, center=center,
                                        lcl=float(low), ucl=float(high), signal=signal)
    return result


# --- comparisons ------------------------------------------------------------------------------


def confidence_label(confidence: float) -> str:
    return f"{confidence * 100:g}%"


def verdict(comparison: stats.Comparison, *, unchanged: str = "no significant change") -> str:
    """Words for a comparison of accuracies (a − b): "better" or "worse" only when significant,
    otherwise ``unchanged``."""
    if not comparison.significant:
        return unchanged
    direction = "better" if comparison.difference > 0 else "worse"
    return f"{direction} (significant at {confidence_label(comparison.confidence)})"


@dataclass(frozen=True)
class WeekChange:
    """The last week of a series against the week before it (accuracy, last − previous)."""

    week: WeekPoint
    previous: WeekPoint
    comparison: stats.Comparison | None
    words: str

    @property
    def sentence(self) -> str:
        """What the page says, in one sentence with the numbers behind the words."""
        head = f"Week {self.week.label} against week {self.previous.label}"
        if self.comparison is None:
            return f"{head}: {self.words}."
        c = self.comparison
        return (
            f"{head}: accuracy {_percent(self.week.accuracy.p)} against "
            f"{_percent(self.previous.accuracy.p)}"
            f", a change of {points(c.difference)} ({confidence_label(c.confidence)} interval "
            f"{points(c.low)} to {points(c.high)}, p = {c.p_value:.3f}): {self.words}. "
            f"The error rate moved the other way ({points(-c.difference)})."
        )


def week_over_week(series: Sequence[WeekPoint], confidence: float) -> WeekChange | None:
    """The last week against the one before (None with fewer than two weeks); says so when
    either week has too few audits to test."""
    if len(series) < 2:
        return None
    previous, week = series[-2], series[-1]
    short = [p.label for p in (previous, week) if not p.enough]
    if short:
        return WeekChange(week=week, previous=previous, comparison=None,
                          words=f"cannot compare: too few audits in week {' and '.join(short)}")
    comparison = stats.compare_estimates(week.accuracy, previous.accuracy, confidence)
    return WeekChange(week=week, previous=previous, comparison=comparison,
                      words=verdict(comparison))


@dataclass(frozen=True)
class VendorRow:
    """A vendor's accuracy against the reference vendor's (None for the reference itself and for
    too few audits)."""

    vendor: Vendor
    audits: int
    accuracy: stats.Estimate | None
    comparison: stats.Comparison | None
    words: str

    @property
    def difference(self) -> str:
        """The difference and its interval in points, as the page writes them."""
        c = self.comparison
        return "" if c is None else f"{points(c.difference)} ({points(c.low)} to {points(c.high)})"


@dataclass(frozen=True)
class VendorComparison:
    reference: Vendor | None
    rows: list[VendorRow]
    explanation: str


def vendor_comparison(page_query: PageQuery) -> VendorComparison:
    """Every vendor's accuracy in the period on the page's workflow (sites and agents belong to
    one vendor), each against one reference: the page's vendor, else the one with the most
    audits, the best-measured. Vendors by name; three queries."""
    scope = Scope(period=page_query.period, workflow=page_query.scope.workflow)
    outcomes = domain_outcomes(scope, by="vendor", confidence=page_query.confidence)
    vendors = Vendor.objects.filter(pk__in=list(outcomes)).order_by("name", "pk")
    measured = [o for o in outcomes.values() if o.accuracy is not None]
    if page_query.vendor is not None:
        reference_id = page_query.vendor.pk
        how = f"Each vendor against {page_query.vendor.name}, the vendor chosen above"
    elif measured:
        reference_id = max(measured, key=lambda o: (o.audits, -o.key)).key
        how = "Each vendor against the vendor with the most audits in the period"
    else:
        reference_id, how = None, "No vendor has enough audits in the period to compare"
    reference = outcomes.get(reference_id)
    confidence = page_query.confidence
    rows, reference_vendor = [], None
    for vendor in vendors:
        outcome = outcomes[vendor.pk]
        comparison, words = None, "too few audits"
        if vendor.pk == reference_id:
            reference_vendor, words = vendor, "reference"
        elif outcome.accuracy is not None and reference and reference.accuracy is not None:
            comparison = stats.compare_estimates(outcome.accuracy, reference.accuracy,
                                                 confidence)
            words = verdict(comparison, unchanged="no significant difference")
        elif outcome.accuracy is not None:
            words = "reference has too few audits"
        rows.append(VendorRow(vendor=vendor, audits=outcome.audits, accuracy=outcome.accuracy,
                              comparison=comparison, words=words))
    if page_query.vendor is not None and reference_vendor is None:
        reference_vendor = page_query.vendor
        how += " (no audits in the period)"
    return VendorComparison(reference=reference_vendor, rows=rows, explanation=how + ".")
