"""Coaching pages: thin views over ``coaching.actions`` and ``coaching.effectiveness``.

Vendor POCs reach the list and their own vendor's actions (another vendor's: 404) and may
acknowledge and complete; opening, the report and verification are QA's.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.decorators import internal_page
from accounts.scoping import visible_to
from audits.models import VENDOR_WORK, Audit
from audits.selectors import audits_visible_to
from vendors.models import Vendor

from . import actions
from .effectiveness import BEFORE_WEEKS, coaching_report, effectiveness
from .forms import ActionForm, CompleteForm, SubjectForm
from .models import ActionStatus

LIST_RELATED = ("vendor", "site", "agent", "category", "workflow", "owner")


@login_required
def action_list(request):
    """Every action the viewer may see, filtered by status, vendor and overdue."""
    today = timezone.localdate()
    rows = actions.actions_visible_to(request.user).select_related(*LIST_RELATED)
    status = request.GET.get("status", "")
    if status in ActionStatus.values:
        rows = rows.filter(status=status)
    vendor = request.GET.get("vendor", "")
    if vendor:
        rows = rows.filter(vendor__slug=vendor)
    overdue = request.GET.get("overdue") == "1"
    if overdue:
        rows = rows.overdue(today)
    vendors = (visible_to(request.user, Vendor.objects.all()) if request.user.is_internal
               else Vendor.objects.none())
    return render(request, "coaching/list.html", {
        "rows": [(action, action.is_overdue(today)) for action in rows],
        "statuses": ActionStatus.choices, "status": status, "vendor": vendor,
        "vendors": vendors, "overdue": overdue, "is_qa": actions.is_qa(request.user),
    })


def _target_from_audits(request, ids: list[str]) -> dict:
    """The audits named by the link that opened this page (?audits=1,2): one agent's."""
    try:
        pks = [int(part) for part in ids]
    except ValueError:
        raise Http404("Audit ids are numbers.") from None
    audits = list(audits_visible_to(request.user, Audit.objects.filter(VENDOR_WORK, pk__in=pks))
                  .select_related("ticket__agent__site", "ticket__vendor"))
    if len(audits) != len(set(pks)):
        raise Http404("No such audit.")
    return {"audits": audits, "vendor": audits[0].ticket.vendor, "site": None,
            "agent": audits[0].ticket.agent}


SUBJECT_PARAMS = ("vendor", "site", "agent")


@internal_page
def action_new(request):
    """QA opens an action from audits (?audits=1,2), an agent (?vendor=&agent=), or a gap
    (?vendor=&site=&category=). With no subject named, the page asks for one first (a GET
    form whose answer is the same query string)."""
    ids = [part for part in request.GET.get("audits", "").split(",") if part.strip()]
    if ids:
        target = _target_from_audits(request, ids)
    else:
        named = any(request.GET.get(name) for name in SUBJECT_PARAMS)
        subject = SubjectForm(request.GET if named else None, user=request.user)
        if not subject.is_valid():
            return render(request, "coaching/pick.html", {
                "subject": subject,
                "carry": {name: request.GET[name] for name in ("category", "workflow")
                          if request.GET.get(name)},
            }, status=400 if named else 200)
        target = subject.target()
    initial = {"category": request.GET.get("category") or None,
               "workflow": request.GET.get("workflow") or None}
    if target["audits"]:
        slugs = sorted({slug for a in target["audits"]
                        for slug, n in a.error_categories.items() if n})
        initial["category"] = initial["category"] or (slugs[0] if slugs else None)
    form = ActionForm(request.POST or None, vendor=target["vendor"], initial=initial)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            action = actions.open_action(
                request.user, category=data["category"], title=data["title"],
                due_date=data["due_date"], audits=target["audits"], vendor=target["vendor"],
                site=target["site"], agent=None if target["audits"] else target["agent"],
                workflow=data["workflow"], description=data["description"],
                owner=data["owner"])
        except actions.CoachingError as problem:
            error = str(problem)
        else:
            messages.success(request, "Coaching action opened.")
            return redirect("coaching:action_detail", pk=action.pk)
    return render(request, "coaching/new.html", {
        "form": form, "error": error, **target,
        "pick_query": urlencode({name: request.GET[name] for name in ("category", "workflow")
                                 if request.GET.get(name)}),
    }, status=400 if error else 200)


@login_required
def action_detail(request, pk):
    action = get_object_or_404(
        actions.actions_visible_to(request.user).select_related(
            *LIST_RELATED, "opened_by", "acknowledged_by", "completed_by", "verified_by",
            "cancelled_by"), pk=pk)
    sources = audits_visible_to(request.user, action.audits.all()).select_related(
        "ticket").order_by("ticket__handled_at", "pk")
    return render(request, "coaching/detail.html", {
        "action": action, "steps": actions.allowed_steps(action, request.user),
        "overdue": action.is_overdue(), "effect": effectiveness(action),
        "before_weeks": BEFORE_WEEKS, "sources": sources,
        "is_qa": actions.is_qa(request.user), "complete_form": CompleteForm(),
    })


STEPS = {"acknowledge", "complete", "verify", "cancel"}
DONE_MESSAGES = {"acknowledge": "Action acknowledged.", "complete": "Action completed.",
                 "verify": "Action verified.", "cancel": "Action cancelled."}


@login_required
@require_POST
def action_step(request, pk, step):
    """One lifecycle step from the detail page's buttons."""
    action = get_object_or_404(actions.actions_visible_to(request.user), pk=pk)
    if step not in STEPS:
        raise Http404("No such step.")
    text = request.POST.get("text", "")
    try:
        if step == "acknowledge":
            actions.acknowledge(action, request.user)
        elif step == "complete":
            actions.complete(action, request.user, request.POST.get("notes", ""))
        elif step == "verify":
            actions.verify(action, request.user, text)
        else:
            actions.cancel(action, request.user, text)
    except actions.CoachingError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, DONE_MESSAGES[step])
    return redirect("coaching:action_detail", pk=action.pk)


@internal_page
def report(request):
    """Every completed or verified action's effectiveness, and the repeat offenders."""
    rows = actions.actions_visible_to(request.user)
    return render(request, "coaching/report.html", {
        "rows": coaching_report(rows), "offenders": actions.repeat_offenders(rows),
        "before_weeks": BEFORE_WEEKS,
    })
