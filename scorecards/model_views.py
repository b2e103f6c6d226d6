"""The model-monitoring page (``/scorecards/models/``): for QA staff, how well each model that
scores tickets foretold the audits, period by period. Thin: reads ``model``, ``period`` (week or
month) and ``date``, asks ``scorecards.model_monitoring``, draws the charts."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render
from django.utils.safestring import mark_safe

from accounts.decorators import internal_page
from risk_model.charts import calibration_svg
from rollups.periods import PeriodInvalid, period_from_query

from . import charts
from .model_monitoring import (
    CHART_PERIODS,
    KINDS,
    RECENT_WEEKS,
    REFERENCE_WEEKS,
    model_watch,
    models,
)

TEMPLATE = "scorecards/models.html"


def _point(quality, measure: str) -> charts.SeriesPoint:
    value = getattr(quality, measure)
    # "W38" rather than "Week 38, 2026": twelve labels must fit under the chart.
    period = quality.period
    label = (
        f"W{period.first.isocalendar()[1]}"
        if period.kind == "week"
        else (period.anchor.strftime("%b %Y"))
    )
    if value is None:
        return charts.SeriesPoint(label)
    return charts.SeriesPoint(label, value.value, value.low, value.high)


@internal_page
def model_monitoring(request):
    """One model's measures over the periods ending with the chosen one (by default the latest
    period holding its audits)."""
    summaries = models()
    if not summaries:
        return render(request, TEMPLATE, {"summaries": []})
    name = request.GET.get("model")
    chosen = next((m for m in summaries if m.name == name), None) if name else summaries[0]
    if chosen is None:
        raise Http404("No audits of tickets scored by that model.")
    kind = request.GET.get("period") or "week"
    try:
        if kind not in KINDS:
            raise PeriodInvalid(f"period: {kind!r} is not one of {', '.join(KINDS)}")
        period = period_from_query(
            {"period": kind, "date": request.GET.get("date", "")}, latest=chosen.latest
        )
    except PeriodInvalid as error:
        return render(request, TEMPLATE, {"error": str(error), "summaries": summaries}, status=400)
    watch = model_watch(chosen, period)
    keep = {"model": chosen.name, "period": kind}
    return render(
        request,
        TEMPLATE,
        {
            "summaries": summaries,
            "watch": watch,
            "kind": kind,
            "kinds": KINDS,
            "chart_periods": CHART_PERIODS,
            "recent_weeks": RECENT_WEEKS,
            "reference_weeks": REFERENCE_WEEKS,
            "previous_query": urlencode({**keep, "date": period.previous().anchor.isoformat()}),
            "next_query": (
                urlencode({**keep, "date": period.following().anchor.isoformat()})
                if period.following().first <= chosen.latest
                else ""
            ),
            "auc_svg": mark_safe(
                charts.trend_chart(  # charts.py escapes every label
                    [_point(q, "auc") for q in watch.series], title=f"AUC by {kind}", measure="AUC"
                )
            ),
            "brier_svg": mark_safe(
                charts.trend_chart(
                    [_point(q, "brier") for q in watch.series],
                    title=f"Brier score by {kind}",
                    measure="Brier score",
                )
            ),
            "reliability_svg": mark_safe(
                calibration_svg(watch.bins, title=f"Calibration, {period.label}",
                                name="reliability-chart")
            ),
        },
    )
