"""Celery tasks of the tickets app. Each takes ids, loads, calls a domain function."""

from celery import shared_task

from .importing import run_ticket_import


@shared_task(acks_late=True)
def import_ticket_file(import_id: int) -> str:
    """Import an uploaded ticket file; returns the upload's final status. Redelivery after
    a lost worker reruns the import, which is all-or-nothing and skips present tickets."""
    return run_ticket_import(import_id).status

