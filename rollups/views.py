"""The rollup rebuild's page: how far the running rebuild (the nightly one, or one a manager
asked for) has got, or how the last one ended, and a button that queues one. Internal staff
read it (vendor users get 404, like the scorecards' internal pages); managers rebuild."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import internal_page, manager_required
from accounts.progress import Progress, job_status, read_progress

from . import tasks
from .writer import REBUILD_PROGRESS, REBUILD_STEPS, rebuild_progress

# A record not updated for this long is a rebuild whose worker stopped (a step of the
# nightly rebuild takes minutes at the largest scale planned, not an hour).
STALE_AFTER = 3600


def rebuild_job(record: Progress | None, now: float) -> dict:
    """The rebuild's status (``accounts.progress.job_status``) from its record: none (no
    rebuild in the record's lifetime), running, rebuilt, or stopped (no news for an hour)."""
    if record is None:
        return job_status(
            status="none", status_label="Not run lately", finished=True, record=None,
            waiting="No rebuild in the last hours; the nightly one runs at 02:30.",
        )
    if record.total is not None and record.done >= record.total:
        status, label, finished = "done", "Rebuilt", True
    elif now - record.updated_at > STALE_AFTER:
        status, label, finished = "stopped", "Stopped", True
    elif record.phase == QUEUED:
        status, label, finished = "queued", "Queued", False
    else:
        status, label, finished = "running", "Running", False
    return job_status(
        status=status, status_label=label, finished=finished, record=record, waiting=""
    )


QUEUED = "waiting for a worker"


@internal_page
@require_GET
def rebuild_page(request):
    record = read_progress(*REBUILD_PROGRESS)
    return render(
        request,
        "rollups/rebuild.html",
        {
            "record": record,
            "updated_at": datetime.fromtimestamp(record.updated_at, UTC) if record else None,
            "job": rebuild_job(record, time.time()),
            "status_url": reverse("rollups:rebuild_status"),
            "steps": REBUILD_STEPS,
        },
    )


@internal_page
@require_GET
def rebuild_status(request):
    """JSON: the rebuild's status and progress, polled by its page while it runs."""
    return JsonResponse(rebuild_job(read_progress(*REBUILD_PROGRESS), time.time()))


@internal_page
@manager_required
@require_POST
def rebuild_now(request):
    """Queue a rebuild (run here when there is no worker); one already running is left be."""
    if not rebuild_job(read_progress(*REBUILD_PROGRESS), time.time())["finished"]:
        messages.info(request, "A rebuild is already under way; here is its progress.")
        return redirect("rollups:rebuild")
    rebuild_progress().phase(QUEUED, REBUILD_STEPS, "steps done")
    tasks.rebuild_rollups.delay()
    messages.success(request, "Rebuild queued; this page follows it.")
    return redirect("rollups:rebuild")
