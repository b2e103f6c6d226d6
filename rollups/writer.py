"""The one writer of the derived tables (``rollups.registry``).

Lifecycle steps only note their audit (``note_changed``, in the step's transaction); a debounced
flush (``rollups.tasks``) refreshes every noted audit's rollups, a batch at a time, so auditors
submitting all day cost one refresh per batch. A refresh rewrites only what its audits changed
and the nightly rebuild everything, with the same functions; both write totals, so a repeated
or late flush is harmless. docs/architecture.md ("The rollups") has the mechanism and locking.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

from accounts.progress import ProgressReporter

from . import cells, productivity
from .models import PendingRefresh
from .registry import analyze_tables
from .version import rollups_changed

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
        rollups_changed()  # pages cached under the old version are not served again
        return written


# The rebuild's progress record (accounts.progress): one rebuild at a time, so one key; the
# rebuild page (rollups/views.py) polls it. Steps: the cells' statements, auditor days, ANALYZE.
REBUILD_PROGRESS = ("rollups-rebuild", 0)
REBUILD_STEPS = cells.REBUILD_STEPS + 2


def rebuild_progress() -> ProgressReporter:
    return ProgressReporter(*REBUILD_PROGRESS)


def rebuild_rollups() -> int:
    """Recompute every rollup from the audits in one transaction (the nightly safety net, and
    after bulk writes that bypass the lifecycle, such as the demo's). Returns the agent cell
    count. Each step is reported as it starts (a few set-based statements: the bar moves a
    step at a time)."""
    progress = rebuild_progress()
    progress.phase("locking the rollups", REBUILD_STEPS, "steps done")
    started = iter(range(REBUILD_STEPS))

    def step(name: str) -> None:
        progress.update(next(started), step=name)

    with transaction.atomic():
        written = cells.rebuild_cells(step)
        step("counting auditors' days")
        productivity.rebuild_auditor_days()
        step("analysing the tables")
        analyze_tables()
        rollups_changed()
    progress.update(REBUILD_STEPS, step="rebuilt")
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
