from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from accounts.decorators import manager_required
from accounts.scoping import visible_to

from .models import Ticket


@login_required
def ticket_list(request):
    tickets = visible_to(request.user, Ticket.objects.select_related("vendor", "site", "agent", "workflow"))
    if vendor := request.GET.get("vendor"):
        tickets = tickets.filter(vendor__slug=vendor)
    if workflow := request.GET.get("workflow"):
        tickets = tickets.filter(workflow__slug=workflow)
    if external_id := request.GET.get("q", "").strip():
        tickets = tickets.filter(external_id=external_id)
    page = Paginator(tickets.order_by("-handled_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "audits/ticket_list.html", {"page_obj": page, "tickets": page})


@login_required
def ticket_detail(request, pk):
    ticket = get_object_or_404(
        visible_to(request.user, Ticket.objects.select_related("vendor", "site", "agent", "workflow")),
        pk=pk,
    )
    return render(request, "audits/ticket_detail.html", {"ticket": ticket})


@manager_required
def ticket_import(request):
    return render(request, "audits/ticket_import.html", {})
