"""Dispute pages: the POC's dispute form, the leads' queue, one dispute, its attachments.

Thin: the rules live in ``audits.disputes``; every object is fetched through the scoping
function, so another vendor's audit, dispute or attachment answers 404. Internal details
(the auditor's identity, the lifecycle trail) are never put in a vendor user's context.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from accounts.decorators import internal_page
from accounts.formats import day
from accounts.scoping import visible_to

from . import disputes, lifecycle, selectors
from .dispute_filters import DisputeFilterForm
from .models import Dispute, DisputedQuestion

QUEUE_LIMIT = 500


@login_required
def raise_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    """The vendor POC picks questions of their final audit, with a reason (and a file)."""
    audit = selectors.audit_for_page(request.user, pk)
    if not disputes.is_vendor_poc_of(audit, request.user):
        raise PermissionDenied("Only a POC of the audit's vendor can dispute it.")
    sheet = selectors.scoring_sheet(selectors.load_version(audit.form_version_id),
                                    audit.answers)
    open_to_dispute = disputes.disputable_questions(audit)
    questions = [q for section in sheet for q in section.questions if q.key in open_to_dispute]
    error, status = "", 200
    reasons = {}
    if request.method == "POST":
        reasons = {q.key: request.POST.get(f"reason_{q.key}", "").strip() for q in questions}
        chosen = {key: reason for key, reason in reasons.items() if reason}
        files = {key: request.FILES[f"file_{key}"] for key in chosen
                 if f"file_{key}" in request.FILES}
        try:
            dispute = disputes.raise_dispute(audit, request.user, chosen, files)
        except lifecycle.NotPermitted as refused:
            raise PermissionDenied(str(refused)) from refused
        except lifecycle.LifecycleError as refused:
            error, status = str(refused), 400
        else:
            messages.success(request, f"Dispute #{dispute.pk} raised: a QA lead will reply "
                                      f"by {day(dispute.due_at)}.")
            return redirect("audits:dispute_detail", pk=dispute.pk)
    elif not disputes.can_raise(audit, request.user):
        error, status = _why_not(audit, request.user), 409
    return render(request, "audits/disputes/raise.html", {
        "audit": audit, "error": error,
        "questions": [{"q": q, "reason": reasons.get(q.key, "")} for q in questions],
        "closes_at": disputes.window_closes_at(audit),
        "left_out": sum(len(section.questions) for section in sheet) - len(questions),
    }, status=status)


def _why_not(audit, user) -> str:
    try:
        disputes._check_raise(audit, user, timezone.now())
    except lifecycle.LifecycleError as refused:
        return str(refused)
    return ""


@internal_page
def dispute_queue(request: HttpRequest) -> HttpResponse:
    """Leads' queue: open disputes first by deadline, overdue ones flagged, with SLA age;
    filtered by vendor (``?vendor=<slug>``), status, overdue and disputed question."""
    now = timezone.now()
    filters = DisputeFilterForm(request.user, request.GET)
    queue, status = disputes.dispute_queue(request.user), 200
    if filters.is_valid():
        queue = filters.apply(queue, now)
    else:
        queue, status = queue.none(), 400
    rows = [
        {"dispute": d, "overdue": d.is_overdue(now), "age": disputes.sla_age(d, now)}
        for d in queue[:QUEUE_LIMIT]
    ]
    return render(request, "audits/disputes/queue.html", {
        "rows": rows, "open_count": sum(1 for r in rows if r["dispute"].status == "open"),
        "overdue_count": sum(1 for r in rows if r["overdue"]), "filters": filters,
        "filtered": any(request.GET.get(name) for name in filters.fields),
        "limit": QUEUE_LIMIT,
    }, status=status)


@login_required
def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The dispute: the ticket's content, each disputed question with the auditor's answer,
    the vendor's reason and file, every answer of the audit with the auditor's comments,
    and (for a lead other than the auditor) the decision form. POST resolves it."""
    dispute = get_object_or_404(
        visible_to(request.user, Dispute.objects.select_related(
            "audit__ticket__vendor", "audit__ticket__site", "audit__ticket__agent",
            "audit__ticket__workflow", "audit__form_version__form", "audit__auditor",
            "raised_by", "resolved_by")),
        pk=pk,
    )
    audit = dispute.audit
    sheet = selectors.scoring_sheet(selectors.load_version(audit.form_version_id),
                                    audit.answers, audit.comments)
    can_resolve = disputes.can_resolve(dispute, request.user)
    error, status, posted = "", 200, {}
    if request.method == "POST":
        if not can_resolve:
            raise PermissionDenied("A QA lead other than the audit's auditor resolves it.")
        posted = request.POST
        decisions = {
            row.question_key: disputes.Decision(
                decision=posted.get(f"decision_{row.question_key}", ""),
                reply=posted.get(f"reply_{row.question_key}", ""),
                corrected_answer=posted.get(f"corrected_{row.question_key}", ""),
            )
            for row in dispute.questions.all()
        }
        try:
            disputes.resolve_dispute(dispute, request.user, decisions)
        except lifecycle.NotPermitted as refused:
            raise PermissionDenied(str(refused)) from refused
        except lifecycle.LifecycleError as refused:
            error, status = str(refused), 400
        else:
            messages.success(request, f"Dispute #{dispute.pk} resolved; the audit is final "
                                      "with its new score.")
            return redirect("audits:audit_detail", pk=dispute.audit_id)
    rows = _rows(dispute, sheet, posted)
    return render(request, "audits/disputes/detail.html", {
        "dispute": dispute, "audit": audit, "rows": rows, "sheet": sheet,
        "disputed_keys": {r["row"].question_key for r in rows},
        "can_resolve": can_resolve, "error": error, "overdue": dispute.overdue,
        "age": disputes.sla_age(dispute), "show_internal": selectors.shows_internal(
            request.user),
        "decisions": DisputedQuestion.Decision.choices,
    }, status=status)


def _rows(dispute: Dispute, sheet, posted) -> list[dict]:
    """Each disputed question with its label, answers as labels and the answer options."""
    by_key = {q.key: q for section in sheet for q in section.questions}
    rows = []
    for row in disputes.disputed_rows(dispute):
        question = by_key.get(row.question_key)
        options = question.options if question else []
        label_of = {o.value: o.label for o in options}
        rows.append({
            "row": row, "number": question.number if question else "",
            "label": question.label if question else row.question_key, "options": options,
            "comment": question.note if question else "",
            "original": label_of.get(row.original_answer, row.original_answer or "–"),
            "corrected": label_of.get(row.corrected_answer, row.corrected_answer),
            "posted_decision": posted.get(f"decision_{row.question_key}", ""),
            "posted_corrected": posted.get(f"corrected_{row.question_key}", ""),
            "posted_reply": posted.get(f"reply_{row.question_key}", ""),
        })
    return rows


@login_required
def dispute_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """An attachment, only to the POC of its vendor or internal staff (never a media URL)."""
    row = get_object_or_404(
        visible_to(request.user, DisputedQuestion.objects.exclude(attachment="")), pk=pk
    )
    try:
        handle = row.attachment.open("rb")
    except FileNotFoundError as missing:
        raise Http404("The file is no longer stored.") from missing
    return FileResponse(handle, as_attachment=True,
                        filename=row.attachment_name or row.attachment.name.rsplit("/", 1)[-1])
