"""Celery tasks for connectors: thin; the rules are in ``connectors.pulling``."""

from __future__ import annotations

from celery import shared_task

from .models import Connector
from .pulling import pull, pull_due


@shared_task(ignore_result=True)
def pull_connector(connector_id: int) -> str:
    """Pull one connector until the end of its stream (safe to run twice: a second run finds
    the connector held, or resumes from the stored cursor)."""
    connector = Connector.objects.filter(pk=connector_id).first()
    if connector is None:
        return "gone"
    return pull(connector).summary()


@shared_task(ignore_result=True)
def pull_connectors() -> int:
    """Beat entry (every five minutes): queue a pull of every active connector."""
    due = pull_due()
    for connector_id in due:
        pull_connector.delay(connector_id)
    return len(due)
