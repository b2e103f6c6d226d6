"""Red flags from vendor-reported QA: a vendor whose own QA reports a significantly higher
accuracy than our audits measure over the overview's period (``vendor_qa.comparison``)."""

from __future__ import annotations

from django.urls import reverse

from rollups.estimates import DomainOutcome
from vendor_qa.comparison import over_reporting

from .flags import RedFlag
from .query import PageQuery


def over_reporting_flags(page_query: PageQuery,
                         by_vendor: dict[int, DomainOutcome]) -> list[RedFlag]:
    """One flag per vendor that over-reports significantly, linking to the comparison on its
    scorecard. ``by_vendor`` is the overview's own estimate per vendor, so this costs one
    grouped query of the reported rates (and one of the vendors named)."""
    flags = []
    for gap in over_reporting(page_query.period, by_vendor, page_query.confidence):
        path = reverse("scorecards:scorecard", kwargs={"vendor": gap.vendor.slug})
        query = page_query.url_query(vendor=None, site=None, agent=None, workflow=None)
        flags.append(RedFlag("vendor_qa", f"{gap.vendor.name}: {gap.text}",
                             f"{path}?{query}#vendor-qa"))
    return flags
