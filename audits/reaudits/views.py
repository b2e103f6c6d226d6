"""The pages of re-audits: a re-audit run's page, every auditor's alignment over a period (leads)
and one auditor's (leads and the auditor). Thin: the numbers are ``alignment``."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accounts.decorators import internal_page, manager_required
from sampling.models import SampleRun

from ..models import OPEN_STATUSES, SCORED_STATUSES, Audit
from ..run_report import open_assignments
from .alignment import alignment, reaudit_pairs

PERIODS = {"30": 30, "90": 90, "365": 365}
DEFAULT_PERIOD = "90"
PAIRS_SHOWN = 100


def _period(request) -> tuple[str, dt.datetime, dt.datetime]:
    """The ?days= period (30, 90 or 365 days up to now; 90 unless told), as [start, end)."""
    key = request.GET.get("days", DEFAULT_PERIOD)
    if key not in PERIODS:
        key = DEFAULT_PERIOD
    end = timezone.now()
    return key, end - dt.timedelta(days=PERIODS[key]), end


def run_page(request, run: SampleRun):
    """A re-audit run's page (``audits.run_views.run_detail`` sends re-audit runs here): its
    strata (one per auditor), progress, alignment per auditor and the re-audits still open."""
    done = run.status == SampleRun.Status.DONE
    reaudits = Audit.objects.filter(sampled_ticket__run=run)
    pending, pending_count = open_assignments(run) if done else ([], 0)
    return render(request, "audits/reaudits/run.html", {
        "run": run, "plan": run.plan,
        "strata": list(run.strata.select_related("auditor").order_by("position")) if done else [],
        "scored": reaudits.filter(status__in=SCORED_STATUSES).count() if done else 0,
        "open": reaudits.filter(status__in=OPEN_STATUSES).count() if done else 0,
        "alignment": alignment(run=run) if done else [],
        "pending": pending, "pending_count": pending_count,
    })


@manager_required
def alignment_list(request):
    """Every auditor's alignment over the period, for leads."""
    key, start, end = _period(request)
    return render(request, "audits/reaudits/alignment_list.html", {
        "rows": alignment(start=start, end=end), "days": key, "periods": PERIODS,
        "start": start, "end": end,
    })


@internal_page
def auditor_alignment(request, pk: int):
    """One auditor's alignment over the period, their questions and their re-audited audits
    (original and re-audit side by side). Leads, and the auditor themself; 404 for others."""
    if not (request.user.is_manager or request.user.pk == pk):
        raise Http404("No such page.")
    auditor = get_object_or_404(get_user_model(), pk=pk, role__in=("auditor", "manager"))
    key, start, end = _period(request)
    rows = alignment(start=start, end=end, auditor=auditor)
    pairs = list(
        reaudit_pairs(start=start, end=end, auditor=auditor)
        .select_related("reaudit_of", "ticket", "auditor")
        .order_by("-reaudit_of__finalised_at", "-pk")[:PAIRS_SHOWN]
    )
    return render(request, "audits/reaudits/auditor.html", {
        "auditor": auditor, "row": rows[0] if rows else None, "pairs": pairs,
        "days": key, "periods": PERIODS, "start": start, "end": end,
    })
