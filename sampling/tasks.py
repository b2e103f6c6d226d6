"""Celery tasks for sampling, and the functions that queue them.

The tasks are thin wrappers that load ids and call the domain functions (``sampling.drawing``);
``request_run`` and ``redraw_stuck_runs`` send the draw task, so they live here, above the draw.

The tasks are safe to run twice: a done run is left alone, and a scheduled draw finds the run of
its (plan, window, seed) instead of creating another. ``acks_late`` with
``reject_on_worker_lost`` puts the message back if a worker dies mid-draw; the draw's single
transaction means the redelivered task starts from a clean run.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .drawing import default_seed, draw_sample
from .models import SampleRun, SamplingPlan
from .population import Window, resolve_window
from .selection import seed_coefficients

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
    return redraw_stuck_runs(dt.timedelta(seconds=2 * timeout))


def request_run(
    plan: SamplingPlan,
    *,
    window: Window | None = None,
    seed: int | None = None,
    requested_by=None,
    trigger: str = SampleRun.Trigger.MANUAL,
    enqueue: bool = True,
) -> SampleRun:
    """The run of ``plan`` for (window, seed), created if new, and its draw queued on commit.

    The window defaults to the plan's window as of now, the seed to ``default_seed``: asking
    twice finds the same run. An explicit new seed over the same window is an additional
    sample that excludes the tickets already drawn. Finished runs are not queued again;
    failed or stuck ones are (the draw redoes them from scratch).
    """
    window = window or resolve_window(plan.window_kind, plan.window_timezone)
    seed = default_seed(plan, window) if seed is None else seed
    seed_coefficients(seed)  # validates the range with a clear message
    run, _ = SampleRun.objects.get_or_create(
        plan=plan,
        window_start=window.start,
        window_end=window.end,
        seed=seed,
        defaults={"requested_by": requested_by, "trigger": trigger},
    )
    if enqueue and run.status != SampleRun.Status.DONE:
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    # The task id is saved before the task exists: once a worker is drawing, nothing else may
    # write the run's row (the draw's snapshot transaction would have to fail).
    task_id = str(uuid.uuid4())
    SampleRun.objects.filter(pk=run_id).update(celery_task_id=task_id)
    draw_sample_run.apply_async((run_id,), task_id=task_id)


def redraw_stuck_runs(idle_for: dt.timedelta) -> list[int]:
    """Queue again the runs still queued or running ``idle_for`` after they were requested or
    started: their task message was lost (a broker restart) or their worker died and the
    broker has not redelivered. Returns their ids.

    Only the task is sent; the run's row is not written, because a draw still in progress
    must be the only writer of its row. A run that is in fact still drawing makes the new
    task wait on the draw's lock and then find the run done.
    """
    cutoff = timezone.now() - idle_for
    stuck = list(
        SampleRun.objects.filter(
            Q(status=SampleRun.Status.QUEUED, created_at__lt=cutoff)
            | Q(status=SampleRun.Status.RUNNING, started_at__lt=cutoff)
        ).values_list("pk", flat=True)
    )
    for run_id in stuck:
        logger.warning("Sample run %s has been stuck since before %s; queueing it again.",
                       run_id, cutoff.isoformat())
        draw_sample_run.delay(run_id)
    return stuck
