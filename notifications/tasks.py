"""Celery tasks for notifications: thin and safe to run twice (see notifications.sending).

``send_notification_emails`` is defined in ``notifications.sending``, beside ``notify``, which
queues it (the sweep below notifies through ``notify``, so this module sits above it).
"""

from __future__ import annotations

from celery import shared_task

from . import digests, events
from .sending import send_notification_emails as send_notification_emails


@shared_task
def sweep_coaching_deadlines() -> int:
    """Beat entry (daily): tell owners of coaching actions due soon or overdue."""
    return events.sweep_coaching_deadlines()


@shared_task
def send_weekly_digests() -> int:
    """Beat entry (daily): the last complete week's digest to whoever has not had it yet;
    returns how many were sent (once per person and week, see notifications.digests)."""
    return len(digests.send_digests().sent)
