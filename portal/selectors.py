"""What the partner portal reads for a vendor POC: always their own vendor, never anyone else's.

The portal adds no rule of its own about who sees what. The vendor is whatever
``accounts.scoping.visible_to`` gives the user (exactly one for a POC), audits come from
``audits.selectors.audits_visible_to`` (final only, no internal notes) through the export's
filter, so the list and its CSV hold the same rows (tickets handled in the period, as the
scorecard counts them), and the numbers come from ``scorecards.scorecard`` and
``scorecards.trends``. The program average is the one figure
about other vendors, and only as all vendors together, when the program turns it on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from accounts.scoping import visible_to
from audits import disputes, exports
from audits.models import Dispute
from coaching.actions import actions_visible_to
from rollups.estimates import Scope, domain_outcomes
from scorecards.query import PageQuery
from scorecards.scorecard import HEADLINES, Headline
from vendors.models import Vendor


def portal_vendor(user) -> Vendor:
    """The one vendor a POC speaks for, read through ``visible_to``; 404 for anyone else
    (internal staff have the full dashboards, and the portal does not exist for them)."""
    if not getattr(user, "is_vendor_user", False):
        raise Http404("The partner portal is for vendor users.")
    vendors = list(visible_to(user, Vendor.objects.all())[:2])
    if len(vendors) != 1:
        raise Http404("No vendor to show.")
    return vendors[0]


def audit_filters(page_query: PageQuery) -> dict[str, str]:
    """The export filters (``audits.api.AuditFilter``) of the portal's query: the POC's
    vendor, its site and workflow when chosen, and audits submitted since the period began
    (an audit is submitted after its ticket was handled, so this only narrows the read;
    ``in_period`` then keeps the tickets handled in the period)."""
    filters = {
        "vendor": str(page_query.vendor.pk),
        "submitted_after": f"{page_query.period.first.isoformat()}T00:00:00+00:00",
    }
    for name in ("site", "workflow"):
        if (obj := getattr(page_query, name)) is not None:
            filters[name] = str(obj.pk)
    return filters


# The audit list's result filter: ``?result=failed`` or ``?result=disputable``.
RESULTS = {"failed": "Failed", "disputable": "Disputable now"}


class ResultInvalid(ValueError):
    """A ``result`` filter the audit list does not know (a 400 naming the field)."""


def result_filter(value: str | None) -> str:
    """The ``result`` parameter, checked: "" (every audit) or one of ``RESULTS``."""
    value = (value or "").strip()
    if value and value not in RESULTS:
        raise ResultInvalid(f"result: {value[:40]!r} is not one of {', '.join(RESULTS)}")
    return value


def _in_period(user, page_query: PageQuery, result: str) -> QuerySet:
    # The scorecard's weeks are of handled tickets, so the audit list of a period holds the
    # same audits its scorecard counts.
    start, end = page_query.period.handled_span()
    audits = (exports.exported_audits(user, audit_filters(page_query))
              .filter(ticket__handled_at__gte=start, ticket__handled_at__lt=end))
    if result == "failed":
        audits = audits.filter(passed=False)
    elif result == "disputable":
        # The dispute rule itself (final, inside the window, no open dispute).
        audits = audits.filter(disputes.disputable_now())
    return audits


def portal_audits(user, page_query: PageQuery, result: str = "") -> QuerySet:
    """The POC's finalised audits of tickets handled in the period, newest first, narrowed
    to failed ones or to those they may dispute now: the rows of ``portal_export_rows``."""
    return (_in_period(user, page_query, result)
            .select_related("ticket__site", "ticket__agent", "ticket__workflow")
            .order_by("-finalised_at", "-pk"))


def portal_export_rows(user, page_query: PageQuery, result: str = "") -> Iterator[dict]:
    """``audits.exports.audit_export_rows`` for the POC (their columns, their audits): the
    same audits as the list, oldest id first."""
    return exports.audit_export_rows(user, audit_filters(page_query),
                                     audits=_in_period(user, page_query, result).order_by("pk"))


def portal_disputes(user) -> QuerySet:
    """The disputes of the POC's vendor, newest first."""
    return visible_to(user, Dispute.objects.select_related(
        "audit__ticket__workflow", "raised_by")).order_by("-raised_at", "-pk")


def portal_actions(user) -> QuerySet:
    """The coaching actions of the POC's vendor, soonest due first."""
    return actions_visible_to(user).select_related(
        "site", "agent", "category", "workflow").order_by("due_date", "pk")


@dataclass(frozen=True)
class ProgramAverage:
    """Every vendor of the program together, as one anonymous domain: no vendor is named."""

    audits: int
    headlines: list[Headline]


def program_average(page_query: PageQuery) -> ProgramAverage | None:
    """The program's headline metrics over the same period (and workflow, a shared
    dimension), when ``settings.PORTAL_SHOW_PROGRAM_AVERAGE`` is on; None otherwise. It is
    one stratified domain estimate over all vendors (``domain_outcomes`` without a vendor),
    not an average of vendors' rates, and never broken down by vendor."""
    if not settings.PORTAL_SHOW_PROGRAM_AVERAGE:
        return None
    workflow = page_query.workflow.pk if page_query.workflow else None
    whole = domain_outcomes(Scope(period=page_query.period, workflow=workflow),
                            categories=True, confidence=page_query.confidence).get(None)
    audits = whole.audits if whole else 0
    return ProgramAverage(audits=audits, headlines=[
        Headline(metric, label, whole.metric(metric) if whole else None, audits)
        for metric, label in HEADLINES])
