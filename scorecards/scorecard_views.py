"""The vendor scorecard page: thin; the numbers come from ``scorecards.scorecard`` (and, on
an agent's page, the audits and coaching from ``scorecards.agent_page``)."""

from dataclasses import replace
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.decorators import internal_page
from rollups.periods import PeriodInvalid
from vendor_qa.comparison import compare as vendor_qa_comparison

from . import agent_page
from .query import PageQuery, read_query
from .scorecard import Scorecard, vendor_scorecard
from .tables import table_response

TEMPLATE = "scorecards/scorecard.html"


@internal_page
def scorecard(request, vendor):
    """A vendor's scorecard for the period in the query, drilled to its site, workflow or
    agent; ``?format=csv|xlsx&table=metrics|breakdown|decisions`` downloads a table instead."""
    try:
        page_query = read_query(request, vendor_slug=vendor)
    except PeriodInvalid as invalid:
        return render(request, TEMPLATE, {"error": str(invalid)}, status=400)
    card = vendor_scorecard(page_query, viewer=request.user)
    tables = card.tables
    stem = "-".join(["scorecard", *card.query.params(period=None, confidence=None).values()])
    if response := table_response(request, tables, stem):
        return response
    context = {
        "card": card, "page_query": page_query, "query": page_query.url_query(),
        "metrics_table": tables[0], "breakdown_table": tables[1], "decisions_table": tables[2],
        "confidence_keep": page_query.params(confidence=None),
        **page_query.period_context(),
    }
    if page_query.site is None and page_query.agent is None:
        # The vendor's own QA reports by workflow, never by site or agent.
        context["vqa"] = vendor_qa_comparison(page_query.vendor, page_query.period,
                                              workflow=page_query.workflow,
                                              confidence=page_query.confidence)
    status = 200
    if page_query.agent is not None:
        context.update(_agent_context(request, page_query, card))
        status = 400 if context["audit_filter"].errors else 200
    return render(request, TEMPLATE, context, status=status)


def _agent_context(request, page_query: PageQuery, card: Scorecard) -> dict:
    """An agent's page: the counts beside the estimates, the agent's audits (filtered,
    paginated), the coaching history and the link that opens an action for the agent."""
    counts = agent_page.raw_counts(page_query.scope)
    card.headlines = [replace(h, counted=counts.text(h.metric)) for h in card.headlines]
    audit_filter = agent_page.AgentAuditFilter(request.GET)
    chosen = audit_filter.chosen() if audit_filter.is_valid() else {}
    audits = agent_page.agent_audits(
        request.user, page_query.scope, chosen.get("result", ""),
        audit_filter.cleaned_data.get("category") if chosen.get("category") else None)
    page = Paginator(audits, agent_page.AUDITS_PER_PAGE).get_page(request.GET.get("page"))
    listed = list(page.object_list)
    names = agent_page.category_names(listed)
    agent = page_query.agent
    coach = {"vendor": page_query.vendor.slug, "agent": agent.external_id}
    if page_query.workflow is not None:
        coach["workflow"] = page_query.workflow.slug
    if chosen.get("category"):
        coach["category"] = chosen["category"]
    period = page_query.period_context()
    extra = {}
    if chosen:  # the period picker keeps the audit filters
        keep = {**period["keep"], **chosen}
        extra = {"keep": keep,
                 "previous_query": f"{period['previous_query']}&{urlencode(chosen)}",
                 "next_query": f"{period['next_query']}&{urlencode(chosen)}"}
    return {
        "agent": agent, "raw_counts": counts, "audit_filter": audit_filter,
        "filter_keep": page_query.params(), "page_obj": page,
        "audit_rows": [(audit, names[audit.pk]) for audit in listed],
        "coaching_history": agent_page.coaching_history(request.user, agent),
        "coach_query": urlencode(coach), "chosen_category": chosen.get("category", ""),
        **extra,
    }
