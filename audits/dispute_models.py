"""Disputes: a vendor POC contests questions of a final audit; a QA lead decides each.

The workflow (raise, resolve, SLA, rates) lives in ``audits.disputes``; these models hold
the state and refuse in the database what the database can refuse (one open dispute per
audit, a decision from the list, a resolved dispute says who resolved it and when). Both
models keep every change in django-simple-history, because a dispute is evidence a vendor
may argue over later. Re-exported from ``audits.models``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class DisputeDecision(models.TextChoices):
    UPHELD = "upheld", "Upheld (the auditor was right)"
    OVERTURNED = "overturned", "Overturned"
    PARTIALLY_OVERTURNED = "partially_overturned", "Partially overturned"


# Decisions that replace the auditor's answer with the lead's corrected one.
CORRECTING_DECISIONS = (DisputeDecision.OVERTURNED, DisputeDecision.PARTIALLY_OVERTURNED)


def attachment_path(instance: DisputedQuestion, filename: str) -> str:
    """A random name under media: the stored name never reveals the vendor, the ticket or
    the uploader's file name (kept apart in ``attachment_name`` for the download)."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"dispute_attachments/{uuid.uuid4().hex}{suffix}"


def overdue_condition(now: dt.datetime | None = None) -> Q:
    """Disputes open past their SLA deadline at ``now``, as a filter (``Dispute.is_overdue``
    for one dispute)."""
    return Q(status=DisputeStatus.OPEN, due_at__lt=now or timezone.now())


class Dispute(models.Model):
    """One vendor dispute of one final audit: open until a QA lead decides every question.

    ``due_at`` is the SLA deadline (``DISPUTE_SLA_DAYS`` after it was raised);
    ``score_before``/``score_after`` record what the resolution did to the audit's score.
    """

    vendor_path = "audit__ticket__vendor"

    Status = DisputeStatus

    audit = models.ForeignKey("audits.Audit", on_delete=models.PROTECT, related_name="disputes")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    due_at = models.DateTimeField(help_text="SLA: resolve by this time.")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    score_before = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    score_after = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DisputeStatus.values), name="dispute_status_valid"
            ),
            models.UniqueConstraint(
                fields=["audit"], condition=Q(status="open"), name="dispute_one_open_per_audit"
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved")
                | (Q(resolved_at__isnull=False) & Q(resolved_by__isnull=False)),
                name="dispute_resolved_has_who_and_when",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="dispute_queue")]

    def __str__(self) -> str:
        return f"Dispute {self.pk} of audit {self.audit_id} ({self.get_status_display()})"

    def is_overdue(self, now=None) -> bool:
        """Open past its SLA deadline."""
        return self.status == DisputeStatus.OPEN and (now or timezone.now()) > self.due_at

    @property
    def overdue(self) -> bool:
        return self.is_overdue()


class DisputedQuestion(models.Model):
    """One question of the audit the vendor contests, and the lead's decision on it.

    ``original_answer`` is the auditor's answer when the dispute was raised; for an
    overturned or partially overturned question ``corrected_answer`` is the answer the
    audit is rescored with.
    """

    vendor_path = "dispute__audit__ticket__vendor"

    Decision = DisputeDecision

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="questions")
    question_key = models.CharField(max_length=64)
    reason = models.TextField()
    attachment = models.FileField(upload_to=attachment_path, blank=True, max_length=200)
    attachment_name = models.CharField(max_length=255, blank=True)
    attachment_purged_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When retention deleted the attachment and its name (audits.retention).",
    )
    original_answer = models.CharField(max_length=64, blank=True)
    decision = models.CharField(max_length=24, choices=DisputeDecision.choices, blank=True)
    corrected_answer = models.CharField(max_length=64, blank=True)
    reply = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["dispute_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute", "question_key"], name="disputed_question_once"
            ),
            models.CheckConstraint(
                condition=Q(decision="") | Q(decision__in=DisputeDecision.values),
                name="disputed_question_decision_valid",
            ),
            models.CheckConstraint(
                condition=~Q(decision__in=[d.value for d in CORRECTING_DECISIONS])
                | ~Q(corrected_answer=""),
                name="disputed_question_overturn_has_answer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_key} in dispute {self.dispute_id}"

    @property
    def attachment_removed_note(self) -> str:
        """What pages show for an attachment retention deleted ("" while kept)."""
        if self.attachment_purged_at is None:
            return ""
        return (f"Attachment removed after {settings.QA_CONTENT_RETENTION_DAYS} days "
                "(retention).")
