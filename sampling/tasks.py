"""Celery tasks for sampling: thin wrappers that load ids and call the domain functions.

Both are safe to run twice: a done run is left alone, and a scheduled draw finds the run of
its (plan, window, seed) instead of creating another. ``acks_late`` with
``reject_on_worker_lost`` puts the message back if a worker dies mid-draw; the draw's single
transaction means the redelivered task starts from a clean run.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from .drawing import draw_sample, redraw_stuck_runs, request_run
from .models import SampleRun, SamplingPlan

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def draw_sample_run(run_id: int) -> str | None:
    """Draw sample run ``run_id``; returns its final status."""
    try:
        return draw_sample(run_id).status
    except SampleRun.DoesNotExist:
        logger.warning("Sample run %s no longer exists; nothing to draw.", run_id)
        return None


@shared_task(acks_late=True, reject_on_worker_lost=True)
def draw_scheduled_plan(plan_id: int) -> int | None:
    """Beat entry of a plan: draw its window as of now; returns the run id."""
    plan = SamplingPlan.objects.filter(pk=plan_id, active=True).first()
    if plan is None:
        logger.info("Sampling plan %s is gone or inactive; no scheduled draw.", plan_id)
        return None
    run = request_run(plan, trigger=SampleRun.Trigger.SCHEDULE, enqueue=False)
    return draw_sample(run.pk).pk


@shared_task
def redraw_stuck_sample_runs() -> list[int]:
    """Beat entry (every few minutes): queue again runs stuck for twice the broker's
    redelivery timeout, so a lost message never leaves a run "running" for good."""
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    return redraw_stuck_runs(timedelta(seconds=2 * timeout))
