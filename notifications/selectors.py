"""Reading one person's notifications: always ``recipient=user``, through ``visible_to``."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.scoping import visible_to

from .models import Notification


def inbox_of(user) -> QuerySet:
    """``user``'s own notifications, newest first. Scoped twice on purpose: the recipient
    filter makes them personal, ``visible_to`` keeps the vendor rule should it ever drift."""
    return visible_to(user, Notification.objects.filter(recipient_id=user.pk))

