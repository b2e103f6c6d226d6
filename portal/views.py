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
from scorecards import charts
from scorecards.periods import PeriodInvalid
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


def _invalid(request, template: str, vendor, error: PeriodInvalid) -> HttpResponse:
    return render(request, template, {"vendor": vendor, "error": str(error)}, status=400)


@vendor_page
def home(request, vendor):
    """The vendor's scorecard for the period (headlines with intervals, contract verdicts,
    breakdown by site, workflow, then agent), its weekly trend and, if the program shows it,
    the anonymous program average. ``?format=csv|xlsx&table=metrics|breakdown|weekly``
    downloads a table."""
    template = "portal/home.html"
    try:
        page_query = _query(request, vendor)
    except PeriodInvalid as error:
        return _invalid(request, template, vendor, error)
    card = vendor_scorecard(page_query)
    series = weekly_series(page_query)
    metrics, breakdown = card.tables
    weekly = weekly_table(series)
    stem = f"scorecard-{vendor.slug}-{page_query.period.label}"
    if response := table_response(request, [metrics, breakdown, weekly], stem):
        return response
    points = [charts.SeriesPoint(p.label, *_triple(p.accuracy)) for p in series]
    return render(request, template, {
        "vendor": vendor, "card": card, "page_query": page_query,
        "query": page_query.url_query(),
        "metrics_table": metrics, "breakdown_table": breakdown, "weekly_table": weekly,
        "trend_svg": mark_safe(charts.trend_chart(points)),  # charts.py escapes its labels
        "program": selectors.program_average(page_query),
        **page_query.period_context(),
    })


def _triple(estimate) -> tuple:
    return (None, None, None) if estimate is None else (estimate.p, estimate.low, estimate.high)


@vendor_page
def audit_list(request, vendor):
    """The vendor's finalised audits of tickets handled in the period, by site and workflow, each
    linking to its audit page (where a dispute is raised)."""
    template = "portal/audits.html"
    try:
        page_query = _query(request, vendor)
    except PeriodInvalid as error:
        return _invalid(request, template, vendor, error)
    audits = selectors.portal_audits(request.user, page_query)
    page = Paginator(audits, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, template, {
        "vendor": vendor, "page_query": page_query, "page_obj": page, "audits": page,
        "query": page_query.url_query(),
        "sites": visible_to(request.user, Site.objects.all()).order_by("name"),
        "workflows": visible_to(request.user, Workflow.objects.all()).order_by("name"),
        **page_query.period_context(),
    })


@vendor_page
def audits_csv(request, vendor):
    """The audit list as CSV: ``audits.exports`` rows for the POC (their columns: no
    auditor, no sample internals), with the list's own filters."""
    try:
        page_query = _query(request, vendor)
    except PeriodInvalid as error:
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    columns = [c.name for c in exports.export_columns(request.user)]
    rows = selectors.portal_export_rows(request.user, page_query)
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
        "vendor": vendor, "page_obj": page, "disputes": page})


@vendor_page
def coaching_list(request, vendor):
    """The vendor's coaching actions, soonest due first, linking to each action's page."""
    page = Paginator(selectors.portal_actions(request.user), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "portal/coaching.html", {
        "vendor": vendor, "page_obj": page, "actions": page})
