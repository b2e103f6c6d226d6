"""The partner portal's pages: a vendor POC's own scorecard, audits, disputes and coaching.

Thin: who the vendor is and what may be read is ``portal.selectors``; the numbers are the
scorecards' own functions. Every page is for vendor users only (internal staff get 404: they
have the full dashboards) and resolves the vendor through ``visible_to``, so a query naming
another vendor's site, workflow or agent is a 404 like any guessed id.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from accounts.scoping import visible_to
from audits import exports
from calibration.selectors import sessions_visible_to
from rollups.estimates import MIN_AUDITS
from rollups.periods import PeriodInvalid
from scorecards import charts
from scorecards import gaps as error_themes
from scorecards.query import PageQuery, read_query
from scorecards.scorecard import vendor_scorecard
from scorecards.tables import table_response
from scorecards.trend_views import weekly_table
from scorecards.trends import weekly_series
from vendors.models import Site, Workflow

from . import selectors

PAGE_SIZE = 50


def vendor_page(view):
    """Anonymous visitors log in; anyone but a vendor user gets 404. The view receives the
    POC's vendor (read through ``visible_to``)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        vendor = selectors.portal_vendor(request.user)
        return view(request, vendor, *args, **kwargs)

    return wrapped


def _query(request: HttpRequest, vendor) -> PageQuery:
    # The vendor is always the POC's own: a ``vendor`` parameter in the URL is ignored.
    return read_query(request, vendor_slug=vendor.slug)


def tab_query(page_query: PageQuery | None) -> str:
    """The query every portal tab link carries: the chosen period (and confidence), so
    moving between tabs keeps it. Site, workflow and filters stay with their page."""
    if page_query is None:
        return ""
    return page_query.url_query(vendor=None, site=None, workflow=None, agent=None)


def _period_of_tab(request: HttpRequest, vendor) -> PageQuery | None:
    """The period a tab without a period picker was opened with, to hand on to the next
    tab; a period that does not parse is simply not carried."""
    try:
        return _query(request, vendor)
    except PeriodInvalid:
        return None


def _invalid(request, template: str, vendor, error: Exception) -> HttpResponse:
    return render(request, template, {"vendor": vendor, "error": str(error)}, status=400)


@vendor_page
def home(request, vendor):
    """The vendor's scorecard for the period (headlines with intervals, contract verdicts,
    breakdown by site, workflow, then agent), its weekly trend and, if the program shows it,
    the anonymous program average. ``?format=csv|xlsx&table=metrics|breakdown|decisions|weekly``
    downloads a table."""
    template = "portal/home.html"
    try:
        page_query = _query(request, vendor)
    except PeriodInvalid as error:
        return _invalid(request, template, vendor, error)
    card = vendor_scorecard(page_query, viewer=request.user)
    series = weekly_series(page_query)
    metrics, breakdown, decisions = card.tables
    weekly = weekly_table(series)
    stem = f"scorecard-{vendor.slug}-{page_query.period.label}"
    if response := table_response(request, [metrics, breakdown, decisions, weekly], stem):
        return response
    points = [charts.SeriesPoint(p.label, *_triple(p.accuracy)) for p in series]
    return render(request, template, {
        "vendor": vendor, "card": card, "page_query": page_query,
        "query": page_query.url_query(),
        "metrics_table": metrics, "breakdown_table": breakdown, "decisions_table": decisions,
        "weekly_table": weekly,
        "trend_svg": mark_safe(charts.trend_chart(points)),  # charts.py escapes its labels
        "program": selectors.program_average(page_query),
        "tab_query": tab_query(page_query),
        # A vendor QA analyst's calibration sessions (those they are invited to).
        "calibration_sessions": (list(sessions_visible_to(request.user))
                                 if request.user.is_vendor_analyst else None),
        **page_query.period_context(),
    })


def _triple(estimate) -> tuple:
    return (None, None, None) if estimate is None else (estimate.p, estimate.low, estimate.high)


@vendor_page
def themes(request, vendor):
    """The vendor's own error themes for the period: each error category's rate with its
    interval, its share of findings and the previous period's rate, then the significant
    movers and the same rates by site. Only the POC's vendor is in scope (``_query`` reads
    it through ``visible_to``), so no other vendor is counted or named.
    ``?format=csv|xlsx&table=pareto|movers|breakdown`` downloads a table."""
    template = "portal/themes.html"
    try:
        page_query = _query(request, vendor)
    except PeriodInvalid as error:
        return _invalid(request, template, vendor, error)
    found = error_themes.thematic_gaps(page_query)
    tables = [error_themes.pareto_table(found.current, found.previous),
              error_themes.movers_table(found), error_themes.breakdown_table(found)]
    stem = f"error-themes-{vendor.slug}-{page_query.period.label}"
    if response := table_response(request, tables, stem):
        return response
    return render(request, template, {
        "vendor": vendor, "page_query": page_query, "query": page_query.url_query(),
        "gaps": found, "min_audits": MIN_AUDITS,
        "pareto_table": tables[0], "movers_table": tables[1], "breakdown_table": tables[2],
        "themes": [(theme, found.previous.estimates.get(theme.slug))
                   for theme in found.current.themes],
        "breakdown_rows": [(row, [row.rates.get(theme.slug) for theme in found.current.themes])
                           for row in found.breakdown],
        "tab_query": tab_query(page_query),
        **page_query.period_context(),
    })


@vendor_page
def audit_list(request, vendor):
    """The vendor's finalised audits of tickets handled in the period, by site and workflow,
    failed ones or those disputable now (``?result=failed|disputable``), each linking to its
    audit page (where a dispute is raised)."""
    template = "portal/audits.html"
    try:
        page_query = _query(request, vendor)
        result = selectors.result_filter(request.GET.get("result"))
    except (PeriodInvalid, selectors.ResultInvalid) as error:
        return _invalid(request, template, vendor, error)
    audits = selectors.portal_audits(request.user, page_query, result)
    page = Paginator(audits, PAGE_SIZE).get_page(request.GET.get("page"))
    period = page_query.period_context()
    if result:
        # The period picker and its previous/next links keep the result filter too.
        period["keep"] = {**period["keep"], "result": result}
        for name in ("previous_query", "next_query"):
            if period[name]:
                period[name] += f"&result={result}"
    return render(request, template, {
        "vendor": vendor, "page_query": page_query, "page_obj": page, "audits": page,
        "query": page_query.url_query(**({"result": result} if result else {})),
        "result": result, "results": selectors.RESULTS,
        "tab_query": tab_query(page_query),
        "sites": visible_to(request.user, Site.objects.all()).order_by("name"),
        "workflows": visible_to(request.user, Workflow.objects.all()).order_by("name"),
        **period,
    })


@vendor_page
def audits_csv(request, vendor):
    """The audit list as CSV: ``audits.exports`` rows for the POC (their columns: no
    auditor, no sample internals), with the list's own filters."""
    try:
        page_query = _query(request, vendor)
        result = selectors.result_filter(request.GET.get("result"))
    except (PeriodInvalid, selectors.ResultInvalid) as error:
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    columns = [c.name for c in exports.export_columns(request.user)]
    rows = selectors.portal_export_rows(request.user, page_query, result)
    response = StreamingHttpResponse(exports.csv_lines(columns, rows),
                                     content_type="text/csv; charset=utf-8")
    name = f"audits-{vendor.slug}-{page_query.period.first:%Y%m%d}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@vendor_page
def dispute_list(request, vendor):
    """The vendor's disputes, newest first, linking to each dispute's page."""
    page = Paginator(selectors.portal_disputes(request.user), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "portal/disputes.html", {
        "vendor": vendor, "page_obj": page, "disputes": page,
        "tab_query": tab_query(_period_of_tab(request, vendor))})


@vendor_page
def coaching_list(request, vendor):
    """The vendor's coaching actions, soonest due first, linking to each action's page."""
    page = Paginator(selectors.portal_actions(request.user), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "portal/coaching.html", {
        "vendor": vendor, "page_obj": page, "actions": page,
        "tab_query": tab_query(_period_of_tab(request, vendor))})
