"""A lead's hand on the queue: reassign an audit to another auditor, or skip it.

Only audits not yet submitted (assigned, or in progress before a first submission) can be
moved: once scored, an audit is evidence and is reopened instead. Both steps need a reason
and write an ``AuditEvent`` in the same transaction (who, when, from whom to whom, why).

Skipping a sampled ticket is non-response: the audit becomes *skipped*, its assignment is
closed (it no longer counts as open load), and the run report counts it per stratum while
the estimates use the completed audits only. A skip may ask for a replacement: the next
ticket of the same stratum in the run's seeded order (``sampling.replacement``), opened as
a new assigned audit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from sampling.models import SampledTicket
from sampling.replacement import draw_replacement

from .lifecycle import (
    LifecycleError,
    NotPermitted,
    is_lead,
    open_assigned_audits,
    record_event,
    save_audit,
)
from .models import OPEN_STATUSES, Audit, AuditEvent, AuditStatus


def can_move(audit: Audit, user) -> bool:
    """Whether ``user`` may reassign or skip ``audit`` now (pages show the forms on this)."""
    return is_lead(user) and _movable(audit)


def _movable(audit: Audit) -> bool:
    return audit.status in OPEN_STATUSES and audit.submitted_at is None


def reassignable_auditors(audit: Audit):
    """Active QA auditors other than the current one who are not conflicted with the
    ticket's vendor, by email. A re-audit may also go to a lead, and never to the auditor
    of the audit it scores again."""
    roles = [Role.QA_AUDITOR]
    barred = [audit.auditor_id or 0]
    if audit.reaudit_of_id:
        roles.append(Role.PROGRAM_MANAGER)
        barred.append(
            Audit.objects.filter(pk=audit.reaudit_of_id).values_list("auditor_id", flat=True)
            .first() or 0
        )
    return (
        get_user_model().objects.filter(is_active=True, role__in=roles)
        .exclude(pk__in=barred)
        .exclude(conflicted_vendors=audit.ticket.vendor_id)
        .order_by("email")
    )


def reassign_audit(audit: Audit, user, to_auditor, reason: str) -> Audit:
    """Move an audit not yet submitted to ``to_auditor``'s queue. A draft stays with the
    audit (the new auditor continues it); the audit goes back to *assigned*, so it starts
    again when the new auditor opens it."""
    reason = _require(user, reason, "reassign", "reassigning")
    if to_auditor is None:
        raise LifecycleError("Choose the auditor to reassign the audit to.")
    with transaction.atomic():
        audit = _locked(audit)
        if not reassignable_auditors(audit).filter(pk=to_auditor.pk).exists():
            raise LifecycleError(
                f"{to_auditor} cannot take this audit: choose an active QA auditor other than "
                "the current one, not conflicted with the ticket's vendor"
                + (" and not its original auditor." if audit.reaudit_of_id else ".")
            )
        from_auditor = audit.auditor
        from_status = audit.status
        audit.auditor = to_auditor
        audit.status = AuditStatus.ASSIGNED
        audit.assigned_at = timezone.now()
        record_event(audit, user, AuditEvent.Kind.REASSIGNED, from_status, AuditStatus.ASSIGNED,
                     reason=reason, details={
                         "from": getattr(from_auditor, "email", None), "to": to_auditor.email,
                     })
        save_audit(audit, user, reason=reason)
        if audit.sampled_ticket_id:
            SampledTicket.objects.filter(pk=audit.sampled_ticket_id).update(
                auditor=to_auditor, assigned_at=audit.assigned_at
            )
    return audit


@dataclass(frozen=True)
class Skipped:
    """A skipped audit and, when one was asked for and found, its replacement."""

    audit: Audit
    replacement: Audit | None = None
    replacement_asked: bool = False
    drawn: SampledTicket | None = None  # the replacement ticket, even when no audit opened


def skip_audit(audit: Audit, user, reason: str, *, replace: bool = False) -> Skipped:
    """Take an audit not yet submitted out of the queue, saying why; with ``replace``, draw
    the next ticket of its stratum and open it as an audit (sampled audits only)."""
    reason = _require(user, reason, "skip", "skipping")
    if replace and not audit.sampled_ticket_id:
        raise LifecycleError("Only a sampled audit can be replaced: this one is ad hoc.")
    if replace and audit.reaudit_of_id:
        raise LifecycleError("A re-audit has no replacement: skip it without one.")
    with transaction.atomic():
        audit = _locked(audit)
        replacement = drawn = None
        if audit.sampled_ticket_id:
            # The assignment is closed: it no longer weighs on the auditor's open load.
            sampled = SampledTicket.objects.select_related("auditor", "stratum").get(
                pk=audit.sampled_ticket_id
            )
            sampled.completed_at = timezone.now()
            sampled.save(update_fields=["completed_at"])
            if replace:
                drawn = draw_replacement(sampled)
                if drawn is not None:
                    open_assigned_audits(drawn.run)
                    replacement = Audit.objects.filter(sampled_ticket=drawn).first()
        from_status = audit.status
        audit.status = AuditStatus.SKIPPED
        record_event(audit, user, AuditEvent.Kind.SKIPPED, from_status, AuditStatus.SKIPPED,
                     reason=reason, details={
                         "replacement_asked": replace,
                         "replacement_ticket": drawn.ticket_id if drawn else None,
                         "replacement": replacement.pk if replacement else None,
                     })
        save_audit(audit, user, reason=reason)
    return Skipped(audit, replacement, replace, drawn)


def _require(user, reason: str, verb: str, step: str) -> str:
    if not is_lead(user):
        raise NotPermitted(f"Only a QA lead or program manager can {verb} an audit.")
    reason = (reason or "").strip()
    if not reason:
        raise LifecycleError(f"Give a reason for {step} the audit: it is kept in its trail.")
    return reason


def _locked(audit: Audit) -> Audit:
    audit = Audit.objects.select_for_update(of=("self",)).select_related(
        "ticket", "auditor"
    ).get(pk=audit.pk)
    if not _movable(audit):
        raise LifecycleError(
            f"This audit is {audit.get_status_display().lower()}"
            f"{' after a submission' if audit.submitted_at else ''}: only an audit not yet "
            "submitted can be reassigned or skipped."
        )
    return audit
