"""Audits: one auditor's scoring of one ticket against one published form version.

The lifecycle functions (assign, start, save draft, submit, reopen, dispute, resolve,
finalise) live in ``audits.lifecycle``; these models only hold the state and refuse what
the database can refuse. Every saved change of an audit is kept by django-simple-history
(``Audit.history``), and ``AuditEvent`` is the readable lifecycle trail: who moved the audit
from which status to which, when and why.

Disputes of audits are in ``audits.dispute_models``, registered with the app below.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.formats import moment


class AuditStatus(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    DISPUTED = "disputed", "Disputed"
    RESOLVED = "resolved", "Resolved"
    FINAL = "final", "Final"
    # A lead took the audit out of the queue before it was submitted, with a reason. For a
    # sampled ticket this is non-response: estimates use the completed audits only.
    SKIPPED = "skipped", "Skipped"


# Statuses in which the audit is in an auditor's queue, still to be scored.
OPEN_STATUSES = (AuditStatus.ASSIGNED, AuditStatus.IN_PROGRESS)

# Statuses in which the audit carries a score (it has been submitted at least once).
SCORED_STATUSES = (
    AuditStatus.SUBMITTED, AuditStatus.DISPUTED, AuditStatus.RESOLVED, AuditStatus.FINAL
)


# The audits that judge vendor work: everything but re-audits. Scorecards, rollups, the
# portal, exports, the API's lists, disputes and coaching read only these.
VENDOR_WORK = Q(reaudit_of__isnull=True)


class Audit(models.Model):
    """A ticket scored (or to be scored) by an auditor with a given form version.

    ``sampled_ticket`` links the audit to the sample assignment it fulfils; an audit without
    one is an ad-hoc audit of a searched ticket and is flagged ``unsampled`` (a database
    constraint keeps the two in step) so estimates exclude it. ``internal_note`` is for the
    QA team only and must never reach a vendor page, export or API response.
    ``answers`` maps question key to answer value exactly as ``audit_forms.scoring`` takes it;
    ``score``, ``passed``, ``critical_failed``, ``section_scores`` and ``error_categories``
    are the stored result of ``score_audit`` at the last submission.

    A *re-audit* (``reaudit_of`` set) scores a finalised audit's ticket again, drawn by a
    re-audit run, to grade the first auditor: it is internal, never finalised or disputed (a
    database constraint), and every reader of vendor work leaves it out (``VENDOR_WORK``).
    An audit is re-audited at most once (the one-to-one link).
    """

    vendor_path = "ticket__vendor"

    Status = AuditStatus

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="audits")
    form_version = models.ForeignKey(
        "audit_forms.FormVersion", on_delete=models.PROTECT, related_name="audits"
    )
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="audits", help_text="Empty while no auditor free of conflicts is found.",
    )
    sampled_ticket = models.OneToOneField(
        "sampling.SampledTicket", null=True, blank=True, on_delete=models.PROTECT,
        related_name="audit",
    )
    unsampled = models.BooleanField(
        default=False, help_text="Ad-hoc audit outside any sample: excluded from estimates."
    )
    reaudit_of = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reaudit",
        help_text="Re-audits only: the finalised audit this one scores again, blind, to grade "
        "its auditor. A re-audit never counts for the vendor (audits.reaudits).",
    )
    status = models.CharField(
        max_length=12, choices=AuditStatus.choices, default=AuditStatus.ASSIGNED
    )
    answers = models.JSONField(default=dict, blank=True)
    comments = models.JSONField(default=dict, blank=True, help_text="Question key → comment.")
    internal_note = models.TextField(blank=True, help_text="QA only; never shown to vendors.")
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    critical_failed = models.BooleanField(default=False)
    section_scores = models.JSONField(default=dict, blank=True)
    error_categories = models.JSONField(
        default=dict, blank=True, help_text="Error category slug → number of errors."
    )
    errors = models.JSONField(default=list, blank=True, help_text="Question keys in error.")
    error_count = models.PositiveIntegerField(default=0)
    time_spent_seconds = models.PositiveIntegerField(default=0)
    assigned_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AuditStatus.values), name="audit_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(sampled_ticket__isnull=True) & Q(unsampled=True))
                | (Q(sampled_ticket__isnull=False) & Q(unsampled=False)),
                name="audit_unsampled_iff_no_sample",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                name="audit_score_0_100",
            ),
            # A scored status has a submission time and a pass/fail verdict.
            models.CheckConstraint(
                condition=~Q(status__in=[s.value for s in SCORED_STATUSES])
                | (Q(submitted_at__isnull=False) & Q(passed__isnull=False)),
                name="audit_scored_has_verdict",
            ),
            models.CheckConstraint(
                condition=~Q(status="final") | Q(finalised_at__isnull=False),
                name="audit_final_has_time",
            ),
            # A re-audit is drawn (it has an assignment) and grades the auditor, not the
            # vendor: it is never finalised, disputed or resolved.
            models.CheckConstraint(
                condition=Q(reaudit_of__isnull=True)
                | (Q(sampled_ticket__isnull=False) & ~Q(status__in=[
                    "disputed", "resolved", "final"])),
                name="audit_reaudit_never_final",
            ),
            # One ad-hoc audit per ticket and form version (sampled ones: one per assignment).
            models.UniqueConstraint(
                fields=["ticket", "form_version"],
                condition=Q(unsampled=True),
                name="audit_one_adhoc_per_ticket_version",
            ),
        ]
        indexes = [
            models.Index(fields=["auditor", "status", "due_at"], name="audit_queue"),
            # "Submitted today" on the queue page reads one auditor's recent audits only.
            models.Index(fields=["auditor", "submitted_at"], name="audit_auditor_submitted"),
            models.Index(fields=["status", "submitted_at"], name="audit_status_submitted"),
            models.Index(fields=["form_version", "status"], name="audit_version_status"),
        ]

    def __str__(self) -> str:
        return f"Audit {self.pk} of {self.ticket_id} ({self.get_status_display()})"

    @property
    def is_scored(self) -> bool:
        return self.status in SCORED_STATUSES


class AuditEventKind(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    STARTED = "started", "Started"
    DRAFT_SAVED = "draft_saved", "Draft saved"
    SUBMITTED = "submitted", "Submitted"
    REOPENED = "reopened", "Reopened"
    DISPUTED = "disputed", "Disputed"
    RESOLVED = "resolved", "Resolved"
    FINALISED = "finalised", "Finalised"
    RESCORED = "rescored", "Rescored"
    REASSIGNED = "reassigned", "Reassigned"
    SKIPPED = "skipped", "Skipped"


class AuditEvent(models.Model):
    """One step of an audit's lifecycle: who did what, when, from which status, and why.

    Append-only: an event is never changed or deleted once written (``save()`` refuses
    updates, ``delete()`` refuses). Internal: vendors see their disputes, not this trail.
    """

    vendor_path = "audit__ticket__vendor"
    internal_only = True

    Kind = AuditEventKind

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text="Empty for system steps (e.g. assignment by a sample run).",
    )
    kind = models.CharField(max_length=12, choices=AuditEventKind.choices)
    from_status = models.CharField(max_length=12, choices=AuditStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=AuditStatus.choices, blank=True)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["audit_id", "at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AuditEventKind.values), name="audit_event_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind="reopened") | ~Q(reason=""), name="audit_event_reopen_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["reassigned", "skipped"]) | ~Q(reason=""),
                name="audit_event_reassign_skip_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {moment(self.at)}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("Audit events are append-only: write a new event instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only and cannot be deleted.")


# Disputes are the audits app's too: importing them here registers them with it.
from .dispute_models import (  # noqa: E402,F401
    Dispute,
    DisputeDecision,
    DisputedQuestion,
    DisputeStatus,
)
