"""Ticket volumes for the vendor pages: how many tickets each vendor, site, agent or workflow
handled, among the tickets the viewing user may see.

Counted in the database, one grouped query per table on a page, and attached to the rows
shown; no page issues a query per row. The rows themselves (vendors, sites, agents,
workflows) come from ``vendors.selectors``, which knows nothing of tickets.
"""

from collections.abc import Iterable
from typing import TypeVar

from django.db.models import Count

from accounts.scoping import visible_to
from vendors.models import Agent, Site, Vendor, Workflow
from vendors.selectors import vendors_for, workflows_for

from .models import Ticket

Row = TypeVar("Row", Vendor, Site, Agent, Workflow)


def ticket_counts(user, by: str, **filters) -> dict[int, int]:
    """Ticket volume per ``by`` (a Ticket foreign-key name such as "vendor" or "site"),
    counted in one grouped query over the tickets the user may see: a vendor POC's counts
    never include another vendor's tickets."""
    rows = (
        visible_to(user, Ticket.objects.filter(**filters))
        .order_by()
        .values_list(f"{by}_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def with_ticket_counts(user, rows: Iterable[Row], by: str, **filters) -> list[Row]:
    """``rows`` as a list, each with ``ticket_count``: the user's visible tickets per row."""
    rows = list(rows)
    volume = ticket_counts(user, by, **filters)
    for row in rows:
        row.ticket_count = volume.get(row.pk, 0)
    return rows


def workflows_worked(user, **filters) -> list[tuple[Workflow, int]]:
    """(workflow, tickets) for the workflows with visible tickets matching ``filters``."""
    volume = ticket_counts(user, "workflow", **filters)
    return [(w, volume[w.pk]) for w in workflows_for(user).filter(pk__in=list(volume))]


def vendors_working(user, workflow: Workflow) -> list[tuple[Vendor, int]]:
    """(vendor, tickets) for the vendors the user may see with tickets on ``workflow``."""
    volume = ticket_counts(user, "vendor", workflow=workflow)
    return [(v, volume[v.pk]) for v in vendors_for(user).filter(pk__in=list(volume))]
