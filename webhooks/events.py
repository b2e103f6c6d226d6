"""Which of the program's events go out as webhooks, and the hooks that write their deliveries.

``EVENTS`` is the one list of webhook events. A vendor-facing event belongs to one vendor and
goes to internal endpoints and to that vendor's endpoints only; the others (a run drawn, a
calibration session closed) go to internal endpoints only. The hooks subscribe to the lower
apps' signals in ``qa_program.events``; each builds its payload (``webhooks.payloads``) and
calls ``publish``, inside the step's transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils import timezone

from coaching.models import CoachingAction
from scorecards.model_flags import degraded_models

from .delivery import queue_delivery
from .models import Delivery, Endpoint
from .payloads import (
    Payload,
    audit_finalised,
    calibration_closed,
    coaching_opened,
    coaching_overdue,
    dispute_decided,
    dispute_raised,
    model_degraded,
    run_drawn,
)


@dataclass(frozen=True)
class WebhookEvent:
    name: str
    label: str
    vendor_facing: bool


EVENTS = [
    WebhookEvent("audit.finalised", "Audit finalised", True),
    WebhookEvent("dispute.raised", "Dispute raised", True),
    WebhookEvent("dispute.decided", "Dispute decided", True),
    WebhookEvent("coaching.opened", "Coaching action opened", True),
    WebhookEvent("coaching.overdue", "Coaching action overdue", True),
    WebhookEvent("run.drawn", "Sample run drawn", False),
    WebhookEvent("calibration.closed", "Calibration session closed", False),
    WebhookEvent("red_flag.raised", "Red flag raised", False),
]
EVENTS_BY_NAME = {event.name: event for event in EVENTS}
VENDOR_FACING = [event.name for event in EVENTS if event.vendor_facing]


def subscribed(event: str) -> list[Endpoint]:
    """The active endpoints subscribed to ``event`` (one query; a handful of rows)."""
    return [endpoint for endpoint in Endpoint.objects.filter(is_active=True).order_by("pk")
            if event in endpoint.events]


def may_receive(endpoint: Endpoint, event: str, vendor_id: int | None) -> bool:
    """Internal endpoints receive every event; a vendor's own only that vendor's
    vendor-facing events."""
    if endpoint.vendor_id is None:
        return True
    return EVENTS_BY_NAME[event].vendor_facing and endpoint.vendor_id == vendor_id


def publish(event: str, payload: Payload | Callable[[], Payload | None] | None, *,
            key: str = "", now=None) -> list[Delivery]:
    """Write one pending delivery of ``event`` per endpoint that may receive it, in the
    current transaction, and queue their sending once it commits. A vendor-bound endpoint
    gets the payload without its internal part. ``payload`` may be a function that builds
    it, called only if some endpoint subscribed (a step costs one query when none did).
    With ``key``, an endpoint that already has a delivery of that key gets none (a sweep
    that runs again repeats nothing)."""
    endpoints = subscribed(event)
    if not endpoints:
        return []
    if callable(payload):
        payload = payload()
    if payload is None:
        return []
    endpoints = [e for e in endpoints if may_receive(e, event, payload.vendor_id)]
    if key and endpoints:
        told = set(Delivery.objects.filter(event_key=key).values_list("endpoint_id", flat=True))
        endpoints = [endpoint for endpoint in endpoints if endpoint.pk not in told]
    if not endpoints:
        return []
    now = now or timezone.now()
    event_id = uuid.uuid4()
    with transaction.atomic():
        deliveries = Delivery.objects.bulk_create([
            Delivery(endpoint=endpoint, event=event, event_id=event_id, next_attempt_at=now,
                     event_key=key,
                     payload={"event": event, "id": str(event_id),
                              "occurred_at": now.isoformat(),
                              "data": payload.for_vendor(endpoint.vendor_id is not None)})
            for endpoint in endpoints
        ])
    for endpoint in endpoints:
        transaction.on_commit(partial(queue_delivery, endpoint.pk), robust=True)
    return deliveries


# ----- hooks (subscribed in qa_program.events) -----------------------------------------------


def on_audit_finalised(audit, **signal) -> None:
    publish("audit.finalised", partial(audit_finalised, audit))


def on_dispute_raised(dispute, **signal) -> None:
    publish("dispute.raised", partial(dispute_raised, dispute))


def on_dispute_decided(dispute, **signal) -> None:
    publish("dispute.decided", partial(dispute_decided, dispute))


def on_coaching_opened(action, **signal) -> None:
    publish("coaching.opened", partial(coaching_opened, action))


def on_run_drawn(run, **signal) -> None:
    publish("run.drawn", partial(run_drawn, run))


def on_calibration_closed(session, **signal) -> None:
    publish("calibration.closed", partial(calibration_closed, session))


# ----- sweeps (beat) --------------------------------------------------------------------------


def announce_overdue_coaching(today: dt.date | None = None) -> int:
    """``coaching.overdue`` for every pending action past its due date, once per endpoint
    and due date (a moved deadline is news again). Returns the deliveries written."""
    today = today or timezone.localdate()
    if not subscribed("coaching.overdue"):
        return 0
    count = 0
    for action in CoachingAction.objects.overdue(today).order_by("due_date", "pk"):
        key = f"coaching.overdue:{action.pk}:{action.due_date.isoformat()}"
        count += len(publish("coaching.overdue", partial(coaching_overdue, action), key=key))
    return count


def announce_red_flags(now: dt.datetime | None = None) -> int:
    """``red_flag.raised`` for every red flag that is raised as of now rather than read off a
    period: today a model degraded (``scorecards.model_flags``), once per endpoint, model and
    recent window (the window moves weekly, so a model still degraded is news again next
    week). Returns the deliveries written."""
    now = now or timezone.now()
    if not subscribed("red_flag.raised"):
        return 0
    count = 0
    for check in degraded_models(now):
        key = f"red_flag.raised:model_degraded:{check.model}:{check.recent[1].isoformat()}"
        count += len(publish("red_flag.raised", partial(model_degraded, check), key=key))
    return count
