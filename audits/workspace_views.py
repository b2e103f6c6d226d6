"""The auditor's workspace: queue, scoring page, autosave, audit page, reopen, ad hoc.

Thin: each view reads the request, calls ``audits.selectors`` to load and
``audits.lifecycle`` to change, and renders. Permission rules live in the lifecycle, so a
``NotPermitted`` becomes 403 here and a ``LifecycleError`` a message.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.decorators import internal_required
from accounts.input_checks import UnreadableInput, load_json
from accounts.scoping import visible_to
from audit_forms.models import FormVersion
from tickets.models import Ticket

from . import assignments, lifecycle, selectors, workspace_stats
from .models import OPEN_STATUSES, Audit, AuditStatus

QUEUE_PAGE_SIZE = 100


@internal_required
def queue(request: HttpRequest) -> HttpResponse:
    audits = Paginator(selectors.auditor_queue(request.user), QUEUE_PAGE_SIZE)
    page = audits.get_page(request.GET.get("page"))
    return render(request, "audits/workspace/queue.html", {
        "audits": page,
        "page_obj": page,
        "counts": selectors.queue_counts(request.user),
        "by_workflow": selectors.queue_by_workflow(request.user),
        "now": timezone.now(),
    })


@internal_required
def auditor_home(request: HttpRequest, sections: Sequence[str] = ()) -> HttpResponse:
    """A QA auditor's home ("/"): their queue at a glance and their own numbers. ``sections``
    are more of their numbers as rendered HTML, from apps above this one (their calibration
    accuracy), composed by ``qa_program.home``."""
    return render(request, "audits/workspace/home.html", {
        "counts": selectors.queue_counts(request.user),
        "windows": workspace_stats.auditor_numbers(request.user),
        "sections": sections,
    })


@require_POST
@internal_required
def queue_next(request: HttpRequest) -> HttpResponse:
    audit = selectors.next_queued_audit(request.user)
    if audit is None:
        messages.success(request, "Your queue is empty.")
        return redirect("audits:queue")
    return redirect("audits:audit_score", pk=audit.pk)


@internal_required
def audit_score(request: HttpRequest, pk: int) -> HttpResponse:
    """GET shows the scoring page (and starts the audit); POST saves a draft or submits."""
    audit = selectors.audit_for_page(request.user, pk)
    if audit.auditor_id != request.user.pk:
        raise PermissionDenied("Only the auditor this audit is assigned to can score it.")
    if audit.status not in OPEN_STATUSES:
        return redirect("audits:audit_detail", pk=audit.pk)
    if request.method != "POST":
        audit = lifecycle.start_audit(audit, request.user)
        return _render_sheet(request, audit)

    answers, comments = _answers_from(request.POST)
    fields = {
        "answers": answers,
        "comments": comments,
        "internal_note": request.POST.get("internal_note", ""),
        "time_spent_seconds": _int(request.POST.get("time_spent_seconds")),
    }
    if "draft" in request.POST:
        lifecycle.save_draft(audit, request.user, **fields)
        messages.success(request, "Draft saved.")
        return redirect("audits:audit_score", pk=audit.pk)
    try:
        audit = lifecycle.submit_audit(audit, request.user, **fields)
    except lifecycle.SubmissionInvalid as invalid:
        audit.refresh_from_db()
        return _render_sheet(request, audit, invalid.problems, status=400)
    verdict = "pass" if audit.passed else "fail"
    score = "no score (all N/A)" if audit.score is None else f"{audit.score:.1f}"
    messages.success(request, f"Submitted {audit.ticket}: {score}, {verdict}.")
    if "next" in request.POST:
        following = selectors.next_queued_audit(request.user)
        if following is not None:
            return redirect("audits:audit_score", pk=following.pk)
        messages.info(request, "That was the last audit in your queue.")
    return redirect("audits:queue")


def _render_sheet(request, audit: Audit, problems=(), status: int = 200) -> HttpResponse:
    version = selectors.load_version(audit.form_version_id)
    sheet = selectors.scoring_sheet(
        version, audit.answers, audit.comments, {p.key: p.message for p in problems}
    )
    remaining = max(selectors.queue_counts(request.user)["open"] - 1, 0)
    return render(request, "audits/workspace/score.html", {
        "audit": audit, "sheet": sheet, "problems": problems, "remaining": remaining,
        "show_weights": request.user.is_manager,
        "question_count": sum(len(section.questions) for section in sheet),
    }, status=status)


@require_POST
@internal_required
def audit_draft(request: HttpRequest, pk: int) -> JsonResponse:
    """Autosave endpoint of the scoring page: JSON in, JSON out."""
    audit = selectors.audit_for_page(request.user, pk)
    try:
        # fetch() sends JSON; the page's last-chance beacon sends a form with "payload".
        raw = request.body if request.content_type == "application/json" else (
            request.POST.get("payload", "")
        )
        payload = load_json(raw or "{}")
    except UnreadableInput as error:
        return JsonResponse({"error": f"The draft could not be read: {error}"}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"error": "The draft must be a JSON object."}, status=400)
    try:
        audit = lifecycle.save_draft(
            audit, request.user,
            answers=_mapping(payload.get("answers")),
            comments=_mapping(payload.get("comments")),
            internal_note=str(payload.get("internal_note") or ""),
            time_spent_seconds=_int(payload.get("time_spent_seconds")),
        )
    except lifecycle.NotPermitted as refused:
        return JsonResponse({"error": str(refused)}, status=403)
    except lifecycle.LifecycleError as error:
        return JsonResponse({"error": str(error)}, status=409)
    return JsonResponse({
        "status": audit.status,
        "answered": len(audit.answers),
        "time_spent_seconds": audit.time_spent_seconds,
        "saved_at": audit.updated_at.isoformat(),
    })


@login_required
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Answers, score, section scores, errors, the trail and the history of changes.
    Vendor POCs reach it only for finalised audits of their own vendor (404 otherwise)."""
    audit = selectors.audit_for_page(request.user, pk)
    version = selectors.load_version(audit.form_version_id)
    sheet = selectors.scoring_sheet(version, audit.answers, audit.comments)
    show_internal = selectors.shows_internal(request.user)
    minutes, seconds = divmod(audit.time_spent_seconds, 60)
    can_move = assignments.can_move(audit, request.user)
    return render(request, "audits/workspace/detail.html", {
        "audit": audit,
        "sheet": sheet,
        "pass_mark": version.pass_mark,
        "section_scores": selectors.section_score_rows(sheet, audit),
        "error_categories": selectors.error_category_rows(audit),
        "events": [
            {"label": e.get_kind_display(), "actor": e.by, "at": e.at, "reason": e.reason}
            for e in selectors.audit_events(request.user, audit)
        ],
        "history": selectors.history_of_changes(audit, sheet, show_internal=show_internal),
        "show_internal": show_internal,
        "time_spent": f"{minutes}:{seconds:02d}",
        "can_score": lifecycle.can_score(audit, request.user),
        "can_reopen": lifecycle.is_lead(request.user) and audit.status in (
            AuditStatus.SUBMITTED, AuditStatus.RESOLVED, AuditStatus.FINAL
        ),
        "can_finalise": lifecycle.is_lead(request.user) and audit.status in (
            AuditStatus.SUBMITTED, AuditStatus.RESOLVED
        ),
        "can_move": can_move,
        "auditors": list(assignments.reassignable_auditors(audit)) if can_move else [],
    })


def _lead_action(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    """Run a lead's lifecycle ``action`` on an audit with the posted reason, then return to
    the audit page: refusals are 403, other lifecycle errors a message."""
    audit = selectors.audit_for_page(request.user, pk)
    try:
        action(audit, request.user, request.POST.get("reason", ""))
    except lifecycle.NotPermitted as refused:
        raise PermissionDenied(str(refused)) from refused
    except lifecycle.LifecycleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("audits:audit_detail", pk=audit.pk)


@require_POST
@internal_required
def audit_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _lead_action(
        request, pk, lifecycle.reopen_audit,
        "Reopened: the auditor can rescore it from their queue.",
    )


@require_POST
@internal_required
def audit_finalise(request: HttpRequest, pk: int) -> HttpResponse:
    """A lead makes a submitted (or resolved) score final: what the vendor sees."""
    return _lead_action(
        request, pk, lifecycle.finalise_audit, "Final: the vendor can now see this audit."
    )


@require_POST
@internal_required
def audit_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    """A lead moves an audit not yet submitted to another auditor's queue, with a reason."""
    audit = selectors.audit_for_page(request.user, pk)
    to_auditor = assignments.reassignable_auditors(audit).filter(
        pk=_int(request.POST.get("auditor")) or 0
    ).first()
    try:
        audit = assignments.reassign_audit(
            audit, request.user, to_auditor, request.POST.get("reason", "")
        )
    except lifecycle.NotPermitted as refused:
        raise PermissionDenied(str(refused)) from refused
    except lifecycle.LifecycleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Reassigned to {audit.auditor}: it is in their queue now.")
    return redirect("audits:audit_detail", pk=audit.pk)


@require_POST
@internal_required
def audit_skip(request: HttpRequest, pk: int) -> HttpResponse:
    """A lead skips an audit not yet submitted (non-response), optionally replacing it with
    the next ticket of the same stratum."""
    audit = selectors.audit_for_page(request.user, pk)
    try:
        skipped = assignments.skip_audit(
            audit, request.user, request.POST.get("reason", ""),
            replace=request.POST.get("replace") == "1",
        )
    except lifecycle.NotPermitted as refused:
        raise PermissionDenied(str(refused)) from refused
    except lifecycle.LifecycleError as error:
        messages.error(request, str(error))
        return redirect("audits:audit_detail", pk=audit.pk)
    if skipped.replacement is not None:
        new = skipped.replacement
        messages.success(request, f"Skipped. Replacement: ticket {new.ticket} from the same "
                                  f"stratum, assigned to {new.auditor}.")
        return redirect("audits:audit_detail", pk=new.pk)
    if skipped.drawn is not None:
        messages.warning(request, f"Skipped. Replacement ticket {skipped.drawn.ticket} was "
                                  "drawn but is not in a queue yet: no auditor in the plan's "
                                  "pool is free of conflicts, or its workflow has no "
                                  "published form.")
    elif skipped.replacement_asked:
        messages.warning(request, "Skipped, without a replacement: the stratum has no ticket "
                                  "left that has not been drawn.")
    else:
        messages.success(request, "Skipped: the sampled ticket counts as non-response.")
    return redirect("audits:audit_detail", pk=audit.pk)


@internal_required
def adhoc_audit(request: HttpRequest) -> HttpResponse:
    """Find a ticket by id and start an unsampled audit of it with a published form."""
    error = ""
    if request.method == "POST":
        ticket = get_object_or_404(visible_to(request.user, Ticket.objects.all()),
                                   pk=_int(request.POST.get("ticket")) or 0)
        version = get_object_or_404(FormVersion.objects.select_related("form"),
                                    pk=_int(request.POST.get("version")) or 0)
        try:
            audit = lifecycle.start_adhoc_audit(ticket, version, request.user)
        except lifecycle.LifecycleError as refused:
            error = str(refused)
        else:
            return redirect("audits:audit_score", pk=audit.pk)
    query = request.GET.get("q", "") or request.POST.get("q", "")
    tickets = selectors.tickets_by_id(request.user, query)
    rows = [
        {
            "ticket": ticket,
            "versions": list(selectors.published_versions_for(ticket.workflow_id)),
            "audits": list(selectors.audits_visible_to(request.user).filter(ticket=ticket)),
        }
        for ticket in tickets
    ]
    return render(request, "audits/workspace/adhoc.html",
                  {"query": query, "tickets": rows, "error": error},
                  status=400 if error else 200)


# ----- request parsing ----------------------------------------------------------------------


def _answers_from(post) -> tuple[dict[str, str], dict[str, str]]:
    """Answers and comments from the scoring form's ``q_<key>`` and ``note_<key>`` fields."""
    answers = {name[2:]: value for name, value in post.items() if name.startswith("q_")}
    comments = {name[5:]: value for name, value in post.items() if name.startswith("note_")}
    return answers, comments


def _mapping(value) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    return {str(key): str(item) for key, item in value.items() if item is not None}


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
