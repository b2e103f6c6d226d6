"""The thematic gaps pages: thin; the numbers and lists come from ``scorecards.gaps``."""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from accounts.decorators import internal_page
from accounts.scoping import visible_to
from audit_forms.models import ErrorCategory
from rollups.estimates import MIN_AUDITS
from rollups.periods import PeriodInvalid
from vendors.models import Vendor, Workflow

from . import gaps as themes
from .pareto_chart import Bar, pareto_svg
from .query import read_query
from .tables import table_response

TEMPLATE = "scorecards/gaps.html"
AUDITS_TEMPLATE = "scorecards/gap_audits.html"
AUDITS_PER_PAGE = 50


def _stem(page_query, *words: str) -> str:
    return "-".join([*words, *page_query.params(confidence=None).values()])


def coaching_link(page_query, category: str) -> str:
    """The coaching form for the page's scope (vendor, site or agent; workflow) on a theme;
    with no vendor chosen, the form asks for the subject first."""
    params = {name: value for name, value in page_query.params().items()
              if name in ("vendor", "site", "agent", "workflow")}
    return (f"{reverse('coaching:action_new')}?"
            f"{urlencode({**params, 'category': category})}")


@internal_page
def gaps(request):
    """Error themes for the scope and period in the query: the Pareto chart and its table,
    the movers against the previous period and the breakdown by vendor (or site);
    ``?format=csv|xlsx&table=pareto|movers|breakdown`` downloads a table instead."""
    try:
        page_query = read_query(request)
    except PeriodInvalid as invalid:
        return render(request, TEMPLATE, {"error": str(invalid)}, status=400)
    found = themes.thematic_gaps(page_query)
    tables = [themes.pareto_table(found.current, found.previous), themes.movers_table(found),
              themes.breakdown_table(found)]
    if response := table_response(request, tables, _stem(page_query, "error-themes")):
        return response
    query = page_query.url_query()
    links = {slug: f"{reverse('scorecards:gap_audits', args=[slug])}?{query}"
             for slug in found.names}
    chart = pareto_svg([
        Bar(label=theme.name, rate=theme.estimate.p, cumulative=theme.cumulative,
            low=theme.estimate.low, high=theme.estimate.high, href=links[theme.slug])
        for theme in found.current.themes
    ], title=f"Error themes, {page_query.period.label}")
    return render(request, TEMPLATE, {
        "gaps": found, "page_query": page_query, "query": query, "chart": chart,
        "pareto_table": tables[0], "movers_table": tables[1],
        "breakdown_table": tables[2],
        "themes": [(theme, found.previous.estimates.get(theme.slug), links[theme.slug])
                   for theme in found.current.themes],
        "movers": [(change, links[change.slug]) for change in found.movers],
        "all_query": page_query.url_query(vendor=None, site=None, workflow=None, agent=None),
        "vendor_query": page_query.url_query(site=None, agent=None),
        "scope_keep": page_query.params(vendor=None, site=None, workflow=None, agent=None),
        "vendor_choices": visible_to(request.user, Vendor.objects.order_by("name"))
        .values_list("slug", "name"),
        "workflow_choices": visible_to(request.user, Workflow.objects.order_by("name"))
        .values_list("slug", "name"),
        "min_audits": MIN_AUDITS,
        "breakdown_rows": [
            (row, [row.rates.get(theme.slug) for theme in found.current.themes],
             _row_query(page_query, found.by, row))
            for row in found.breakdown if row.enough
        ],
        # Rows with too few audits fold into one line (the download keeps a row each).
        "thin_rows": [(row, _row_query(page_query, found.by, row))
                      for row in found.breakdown if not row.enough],
        "coaching_links": {theme.slug: coaching_link(page_query, theme.slug)
                           for theme in found.current.themes},
        **page_query.period_context(),
    })


def _row_query(page_query, by: str, row) -> str:
    return page_query.url_query(**({"site": row.slug, "agent": None} if by == "site"
                                   else {"vendor": row.slug, "site": None, "agent": None}))


@internal_page
def gap_audits(request, category):
    """The audits behind one theme, for the scope and period in the query, newest first;
    ``?format=csv|xlsx`` downloads them (at most themes.EXPORT_CAP rows)."""
    theme = get_object_or_404(ErrorCategory, slug=category)
    try:
        page_query = read_query(request)
    except PeriodInvalid as invalid:
        return render(request, AUDITS_TEMPLATE, {"error": str(invalid), "category": theme},
                      status=400)
    audits = themes.theme_audits(request.user, page_query, theme.slug)
    if request.GET.get("format"):
        table, _ = themes.audit_table(audits, theme)
        if response := table_response(request, [table],
                                      _stem(page_query, "audits", theme.slug)):
            return response
    page = Paginator(audits, AUDITS_PER_PAGE).get_page(request.GET.get("page"))
    listed = list(page.object_list)
    rows = themes.audit_rows(listed, themes.questions_in_error(listed))
    return render(request, AUDITS_TEMPLATE, {
        "category": theme, "page_query": page_query, "query": page_query.url_query(),
        "page_obj": page, "rows": zip(listed, rows, strict=True),
        "capped": page.paginator.count > themes.EXPORT_CAP, "cap": themes.EXPORT_CAP,
        "gaps_query": page_query.url_query(),
        "coaching_link": coaching_link(page_query, theme.slug),
        **page_query.period_context(),
    })
