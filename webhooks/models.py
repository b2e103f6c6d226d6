"""Outbound webhooks: the endpoints managers register and the log of every delivery to them.

An ``Endpoint`` is internal (no vendor: every subscribed event) or bound to one vendor (only
that vendor's vendor-facing events, with the payload a vendor may see). A ``Delivery`` is one
event for one endpoint, written in the event's own transaction, so a step that rolls back
delivers nothing; ``webhooks.delivery`` sends an endpoint's deliveries oldest first.
docs/integrations.md describes the payload and the signature.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class EndpointKind(models.TextChoices):
    JSON = "json", "JSON (signed)"
    SLACK = "slack", "Slack incoming webhook"


class Endpoint(models.Model):
    """A URL that receives the program's events. Managers only (``internal_only``)."""

    internal_only = True
    vendor_path = "vendor"

    Kind = EndpointKind

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=8, choices=EndpointKind.choices, default=EndpointKind.JSON)
    url = models.URLField(max_length=500, help_text="http:// or https://")
    # Kept as is: signing needs the secret itself (a hash could not sign). Shown once.
    secret = models.CharField(max_length=100)
    events = models.JSONField(default=list, help_text="Event names, e.g. audit.finalised.")
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.CASCADE, null=True, blank=True,
        related_name="webhook_endpoints",
        help_text="Bound to a vendor, the endpoint receives only that vendor's events.")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EndpointKind.values),
                                   name="webhook_endpoint_kind_valid"),
            models.CheckConstraint(condition=Q(url__startswith="http://")
                                   | Q(url__startswith="https://"),
                                   name="webhook_endpoint_url_is_http"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def secret_hint(self) -> str:
        """Enough to tell two secrets apart on the page, not to sign with."""
        return "…" + self.secret[-4:]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One event for one endpoint: its payload as sent, and every attempt's outcome."""

    internal_only = True
    vendor_path = "endpoint__vendor"

    Status = DeliveryStatus

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    # The event's id: the same in every endpoint's delivery and in a replay, so a receiver
    # can drop a repeat.
    event_id = models.UUIDField(default=uuid.uuid4)
    # What makes an event once-only when a sweep announces it (e.g.
    # "coaching.overdue:12:2026-12-01"); blank for events sent by a step.
    event_key = models.CharField(max_length=120, blank=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replay_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="replays")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values),
                                   name="webhook_delivery_status_valid"),
        ]
        indexes = [
            # The sender's question: this endpoint's oldest pending delivery.
            models.Index(fields=["endpoint", "id"], condition=Q(status="pending"),
                         name="webhook_delivery_pending"),
            models.Index(fields=["event_key"], condition=~Q(event_key=""),
                         name="webhook_delivery_event_key"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint} ({self.status})"
