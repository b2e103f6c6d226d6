from functools import partial

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.decorators import manager_required
from accounts.progress import job_status, read_progress
from accounts.scoping import visible_to
from vendors.selectors import vendors_for

from . import tasks
from .forms import TicketImportForm
from .import_report import ImportReport
from .import_rows import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from .importing import PROGRESS_KIND
from .models import Ticket, TicketImport
from .volumes import with_ticket_counts


def tickets_for(user):
    return visible_to(user, Ticket.objects.select_related("vendor", "site", "agent", "workflow"))


@login_required
def ticket_list(request):
    tickets = tickets_for(request.user)
    if vendor := request.GET.get("vendor"):
        tickets = tickets.filter(vendor__slug=vendor)
    if workflow := request.GET.get("workflow"):
        tickets = tickets.filter(workflow__slug=workflow)
    if external_id := request.GET.get("q", "").strip():
        tickets = tickets.filter(external_id=external_id)
    page = Paginator(tickets.order_by("-handled_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "tickets/ticket_list.html", {"page_obj": page, "tickets": page})


@login_required
def ticket_detail(request, pk):
    ticket = get_object_or_404(tickets_for(request.user), pk=pk)
    return render(request, "tickets/ticket_detail.html", {"ticket": ticket})


@manager_required
def ticket_import(request):
    """Upload a ticket CSV; the import runs as a Celery task and its page shows the report."""
    form = TicketImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.save(commit=False)
        upload.original_name = request.FILES["file"].name
        upload.uploaded_by = request.user
        upload.save()
        # After commit, so a real worker never looks for an upload that is not saved yet.
        transaction.on_commit(partial(tasks.import_ticket_file.delay, upload.pk))
        return redirect("audits:ticket_import_status", pk=upload.pk)
    return render(
        request,
        "tickets/ticket_import.html",
        {
            "form": form,
            "required_columns": REQUIRED_COLUMNS,
            "optional_columns": OPTIONAL_COLUMNS,
            "recent": TicketImport.objects.select_related("uploaded_by")[:10],
        },
    )


@manager_required
def ticket_import_status(request, pk):
    """One upload: its status while queued or running (the page refreshes itself), then
    the import report, and after success the ticket counts by vendor."""
    upload = get_object_or_404(TicketImport.objects.select_related("uploaded_by"), pk=pk)
    report = (
        ImportReport.from_dict(upload.report)
        if upload.status in (TicketImport.Status.SUCCEEDED, TicketImport.Status.REJECTED)
        else None
    )
    vendors = []
    if upload.status == TicketImport.Status.SUCCEEDED:
        vendors = with_ticket_counts(request.user, vendors_for(request.user), "vendor")
    return render(
        request,
        "tickets/ticket_import_status.html",
        {
            "upload": upload,
            "report": report,
            "vendors": vendors,
            "job": _import_job(upload),
            "status_url": reverse("audits:ticket_import_progress", args=[upload.pk]),
        },
    )


def _import_job(upload: TicketImport) -> dict:
    record = None if upload.finished else read_progress(PROGRESS_KIND, upload.pk)
    waiting = (
        "Waiting for a worker to pick up the file…"
        if upload.status == TicketImport.Status.QUEUED
        else "Reading the file…"
    )
    return job_status(
        status=upload.status,
        status_label=upload.get_status_display(),
        finished=upload.finished,
        record=record,
        waiting=waiting,
    )


@manager_required
@require_GET
def ticket_import_progress(request, pk):
    """JSON: an upload's status and progress, polled by its page while the import runs
    (the same people as the page: managers)."""
    upload = get_object_or_404(TicketImport, pk=pk)
    return JsonResponse({"id": upload.pk, **_import_job(upload)})
