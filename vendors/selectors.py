"""Read-side queries for vendor pages. Every function takes the viewing user and goes
through the scoping function, so callers cannot forget it.

Ticket volumes are the tickets' to count (``tickets.volumes``): this module knows vendors,
sites, agents, workflows and targets only.
"""

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from accounts.scoping import visible_to

from .models import Agent, ContractTarget, Site, Vendor, Workflow


def _count_of(model, *, vendor_field: str = "vendor", **filters) -> Coalesce:
    """A correlated ``COUNT(*)`` of ``model`` rows per outer vendor. Two subqueries instead
    of two joins: joining a vendor to both its sites and its agents multiplies the rows
    (sites x agents) before counting."""
    counted = (
        model.objects.filter(**{vendor_field: OuterRef("pk")}, **filters)
        .order_by()
        .values(vendor_field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def vendors_for(user) -> QuerySet[Vendor]:
    return visible_to(user, Vendor.objects.all())


def vendor_overview(user) -> QuerySet[Vendor]:
    """Vendors with their site and active-agent counts (volumes: ``tickets.volumes``)."""
    return vendors_for(user).annotate(
        site_count=_count_of(Site), agent_count=_count_of(Agent, active=True)
    )


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
        visible_to(user, Agent.objects.select_related("vendor", "site__vendor")),
        vendor__slug=vendor_slug,
        pk=agent_pk,
    )


def sites_of(user, vendor: Vendor) -> QuerySet[Site]:
    """The vendor's sites with their active-agent counts."""
    return (
        visible_to(user, Site.objects.filter(vendor=vendor))
        .select_related("vendor")
        .annotate(agent_count=Count("agents", filter=Q(agents__active=True)))
        .order_by("name")
    )


def agents_at(user, site: Site) -> QuerySet[Agent]:
    return (
        visible_to(user, Agent.objects.filter(site=site))
        .select_related("vendor")
        .order_by("external_id")
    )


def targets_of(user, vendor: Vendor) -> QuerySet[ContractTarget]:
    return visible_to(user, ContractTarget.objects.filter(vendor=vendor)).select_related("workflow")


def workflows_for(user) -> QuerySet[Workflow]:
    return visible_to(user, Workflow.objects.all())


def get_workflow(user, slug: str) -> Workflow:
    return get_object_or_404(workflows_for(user), slug=slug)
