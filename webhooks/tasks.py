"""Celery tasks for webhooks: thin; the rules are in ``webhooks.delivery`` and
``webhooks.events``.

``deliver_webhooks`` is defined in ``webhooks.delivery``, beside ``queue_delivery``, which
queues it; the beat sweeps are here.
"""

from __future__ import annotations

from celery import shared_task

from . import delivery, events
from .delivery import deliver_webhooks as deliver_webhooks


@shared_task(ignore_result=True)
def sweep_webhook_deliveries() -> int:
    """Beat entry (every minute): kick every endpoint with a pending delivery."""
    endpoints = delivery.pending_endpoints()
    for endpoint_id in endpoints:
        deliver_webhooks.delay(endpoint_id)
    return len(endpoints)


@shared_task(ignore_result=True)
def announce_overdue_coaching() -> int:
    """Beat entry (daily): ``coaching.overdue`` once per endpoint and due date."""
    return events.announce_overdue_coaching()


@shared_task(ignore_result=True)
def announce_red_flags() -> int:
    """Beat entry (daily): ``red_flag.raised`` once per endpoint, flag and window."""
    return events.announce_red_flags()
