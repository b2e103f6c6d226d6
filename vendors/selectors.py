"""Read-side queries for vendor pages. Every function takes the viewing user and goes
through the scoping function, so callers cannot forget it."""

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.scoping import visible_to
from audits.models import Ticket

from .models import Agent, Site, Vendor, Workflow


def vendors_for(user) -> QuerySet[Vendor]:
    return visible_to(user, Vendor.objects.all())


def vendor_overview(user) -> QuerySet[Vendor]:
    """Vendors with their site and agent counts (ticket volume comes from ticket_counts)."""
    return vendors_for(user).annotate(
        site_count=Count("sites", distinct=True),
        agent_count=Count("agents", filter=Q(agents__active=True), distinct=True),
    )


def ticket_counts(user, by: str, **filters) -> dict[int, int]:
    """Ticket volume per ``by`` (a Ticket foreign-key name such as "vendor" or "site"),
    counted in one grouped query over the tickets the user may see."""
    rows = (
        visible_to(user, Ticket.objects.filter(**filters))
        .order_by()
        .values_list(f"{by}_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def get_vendor(user, slug: str) -> Vendor:
    return get_object_or_404(vendors_for(user), slug=slug)


def get_site(user, vendor_slug: str, site_slug: str) -> Site:
    return get_object_or_404(
        visible_to(user, Site.objects.select_related("vendor")),
        vendor__slug=vendor_slug,
        slug=site_slug,
    )


def get_agent(user, vendor_slug: str, agent_pk: int) -> Agent:
    return get_object_or_404(
        visible_to(user, Agent.objects.select_related("vendor", "site")),
        vendor__slug=vendor_slug,
        pk=agent_pk,
    )


def sites_of(vendor: Vendor) -> QuerySet[Site]:
    return vendor.sites.annotate(
        agent_count=Count("agents", filter=Q(agents__active=True))
    ).order_by("name")


def workflows_for(user) -> QuerySet[Workflow]:
    return visible_to(user, Workflow.objects.all())


def get_workflow(user, slug: str) -> Workflow:
    return get_object_or_404(workflows_for(user), slug=slug)
