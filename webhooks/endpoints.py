"""Registering endpoints: the rules the pages (and the shell) share.

A vendor-bound endpoint may subscribe only to vendor-facing events (``webhooks.events``); a
secret is the manager's own (at least 16 characters) or generated, and shown once.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from functools import partial

from django.db import transaction

from .delivery import queue_delivery
from .events import EVENTS_BY_NAME, VENDOR_FACING
from .models import Endpoint

MIN_SECRET_LENGTH = 16


class EndpointError(ValueError):
    """A value the endpoint cannot take; the message names the field."""


def generate_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def check_events(events: Iterable[str], vendor) -> list[str]:
    events = sorted(set(events))
    unknown = [e for e in events if e not in EVENTS_BY_NAME]
    if unknown:
        raise EndpointError(f"Events: unknown event {', '.join(unknown)}.")
    if not events:
        raise EndpointError("Events: choose at least one event.")
    internal = [e for e in events if e not in VENDOR_FACING]
    if vendor is not None and internal:
        raise EndpointError(f"Events: {', '.join(internal)} is internal; an endpoint bound to "
                            f"{vendor.name} can receive only its vendor-facing events.")
    return events


def create_endpoint(*, name: str, url: str, events: Iterable[str], by, kind: str = "json",
                    vendor=None, secret: str = "", is_active: bool = True) -> Endpoint:
    secret = (secret or "").strip()
    if secret and len(secret) < MIN_SECRET_LENGTH:
        raise EndpointError(f"Secret: at least {MIN_SECRET_LENGTH} characters, or leave it "
                            "empty to have one generated.")
    with transaction.atomic():
        return Endpoint.objects.create(
            name=name, url=url, kind=kind, vendor=vendor, is_active=is_active, created_by=by,
            events=check_events(events, vendor), secret=secret or generate_secret())


def update_endpoint(endpoint: Endpoint, *, name: str, url: str, events: Iterable[str],
                    vendor, is_active: bool) -> Endpoint:
    """Change the endpoint; an active one is sent what waits for it (deliveries held while
    it was paused go out, in order, once it is switched on again)."""
    endpoint.name, endpoint.url, endpoint.vendor = name, url, vendor
    endpoint.events, endpoint.is_active = check_events(events, vendor), is_active
    with transaction.atomic():
        endpoint.save()
        if endpoint.is_active:
            transaction.on_commit(partial(queue_delivery, endpoint.pk), robust=True)
    return endpoint


def rotate_secret(endpoint: Endpoint) -> Endpoint:
    """A new generated secret; deliveries from now on are signed with it."""
    endpoint.secret = generate_secret()
    endpoint.save(update_fields=["secret"])
    return endpoint
