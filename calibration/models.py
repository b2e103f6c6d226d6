"""Calibration sessions: the same tickets scored blind by several people, compared with each
other and with a gold answer.

A session scores a fixed set of tickets (``CalibrationItem``) with one form version. Its
participants (``Participant``: internal auditors and leads, and vendor QA analysts of the
session's vendor) each score every item (``ScoredItem`` marks an item done, ``Rating`` holds
one answer per question, the stored choice value as the auditor workspace stores it). The
lead records the answer key (``GoldAnswer``, with a rationale) and the decisions per question
(``QuestionNote``). Nobody sees another participant's answers until the session is closed
(``calibration.selectors``).

Vendor users reach a session only through ``accounts.scoping.visible_to`` (``vendor_path``)
and only if they are invited to it: a session with vendor QA analysts holds tickets of that
one vendor (``CalibrationSession.vendor``), so what they see is their vendor's data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class SessionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open for scoring"
    CLOSED = "closed", "Closed"


class ItemSource(models.TextChoices):
    RANDOM = "random", "Random from recent finalised audits"
    PICKED = "picked", "Hand-picked"
    DISPUTES = "disputes", "From overturned disputes"
    IMPORTED = "imported", "Imported"


class CalibrationSession(models.Model):
    """One calibration exercise: a form version, its items, its participants."""

    vendor_path = "vendor"

    Status = SessionStatus

    name = models.CharField(max_length=200)
    form_version = models.ForeignKey(
        "audit_forms.FormVersion", on_delete=models.PROTECT, related_name="+")
    vendor = models.ForeignKey(
        "vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="When set, every item is this vendor's ticket and its QA analysts may join.",
    )
    status = models.CharField(
        max_length=10, choices=SessionStatus.choices, default=SessionStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values), name="calibration_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="calibration_closed_has_time"),
            models.UniqueConstraint(fields=["name"], name="calibration_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.status == SessionStatus.CLOSED


class CalibrationItem(models.Model):
    """One ticket every participant scores."""

    vendor_path = "ticket__vendor"

    session = models.ForeignKey(CalibrationSession, on_delete=models.CASCADE, related_name="items")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=ItemSource.choices)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["session_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "ticket"], name="calibration_item_once"),
        ]

    def __str__(self) -> str:
        return str(self.ticket)


class Participant(models.Model):
    """Someone invited to score every item of the session."""

    vendor_path = "session__vendor"

    session = models.ForeignKey(
        CalibrationSession, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calibrations")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session_id", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"], name="calibration_participant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.session}"


class ScoredItem(models.Model):
    """A participant has scored this item (their answers are the item's ``Rating`` rows)."""

    vendor_path = "item__ticket__vendor"

    item = models.ForeignKey(CalibrationItem, on_delete=models.CASCADE, related_name="scored")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "rater"], name="calibration_scored_once"),
        ]

    def __str__(self) -> str:
        return f"{self.item} scored by {self.rater}"


class Rating(models.Model):
    """One participant's answer to one question of one item: the stored choice value."""

    vendor_path = "item__ticket__vendor"

    item = models.ForeignKey(CalibrationItem, on_delete=models.CASCADE, related_name="ratings")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    question_key = models.CharField(max_length=60)
    answer = models.CharField(max_length=60)

    class Meta:
        ordering = ["item_id", "rater_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "rater", "question_key"], name="calibration_rating_once"),
            models.CheckConstraint(condition=~Q(answer=""), name="calibration_rating_answered"),
        ]

    def __str__(self) -> str:
        return f"{self.question_key}={self.answer}"


class GoldAnswer(models.Model):
    """The answer key for one question of one item, and why."""

    vendor_path = "item__ticket__vendor"

    item = models.ForeignKey(CalibrationItem, on_delete=models.CASCADE, related_name="gold")
    question_key = models.CharField(max_length=60)
    answer = models.CharField(max_length=60)
    rationale = models.TextField(blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "question_key"], name="calibration_gold_once"),
            models.CheckConstraint(condition=~Q(answer=""), name="calibration_gold_answered"),
        ]

    def __str__(self) -> str:
        return f"gold {self.question_key}={self.answer}"


class QuestionNote(models.Model):
    """What the session decided about one question, and the form version that took it up."""

    vendor_path = "session__vendor"

    session = models.ForeignKey(CalibrationSession, on_delete=models.CASCADE, related_name="notes")
    question_key = models.CharField(max_length=60)
    note = models.TextField(blank=True)
    guidance_version = models.ForeignKey(
        "audit_forms.FormVersion", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text="The form version whose guidance took up this decision.")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "question_key"], name="calibration_note_once"),
        ]

    def __str__(self) -> str:
        return f"note on {self.question_key}"
