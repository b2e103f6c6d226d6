from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from . import selectors


@login_required
def vendor_list(request):
    vendors = list(selectors.vendor_overview(request.user))
    volume = selectors.ticket_counts(request.user, "vendor")
    for vendor in vendors:
        vendor.ticket_count = volume.get(vendor.pk, 0)
    return render(request, "vendors/vendor_list.html", {"vendors": vendors})


@login_required
def vendor_detail(request, slug):
    vendor = selectors.get_vendor(request.user, slug)
    sites = list(selectors.sites_of(vendor))
    volume = selectors.ticket_counts(request.user, "site", vendor=vendor)
    for site in sites:
        site.ticket_count = volume.get(site.pk, 0)
    by_workflow = selectors.ticket_counts(request.user, "workflow", vendor=vendor)
    workflows = [
        (workflow, by_workflow.get(workflow.pk, 0))
        for workflow in selectors.workflows_for(request.user).filter(pk__in=by_workflow)
    ]
    return render(
        request,
        "vendors/vendor_detail.html",
        {
            "vendor": vendor,
            "sites": sites,
            "workflows": workflows,
            "targets": vendor.targets.select_related("workflow"),
            "ticket_total": sum(volume.values()),
        },
    )


@login_required
def site_detail(request, vendor_slug, site_slug):
    site = selectors.get_site(request.user, vendor_slug, site_slug)
    agents = site.agents.order_by("external_id")
    page = Paginator(agents, 100).get_page(request.GET.get("page"))
    volume = selectors.ticket_counts(
        request.user, "agent", site=site, agent__in=[a.pk for a in page]
    )
    for agent in page:
        agent.ticket_count = volume.get(agent.pk, 0)
    return render(
        request,
        "vendors/site_detail.html",
        {"site": site, "vendor": site.vendor, "page_obj": page, "agents": page},
    )


@login_required
def agent_detail(request, vendor_slug, agent_pk):
    agent = selectors.get_agent(request.user, vendor_slug, agent_pk)
    by_workflow = selectors.ticket_counts(request.user, "workflow", agent=agent)
    workflows = [
        (workflow, by_workflow[workflow.pk])
        for workflow in selectors.workflows_for(request.user).filter(pk__in=by_workflow)
    ]
    return render(
        request,
        "vendors/agent_detail.html",
        {"agent": agent, "vendor": agent.vendor, "site": agent.site, "workflows": workflows},
    )


@login_required
def workflow_list(request):
    workflows = list(selectors.workflows_for(request.user))
    volume = selectors.ticket_counts(request.user, "workflow")
    for workflow in workflows:
        workflow.ticket_count = volume.get(workflow.pk, 0)
    return render(request, "vendors/workflow_list.html", {"workflows": workflows})


@login_required
def workflow_detail(request, slug):
    workflow = selectors.get_workflow(request.user, slug)
    by_vendor = selectors.ticket_counts(request.user, "vendor", workflow=workflow)
    vendors = [
        (vendor, by_vendor[vendor.pk])
        for vendor in selectors.vendors_for(request.user).filter(pk__in=by_vendor)
    ]
    return render(
        request, "vendors/workflow_detail.html", {"workflow": workflow, "vendors": vendors}
    )
