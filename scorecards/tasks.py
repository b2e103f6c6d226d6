"""Celery tasks of the scorecards app: thin wrappers over ``scorecards.rollups``.

Both are idempotent (cells are recomputed totals, not deltas), so a redelivered or repeated
message does no harm; ``acks_late`` with ``reject_on_worker_lost`` puts the message back if a
worker dies mid-refresh, and the refresh's single transaction means it starts clean.
"""

from __future__ import annotations

from celery import shared_task

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
