"""Celery tasks of the audits app. Each takes ids, loads, calls a domain function."""

import dataclasses

from celery import shared_task

from . import retention
from .importing import run_ticket_import


@shared_task(acks_late=True)
def import_ticket_file(import_id: int) -> str:
    """Import an uploaded ticket file; returns the upload's final status. Redelivery after
    a lost worker reruns the import, which is all-or-nothing and skips present tickets."""
    return run_ticket_import(import_id).status


@shared_task
def purge_expired_content() -> dict:
    """Daily (beat): remove ticket content and dispute attachments past retention; returns
    what was removed. Idempotent: a second run finds nothing left to remove."""
    return dataclasses.asdict(retention.purge_expired_content())
