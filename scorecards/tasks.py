"""Celery tasks of the scorecards app: thin wrappers over ``scorecards.rollups``.

Both are idempotent (cells are recomputed totals, not deltas), so a redelivered or repeated
message does no harm; ``acks_late`` with ``reject_on_worker_lost`` puts the message back if a
worker dies mid-refresh, and the refresh's single transaction means it starts clean.
"""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from .rollups import rebuild_all, refresh_cells


@shared_task(acks_late=True, reject_on_worker_lost=True)
def refresh_audit_cells(audit_ids: list[int]) -> int:
    """Recompute the scorecard cells of these audits (queued on commit of each lifecycle
    step); returns the number of cells written."""
    return refresh_cells(audit_ids)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def rebuild_audit_cells() -> int:
    """Nightly beat entry: recompute every cell, catching any write that bypassed the
    lifecycle; returns the number of cells."""
    return rebuild_all()


def refresh_once_committed(audit, **signal) -> None:
    """On ``audits.events.audit_changed``: once the step commits, recompute the cells the audit
    falls in. ``robust``: a broker outage is logged, not shown as a failed step (the step
    committed; the nightly rebuild catches the cells up)."""
    transaction.on_commit(lambda: refresh_audit_cells.delay([audit.pk]), robust=True)
