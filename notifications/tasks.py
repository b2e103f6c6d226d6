"""Celery tasks for notifications: thin and safe to run twice (see notifications.sending)."""

from __future__ import annotations

from celery import shared_task

from . import events, sending


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_notification_emails(ids: list[int]) -> int:
    """Email the notifications ``ids`` not emailed yet; returns how many were sent."""
    return sending.send_emails(ids)


@shared_task
def sweep_coaching_deadlines() -> int:
    """Beat entry (daily): tell owners of coaching actions due soon or overdue."""
    return events.sweep_coaching_deadlines()
