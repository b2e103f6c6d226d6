"""Celery tasks of the rollups: thin wrappers over ``rollups.writer``, and the subscriber that
queues an audit's refresh when its lifecycle changes.

Both tasks are idempotent (rollups are recomputed totals, not deltas), so a redelivered or
repeated message does no harm; ``acks_late`` with ``reject_on_worker_lost`` puts the message
back if a worker dies mid-write, and each batch's single transaction means it starts clean.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from . import writer


@shared_task(acks_late=True, reject_on_worker_lost=True)
def flush_rollups() -> int:
    """Refresh the rollups of every audit changed since the last flush; returns how many."""
    return writer.flush_pending()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def rebuild_rollups() -> int:
    """Nightly beat entry: recompute every rollup, catching any write that bypassed the
    lifecycle; returns the number of agent cells."""
    return writer.rebuild_rollups()


def queue_refresh(audit, **signal) -> None:
    """On ``audits.events.audit_changed``: note the audit in the step's transaction and, once
    the step commits, make sure a flush is coming. ``robust``: a broker outage is logged, not
    shown as a failed step (the audit stays pending; the next flush or the beat entry takes
    it)."""
    writer.note_changed([audit.pk])
    transaction.on_commit(_flush_soon, robust=True)


def _flush_soon() -> None:
    if flush_rollups.app.conf.task_always_eager:  # no broker: flush now, in process
        flush_rollups.delay()
        return
    debounce = settings.QA_ROLLUP_DEBOUNCE_SECONDS
    # The mark lapses soon after the flush is due: were its message lost, the next step
    # schedules another (and the beat entry flushes every minute anyway).
    if cache.add(writer.FLUSH_SCHEDULED, True, timeout=2 * debounce + 5):
        flush_rollups.apply_async(countdown=debounce)
