"""The trends page: weekly accuracy with its band, the p-chart of the error rate, week over
week and vendor against vendor. The numbers come from ``scorecards.trends``; this module only
reads the query, lays the numbers out as tables (each chart's table is also its download)
and draws the charts."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import render
from django.utils.safestring import mark_safe

from accounts.decorators import internal_page
from rollups.periods import PeriodInvalid

from . import charts
from .query import read_query
from .tables import Table, interval_columns, rate, table_response
from .trends import (
    WEEKS,
    VendorComparison,
    WeekPoint,
    read_weeks,
    trend_span,
    vendor_comparison,
    week_over_week,
    weekly_series,
)

TEMPLATE = "scorecards/trends.html"


@internal_page
def trends(request):
    try:
        page_query = read_query(request)
        weeks = read_weeks(request.GET)
    except PeriodInvalid as error:
        return render(request, TEMPLATE, {"error": str(error)}, status=400)
    series = weekly_series(page_query, weeks)
    vendors = vendor_comparison(page_query)
    tables = [weekly_table(series), control_table(series), vendor_table(vendors)]
    stem = f"trends-{page_query.vendor.slug if page_query.vendor else 'program'}"
    response = table_response(request, tables, f"{stem}-{page_query.period.label}")
    if response is not None:
        return response
    extra = {} if weeks == WEEKS else {"weeks": weeks}
    points = [charts.SeriesPoint(p.label, *_triple(p.accuracy)) for p in series]
    errors = [charts.SeriesPoint(p.label, *_triple(p.error_rate)) for p in series]
    center = next((p.center for p in series if p.center is not None), None)
    return render(request, TEMPLATE, {
        "page_query": page_query,
        "query": page_query.url_query(**extra),
        "scorecard_query": page_query.url_query(vendor=None, **extra),
        "vendor_query": page_query.url_query(vendor=None, site=None, agent=None, **extra),
        "weeks": weeks,
        "span": trend_span(page_query.period, weeks),
        "series": series,
        "flagged": [p for p in series if p.out_of_control],
        "assisted_weeks": [p for p in series if p.assisted],
        "change": week_over_week(series, page_query.confidence),
        "vendors": vendors,
        "tables": dict(zip(("weekly", "control", "vendors"), tables, strict=True)),
        "trend_svg": mark_safe(charts.trend_chart(points)),  # charts.py escapes every label
        "p_chart_svg": mark_safe(charts.p_chart_svg(
            errors, center, [p.lcl for p in series], [p.ucl for p in series],
            [p.out_of_control for p in series])),
        **_period_context(page_query, extra),
    })


def _triple(estimate) -> tuple:
    return (None, None, None) if estimate is None else (estimate.p, estimate.low, estimate.high)


def _period_context(page_query, extra: dict) -> dict:
    """The period picker's context, carrying ``weeks`` through its form and links."""
    context = page_query.period_context()
    if extra:
        context["keep"] = {**context["keep"], **extra}
        for name in ("previous_query", "next_query"):
            context[name] += "&" + urlencode(extra)
    return context


def weekly_table(series: list[WeekPoint]) -> Table:
    table = Table("weekly", "Accuracy by week", [
        "week", "week_start", "audits", "accuracy", "accuracy_low", "accuracy_high",
        "error_rate", "error_rate_low", "error_rate_high", "note", "accuracy_assisted",
        "accuracy_assisted_low", "accuracy_assisted_high"])
    for point in series:
        table.add(week=point.label, week_start=point.week, audits=point.audits,
                  **interval_columns("accuracy", point.accuracy),
                  **interval_columns("error_rate", point.error_rate),
                  note="" if point.enough else "too few audits",
                  **interval_columns("accuracy_assisted",
                                     point.assisted and point.assisted.estimate))
    return table


def control_table(series: list[WeekPoint]) -> Table:
    table = Table("control", "Error rate p-chart", [
        "week", "audits", "effective_n", "error_rate", "center_line", "lcl", "ucl", "signal"])
    for point in series:
        table.add(week=point.label, audits=point.audits,
                  effective_n=None if point.control_n is None else round(point.control_n, 1),
                  error_rate=rate(point.error_rate and point.error_rate.p),
                  center_line=rate(point.center), lcl=rate(point.lcl), ucl=rate(point.ucl),
                  signal={"above": "out of control: above UCL",
                          "below": "out of control: below LCL"}.get(point.signal, ""))
    return table


def vendor_table(comparison: VendorComparison) -> Table:
    table = Table("vendors", "Vendors compared", [
        "vendor", "audits", "accuracy", "accuracy_low", "accuracy_high", "difference",
        "difference_low", "difference_high", "p_value", "verdict"])
    for row in comparison.rows:
        c = row.comparison
        table.add(vendor=row.vendor.name, audits=row.audits,
                  **interval_columns("accuracy", row.accuracy),
                  difference=rate(c and c.difference), difference_low=rate(c and c.low),
                  difference_high=rate(c and c.high),
                  p_value=None if c is None else round(c.p_value, 4), verdict=row.words)
    return table

