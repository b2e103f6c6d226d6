"""What every step of an audit shares: its errors, who is a lead, the trail and the save.

``audits.lifecycle`` (the steps after opening) and ``audits.opening`` (the steps that open an
audit) both build on these; neither imports the other for them.
"""

from __future__ import annotations

from .models import Audit, AuditEvent


class LifecycleError(Exception):
    """A step that is not possible from the audit's current status (the message says why)."""


class NotPermitted(LifecycleError):
    """The user may not take this step on this audit."""


def is_lead(user) -> bool:
    """Leads (program managers and admins) may reopen, resolve and finalise audits."""
    return bool(getattr(user, "is_authenticated", False) and user.is_manager)


def record_event(audit, user, kind, from_status, to_status, *, reason="", details=None
                 ) -> None:
    """Append one step to the audit's trail (same transaction as the change it records)."""
    AuditEvent.objects.create(
        audit=audit, by=user if getattr(user, "pk", None) else None, kind=kind,
        from_status=from_status, to_status=to_status, reason=reason, details=details or {},
    )


def save_audit(audit: Audit, user, *, reason: str = "") -> None:
    """Save, recording a history row once the audit has been submitted at least once."""
    if audit.submitted_at is None:
        audit.skip_history_when_saving = True
    audit._history_user = user if getattr(user, "pk", None) else None
    if reason:
        # django-simple-history keeps the reason in a 100-character column (PostgreSQL refuses
        # longer ones); the whole reason is in the step's AuditEvent.
        audit._change_reason = reason if len(reason) <= 100 else reason[:99] + "…"
    try:
        audit.save()
    finally:
        for attribute in ("skip_history_when_saving", "_change_reason"):
            audit.__dict__.pop(attribute, None)
