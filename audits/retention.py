"""Content retention: ticket content and dispute attachments are kept for a set time only.

``QA_CONTENT_RETENTION_DAYS`` after a ticket was handled, its excerpt, content link and
extra fields are blanked (``Ticket.content_purged_at`` records when); the same number of
days after a dispute was raised, its attachments are deleted from storage and their names
blanked, in the dispute's history too (``DisputedQuestion.attachment_purged_at``); the
uploaded ticket files of imports older than that are deleted. What the program measured
stays: tickets' ids, decisions and labels, audits, answers, scores, disputes' decisions and
every statistic built on them. A daily beat task runs ``purge_expired_content``; running it
twice removes nothing more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tickets.models import Ticket, TicketImport

from .models import DisputedQuestion

# Rows blanked per UPDATE: a month of tickets (millions) goes in short transactions.
BATCH = 5000


@dataclass(frozen=True)
class Purged:
    """What one purge removed."""

    tickets: int = 0
    attachments: int = 0
    ticket_files: int = 0


def retention_cutoff(now: dt.datetime | None = None, days: int | None = None) -> dt.datetime:
    """Content from before this moment has expired."""
    days = settings.QA_CONTENT_RETENTION_DAYS if days is None else days
    return (now or timezone.now()) - dt.timedelta(days=days)


def purge_expired_content(now: dt.datetime | None = None) -> Purged:
    """Remove ticket content, dispute attachments and uploaded ticket files older than the
    retention period at ``now``; see the module docstring for what stays."""
    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    return Purged(
        tickets=_purge_tickets(cutoff, now),
        attachments=_purge_attachments(cutoff, now),
        ticket_files=_purge_ticket_files(cutoff),
    )


def _purge_tickets(cutoff: dt.datetime, now: dt.datetime) -> int:
    expired = Ticket.objects.filter(handled_at__lt=cutoff, content_purged_at__isnull=True).filter(
        ~Q(excerpt="") | ~Q(content_url="") | ~Q(extra={}))
    total = 0
    while ids := list(expired.values_list("pk", flat=True)[:BATCH]):
        total += Ticket.objects.filter(pk__in=ids).update(
            excerpt="", content_url="", extra={}, content_purged_at=now)
    return total


def _purge_attachments(cutoff: dt.datetime, now: dt.datetime) -> int:
    expired = DisputedQuestion.objects.filter(dispute__raised_at__lt=cutoff).exclude(attachment="")
    total = 0
    for row in expired.only("pk", "attachment").iterator(chunk_size=BATCH):
        name = row.attachment.name
        with transaction.atomic():
            # update(), not save(): the dispute's history records decisions, not housekeeping.
            DisputedQuestion.objects.filter(pk=row.pk).update(
                attachment="", attachment_name="", attachment_purged_at=now)
            DisputedQuestion.history.filter(id=row.pk).update(
                attachment="", attachment_name="", attachment_purged_at=now)
            # The file goes once the rows no longer name it; a crash before this line
            # leaves an orphan file, never a row pointing at nothing.
            transaction.on_commit(lambda name=name: default_storage.delete(name))
        total += 1
    return total


def _purge_ticket_files(cutoff: dt.datetime) -> int:
    expired = TicketImport.objects.filter(
        created_at__lt=cutoff, status__in=TicketImport.FINISHED).exclude(file="")
    total = 0
    for upload in expired.only("pk", "file").iterator(chunk_size=BATCH):
        name = upload.file.name
        TicketImport.objects.filter(pk=upload.pk).update(file="")
        default_storage.delete(name)
        total += 1
    return total
