"""Creating notifications and emailing each one at most once.

``notify`` is the one way to tell people about an event: it writes one row per recipient
(the database's unique (recipient, event_key) drops repeats) and, once the transaction
commits, queues the task ``send_notification_emails`` (defined here, beside what queues it;
``notifications.tasks`` lists it with the app's other tasks) with the row ids. The task
calls ``send_emails``, which claims each row with an atomic
``UPDATE … SET emailed_at = now WHERE emailed_at IS NULL`` before sending: a task run twice,
retried, or racing another worker finds the row already claimed and sends nothing. If the
mail server refuses, the claim is given back and the error raised, so a retry can try again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User

from .models import Notification

logger = logging.getLogger(__name__)


def vendor_pocs(vendor_id: int) -> list[User]:
    """The active POCs of one vendor: who hears about that vendor's findings and coaching."""
    return list(User.objects.filter(role=Role.VENDOR_POC, vendor_id=vendor_id, is_active=True))


def qa_leads() -> list[User]:
    """The active leads (program managers and admins): who decides disputes."""
    return list(User.objects.filter(role__in=[Role.PROGRAM_MANAGER, Role.ADMIN],
                                    is_active=True))


def notify(event_key: str, kind: str, recipients: Iterable[User], subject: str, body: str,
           link: str = "") -> list[int]:
    """Tell ``recipients`` (inactive users are skipped) about one event, once per person.

    Returns the ids of this event's rows not yet emailed; their emails are queued when the
    surrounding transaction commits. Calling it again for the same ``event_key`` adds no
    row for anyone already told.
    """
    people = {user.pk: user for user in recipients if user.is_active}
    if not people:
        return []
    with transaction.atomic():
        Notification.objects.bulk_create(
            [Notification(recipient_id=pk, kind=kind, event_key=event_key,
                          subject=subject[:200], body=body, link=link) for pk in people],
            ignore_conflicts=True,
        )
        ids = list(Notification.objects.filter(
            event_key=event_key, recipient_id__in=people, emailed_at__isnull=True,
        ).values_list("pk", flat=True))
        if ids:
            transaction.on_commit(lambda: _queue_emails(ids))
    return ids


def _queue_emails(ids: list[int]) -> None:
    send_notification_emails.delay(ids)


# The name is the one it had in notifications.tasks: messages queued before a deploy still find it.
@shared_task(name="notifications.tasks.send_notification_emails",
             acks_late=True, reject_on_worker_lost=True)
def send_notification_emails(ids: list[int]) -> int:
    """Email the notifications ``ids`` not emailed yet; returns how many were sent."""
    return send_emails(ids)


def send_emails(ids: Iterable[int]) -> int:
    """Email each notification of ``ids`` not emailed yet; returns how many were sent."""
    sent = 0
    for notification in Notification.objects.filter(
        pk__in=list(ids), emailed_at__isnull=True
    ).select_related("recipient").order_by("pk"):
        claimed = Notification.objects.filter(
            pk=notification.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
        if not claimed:
            continue  # another run took it between the read and the claim
        try:
            send_mail(notification.subject, email_text(notification),
                      settings.DEFAULT_FROM_EMAIL, [notification.recipient.email])
        except Exception:
            Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
            raise
        sent += 1
    return sent


def email_text(notification: Notification) -> str:
    """The email body: the notification's text and where to read more (``QA_SITE_URL``,
    when set, makes the links absolute)."""
    site = getattr(settings, "QA_SITE_URL", "").rstrip("/")
    lines = [notification.body, ""]
    if notification.link:
        lines.append(f"Open: {site}{notification.link}")
    lines.append(f"Your inbox: {site}/inbox/")
    return "\n".join(lines) + "\n"
