"""Keep ``AuditorDay`` equal to what the audits say (being written)."""

from __future__ import annotations

from collections.abc import Iterable


def refresh_auditor_days(audit_ids: Iterable[int]) -> int:
    """Recompute the auditor-days the given audits fall in; returns rows written."""
    return 0


def rebuild_auditor_days() -> int:
    """Recompute every auditor-day from the audits; returns the row count."""
    return 0
