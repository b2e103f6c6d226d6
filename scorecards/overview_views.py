"""The program overview page (``/scorecards/``, and the manager's home at ``/``).

Thin: reads the page's query, asks ``scorecards.overview`` for the numbers, and shows them
with one table per section, each downloadable as CSV or XLSX with the page's values.
``?workflows=all`` shows every shared workflow in the vendors-side-by-side matrix instead of
the BENCHMARK_WORKFLOWS with the most audits (and the benchmark download follows it).
"""

from __future__ import annotations

from django.shortcuts import render

from accounts.decorators import internal_page
from rollups.periods import PeriodInvalid

from .follow_ups import CALIBRATION_MIN_DECIDED, CALIBRATION_OVERTURN_SHARE
from .overview import BENCHMARK_WORKFLOWS, Overview, program_overview
from .query import read_query
from .tables import Table, rate, table_response

TEMPLATE = "scorecards/overview.html"


@internal_page
def overview(request):
    """All vendors side by side, sample runs, auditor productivity, disputes and coaching by
    vendor, and red flags."""
    try:
        page_query = read_query(request)
    except PeriodInvalid as error:
        return render(request, TEMPLATE, {"error": str(error)}, status=400)
    all_workflows = request.GET.get("workflows") == "all"
    result = program_overview(page_query, all_workflows=all_workflows, viewer=request.user)
    tables = overview_tables(result)
    download = table_response(request, tables, f"overview-{page_query.period.label}")
    if download is not None:
        return download
    return render(request, TEMPLATE, {
        "overview": result,
        "page_query": page_query,
        "query": page_query.url_query(),
        "all_workflows": all_workflows,
        "workflow_cap": BENCHMARK_WORKFLOWS,
        "benchmark_query": page_query.url_query() + ("&workflows=all" if all_workflows else ""),
        "tables": {table.name: table for table in tables},
        "calibration_min_decided": CALIBRATION_MIN_DECIDED,
        "calibration_share": CALIBRATION_OVERTURN_SHARE,
        **page_query.period_context(),
    })


def overview_tables(result: Overview) -> list[Table]:
    """One table per section, holding exactly the values the page shows."""
    benchmark = Table("benchmark", "Accuracy by vendor and workflow",
                      ["vendor", "workflow", "audits", "accuracy", "low", "high",
                       "accuracy_assisted", "assisted_low", "assisted_high"])
    for row in result.benchmark.rows:
        assisted = row.assisted.estimate if row.assisted else None
        for workflow, outcome, estimate in [
            ("All workflows", row.overall, assisted),
            *((cell.workflow.name, cell.outcome, None) for cell in row.cells),
        ]:
            accuracy = outcome.accuracy if outcome else None
            benchmark.add(vendor=row.vendor.name, workflow=workflow,
                          audits=outcome.audits if outcome else 0,
                          accuracy=rate(accuracy.p) if accuracy else None,
                          low=rate(accuracy.low) if accuracy else None,
                          high=rate(accuracy.high) if accuracy else None,
                          accuracy_assisted=rate(estimate and estimate.p),
                          assisted_low=rate(estimate and estimate.low),
                          assisted_high=rate(estimate and estimate.high))
    runs = Table("runs", "Sample runs: audits done against planned",
                 ["run", "plan", "status", "allocated", "drawn", "completed", "share_done"])
    for progress in result.runs:
        runs.add(run=progress.run.pk, plan=progress.run.plan.name,
                 status=progress.run.get_status_display(), allocated=progress.allocated,
                 drawn=progress.drawn, completed=progress.completed,
                 share_done=rate(progress.share_done))
    auditors = Table("auditors", "Auditor productivity",
                     ["auditor", "audits", "hours", "audits_per_hour", "finalised",
                      "dispute_rate", "decided", "overturn_rate"])
    for load in result.auditors:
        rates = load.disputes
        auditors.add(auditor=load.auditor, audits=load.audits, hours=load.hours,
                     audits_per_hour=load.per_hour,
                     finalised=rates.finalised if rates else 0,
                     dispute_rate=rate(rates.dispute_rate) if rates else None,
                     decided=rates.decided if rates else 0,
                     overturn_rate=rate(rates.overturn_rate) if rates else None)
    follow_ups = Table("disputes", "Disputes and coaching by vendor",
                       ["vendor", "finalised", "disputed", "dispute_rate", "decided",
                        "overturned", "overturn_rate", "disputes_open", "disputes_overdue",
                        "coaching_open", "coaching_overdue"])
    for row in result.follow_ups.vendors if result.follow_ups else []:
        follow_ups.add(vendor=row.vendor.name, finalised=row.finalised, disputed=row.disputed,
                       dispute_rate=rate(row.dispute_rate), decided=row.decided,
                       overturned=row.overturned, overturn_rate=rate(row.overturn_rate),
                       disputes_open=row.disputes.open, disputes_overdue=row.disputes.overdue,
                       coaching_open=row.coaching_open, coaching_overdue=row.coaching_overdue)
    forms = Table("forms", "Time per audit by form", ["form", "audits", "mean_minutes"])
    for time in result.forms:
        forms.add(form=time.form, audits=time.audits, mean_minutes=time.mean_minutes)
    flags = Table("flags", "Red flags", ["kind", "flag"])
    for flag in result.red_flags:
        flags.add(kind=flag.kind, flag=flag.text)
    return [benchmark, runs, auditors, forms, follow_ups, flags]
