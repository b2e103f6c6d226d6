"""Coaching actions: what QA asks a vendor to coach, and whether the coaching worked.

An action is about one theme (an error category, optionally within one workflow) at one
level: an agent (opened from that agent's audits), a site or a whole vendor (opened from a
thematic gap). The vendor acknowledges it, records the coaching done and completes it; QA
verifies. The steps live in ``coaching.actions``; this model only holds the state and
refuses, in the database, what is inconsistent. Every change is kept by
django-simple-history.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class Level(models.TextChoices):
    AGENT = "agent", "Agent"
    SITE = "site", "Site"
    VENDOR = "vendor", "Vendor"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    COMPLETED = "completed", "Completed"
    VERIFIED = "verified", "Verified"
    CANCELLED = "cancelled", "Cancelled"


# Statuses in which the vendor still owes the coaching: these can be overdue.
PENDING_STATUSES = (ActionStatus.OPEN, ActionStatus.ACKNOWLEDGED)
# Statuses in which the coaching has been done: these have an "after" to measure.
DONE_STATUSES = (ActionStatus.COMPLETED, ActionStatus.VERIFIED)


class CoachingActionQuerySet(models.QuerySet):
    def overdue(self, today: dt.date | None = None) -> CoachingActionQuerySet:
        """Actions not completed (nor cancelled) whose due date has passed."""
        today = today or timezone.localdate()
        return self.filter(status__in=PENDING_STATUSES, due_date__lt=today)


class CoachingAction(models.Model):
    """One coaching request to a vendor, from audits (agent level) or from a gap."""

    vendor_path = "vendor"

    Level = Level
    Status = ActionStatus

    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.PROTECT, related_name="coaching_actions"
    )
    level = models.CharField(max_length=8, choices=Level.choices)
    site = models.ForeignKey(
        "vendors.Site", null=True, blank=True, on_delete=models.PROTECT,
        related_name="coaching_actions", help_text="The coached site (agent's site for agents).",
    )
    agent = models.ForeignKey(
        "vendors.Agent", null=True, blank=True, on_delete=models.PROTECT,
        related_name="coaching_actions",
    )
    category = models.ForeignKey(
        "audit_forms.ErrorCategory", on_delete=models.PROTECT, related_name="coaching_actions",
        help_text="The theme: the error category to coach.",
    )
    workflow = models.ForeignKey(
        "vendors.Workflow", null=True, blank=True, on_delete=models.PROTECT,
        related_name="coaching_actions", help_text="Empty: the theme in every workflow.",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    audits = models.ManyToManyField(
        "audits.Audit", blank=True, related_name="coaching_actions",
        help_text="The audits the action was opened from (agent level); none from a gap.",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coaching_opened"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="coaching_owned", help_text="The vendor POC who answers for it.",
    )
    due_date = models.DateField()
    status = models.CharField(
        max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    opened_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    coaching_notes = models.TextField(
        blank=True, help_text="What the vendor did: sessions, material, agents coached."
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    verification_note = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    cancel_reason = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = CoachingActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=Level.values),
                                   name="coaching_level_valid"),
            models.CheckConstraint(condition=Q(status__in=ActionStatus.values),
                                   name="coaching_status_valid"),
            # The level says which of agent and site are named (an agent's site with it).
            models.CheckConstraint(
                condition=(Q(level=Level.AGENT) & Q(agent__isnull=False) & Q(site__isnull=False))
                | (Q(level=Level.SITE) & Q(agent__isnull=True) & Q(site__isnull=False))
                | (Q(level=Level.VENDOR) & Q(agent__isnull=True) & Q(site__isnull=True)),
                name="coaching_level_names_its_target",
            ),
            # Each step reached has its time and who took it.
            models.CheckConstraint(
                condition=Q(status__in=[ActionStatus.OPEN, ActionStatus.CANCELLED])
                | (Q(acknowledged_at__isnull=False) & Q(acknowledged_by__isnull=False)),
                name="coaching_acknowledged_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=DONE_STATUSES)
                | (Q(completed_at__isnull=False) & Q(completed_by__isnull=False)),
                name="coaching_completed_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=~Q(status=ActionStatus.VERIFIED)
                | (Q(verified_at__isnull=False) & Q(verified_by__isnull=False)),
                name="coaching_verified_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=~Q(status=ActionStatus.CANCELLED)
                | (Q(cancelled_at__isnull=False) & Q(cancelled_by__isnull=False)),
                name="coaching_cancelled_has_who_and_when",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="coaching_status_due")]

    def __str__(self) -> str:
        return f"Coaching {self.pk}: {self.title}"

    @property
    def target(self):
        """The coached agent, site or vendor."""
        return self.agent or self.site or self.vendor

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.status in PENDING_STATUSES and self.due_date < (today or timezone.localdate())
