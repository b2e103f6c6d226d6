"""Vendor pages: vendor → sites → agents, and workflows, each with its ticket volumes. They
live with the tickets they count (vendors, below tickets, knows none); their URLs keep the
``vendors`` namespace (``vendor_urls``). Thin: the queries and the scoping live in
``vendors.selectors``, the counting in ``tickets.volumes``."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from vendors import selectors

from .volumes import vendors_working, with_ticket_counts, workflows_worked

AGENTS_PER_PAGE = 100


@login_required
def vendor_list(request):
    vendors = with_ticket_counts(
        request.user, selectors.vendor_overview(request.user), "vendor"
    )
    return render(request, "vendors/vendor_list.html", {"vendors": vendors})


@login_required
def vendor_detail(request, slug):
    user = request.user
    vendor = selectors.get_vendor(user, slug)
    sites = with_ticket_counts(
        user, selectors.sites_of(user, vendor), "site", vendor=vendor
    )
    return render(
        request,
        "vendors/vendor_detail.html",
        {
            "vendor": vendor,
            "sites": sites,
            "workflows": workflows_worked(user, vendor=vendor),
            "targets": selectors.targets_of(user, vendor),
            "ticket_total": sum(site.ticket_count for site in sites),
        },
    )


@login_required
def site_detail(request, vendor_slug, site_slug):
    user = request.user
    site = selectors.get_site(user, vendor_slug, site_slug)
    page = Paginator(selectors.agents_at(user, site), AGENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    agents = with_ticket_counts(
        user, page, "agent", site=site, agent__in=[agent.pk for agent in page]
    )
    return render(
        request,
        "vendors/site_detail.html",
        {"site": site, "vendor": site.vendor, "page_obj": page, "agents": agents},
    )


@login_required
def agent_detail(request, vendor_slug, agent_pk):
    agent = selectors.get_agent(request.user, vendor_slug, agent_pk)
    return render(
        request,
        "vendors/agent_detail.html",
        {
            "agent": agent,
            "vendor": agent.vendor,
            "site": agent.site,
            "workflows": workflows_worked(request.user, agent=agent),
        },
    )


@login_required
def workflow_list(request):
    workflows = with_ticket_counts(
        request.user, selectors.workflows_for(request.user), "workflow"
    )
    return render(request, "vendors/workflow_list.html", {"workflows": workflows})


@login_required
def workflow_detail(request, slug):
    workflow = selectors.get_workflow(request.user, slug)
    return render(
        request,
        "vendors/workflow_detail.html",
        {"workflow": workflow, "vendors": vendors_working(request.user, workflow)},
    )
