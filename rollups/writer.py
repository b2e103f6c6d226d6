"""The one writer of the derived tables (``rollups.registry``).

Lifecycle steps do not refresh anything themselves: on ``audits.events.audit_changed`` the
audit's id is noted in ``PendingRefresh``, inside the step's own transaction (a step that rolls
back notes nothing), and once it commits a flush is scheduled a few seconds ahead
(``QA_ROLLUP_DEBOUNCE_SECONDS``) unless one already is (``rollups.tasks``). The flush takes every
pending id, in batches, and refreshes all the rollups for them at once: auditors submitting
continuously cost one refresh per batch, not one per audit. The nightly rebuild recomputes
everything with the same functions. Both only ever write totals, so a repeated or late flush is
harmless. docs/architecture.md ("The rollups") has the locking.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

from . import cells, productivity
from .models import PendingRefresh

# Set while a flush is scheduled (shared cache): steps committing meanwhile schedule nothing.
FLUSH_SCHEDULED = "rollups:flush-scheduled"
BATCH = 5_000


def refresh_rollups(audit_ids: Iterable[int]) -> int:
    """Recompute every rollup row the given audits fall in now or fell in before, in one
    transaction. Returns the number of agent cells written."""
    ids = sorted({int(pk) for pk in audit_ids})
    if not ids:
        return 0
    with transaction.atomic():
        written = cells.refresh_cells(ids)
        productivity.refresh_auditor_days(ids)
        return written


def rebuild_rollups() -> int:
    """Recompute every rollup from the audits in one transaction (the nightly safety net, and
    after bulk writes that bypass the lifecycle, such as the demo's). Returns the agent cell
    count."""
    with transaction.atomic():
        written = cells.rebuild_cells()
        productivity.rebuild_auditor_days()
        return written


def note_changed(audit_ids: Iterable[int]) -> None:
    """Queue the audits for the next flush (idempotent: an audit is pending once)."""
    PendingRefresh.objects.bulk_create(
        [PendingRefresh(audit_id=pk) for pk in audit_ids], ignore_conflicts=True
    )


def flush_pending(batch: int = BATCH) -> int:
    """Refresh the rollups of every pending audit, ``batch`` at a time; returns how many.

    The schedule mark is cleared first, so a step committing while this runs schedules the
    next flush. Two flushes at once take disjoint batches (PostgreSQL ``SKIP LOCKED``)."""
    cache.delete(FLUSH_SCHEDULED)
    done = 0
    while True:
        with transaction.atomic():
            ids = list(
                PendingRefresh.objects.select_for_update(skip_locked=True)
                .order_by("audit_id").values_list("audit_id", flat=True)[:batch]
            )
            if not ids:
                return done
            PendingRefresh.objects.filter(audit_id__in=ids).delete()
            refresh_rollups(ids)
        done += len(ids)
