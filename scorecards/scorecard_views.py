"""The vendor scorecard page: thin; the numbers come from ``scorecards.scorecard``."""

from django.shortcuts import render

from accounts.decorators import internal_page

from .periods import PeriodInvalid
from .query import read_query
from .scorecard import vendor_scorecard
from .tables import table_response

TEMPLATE = "scorecards/scorecard.html"


@internal_page
def scorecard(request, vendor):
    """A vendor's scorecard for the period in the query, drilled to its site, workflow or
    agent; ``?format=csv|xlsx&table=metrics|breakdown`` downloads a table instead."""
    try:
        page_query = read_query(request, vendor_slug=vendor)
    except PeriodInvalid as invalid:
        return render(request, TEMPLATE, {"error": str(invalid)}, status=400)
    card = vendor_scorecard(page_query)
    tables = card.tables
    stem = "-".join(["scorecard", *card.query.params(period=None, confidence=None).values()])
    if response := table_response(request, tables, stem):
        return response
    return render(request, TEMPLATE, {
        "card": card, "page_query": page_query, "query": page_query.url_query(),
        "metrics_table": tables[0], "breakdown_table": tables[1],
        "confidence_keep": page_query.params(confidence=None),
        **page_query.period_context(),
    })
