"""Notifications: one row per person per event, read in the inbox and emailed once.

The unique (recipient, event_key) constraint is the "never twice" guarantee: whatever calls
``notifications.sending.notify`` again for the same event (a retried task, a second sweep,
a re-finalised audit), the database keeps one row per person, and ``emailed_at`` is claimed
by one atomic UPDATE before the email goes out, so one row is one email at most.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Kind(models.TextChoices):
    FINDING = "finding", "New finding"
    DISPUTE_RAISED = "dispute_raised", "Dispute raised"
    DISPUTE_RESOLVED = "dispute_resolved", "Dispute resolved"
    COACHING_OPENED = "coaching_opened", "Coaching action opened"
    COACHING_DUE = "coaching_due", "Coaching action due soon"
    COACHING_OVERDUE = "coaching_overdue", "Coaching action overdue"


class Notification(models.Model):
    """A message to one person about one event (``event_key``, e.g. "dispute_resolved:42").

    Notifications are personal: pages read them with ``recipient=request.user``. For
    ``accounts.scoping.visible_to`` they belong to the recipient's vendor (internal users'
    rows have none, so a vendor user can never reach them even through a scoped list).
    """

    internal_only = False
    vendor_path = "recipient__vendor"

    Kind = Kind

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    event_key = models.CharField(max_length=120)
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="Plain text: the inbox shows it and the email is it.")
    link = models.CharField(max_length=300, blank=True, help_text="A relative URL.")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event_key"], name="notification_once_per_event"
            ),
            models.CheckConstraint(condition=Q(kind__in=Kind.values),
                                   name="notification_kind_valid"),
            # A link stays inside the program: no scheme, no other host.
            models.CheckConstraint(condition=Q(link="")
                | (Q(link__startswith="/") & ~Q(link__startswith="//")),
                                   name="notification_link_is_relative"),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.subject}"

    @property
    def unread(self) -> bool:
        return self.read_at is None


class DigestKind(models.TextChoices):
    MANAGER = "manager", "Program manager's digest"
    VENDOR_POC = "vendor_poc", "Vendor POC's digest"


class WeeklyDigest(models.Model):
    """The weekly digest of one ISO week sent to one person (``notifications.digests``).

    The unique (recipient, week) is the "once per person and week" guarantee: a re-run of the
    beat entry, a second beat or the command run by hand finds the row and sends nothing;
    ``sent_at`` is claimed by one atomic UPDATE before the email goes out.
    """

    internal_only = False
    vendor_path = "recipient__vendor"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_digests"
    )
    week = models.DateField(help_text="The Monday of the ISO week the digest reports on.")
    kind = models.CharField(max_length=20, choices=DigestKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week", "recipient_id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "week"], name="digest_once_per_week"),
            models.CheckConstraint(condition=Q(kind__in=DigestKind.values),
                                   name="digest_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · week of {self.week}"


class EmailPreference(models.Model):
    """A person's email choices; no row means the defaults (weekly digest on)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="email_preference")
    weekly_digest = models.BooleanField(
        default=True, help_text="Send me the weekly digest by email.")

    def __str__(self) -> str:
        return f"{self.user} · digest {'on' if self.weekly_digest else 'off'}"
