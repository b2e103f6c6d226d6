"""Celery tasks of the audits app. Each takes ids, loads, calls a domain function."""

import dataclasses

from celery import shared_task

from . import retention


@shared_task
def purge_expired_content() -> dict:
    """Daily (beat): remove ticket content and dispute attachments past retention; returns
    what was removed. Idempotent: a second run finds nothing left to remove."""
    return dataclasses.asdict(retention.purge_expired_content())
