"""Sending deliveries: signed, one endpoint's in order, retried with exponential back-off.

``deliver_due(endpoint_id)`` sends the endpoint's oldest pending delivery, then the next, while
each is due. It holds the endpoint's row lock (``SELECT … FOR UPDATE``) for one attempt at a
time, so two workers never send to one endpoint at once and a later delivery never overtakes
an earlier one: the next is picked only once the earlier succeeded or finally failed. A
failed attempt waits ``BACKOFF_SECONDS × 2^(attempts-1)``; after ``MAX_ATTEMPTS`` attempts
(about five minutes of trying) the delivery is failed and the next one goes.

The signature (docs/integrations.md): ``X-QA-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<body>" keyed with the endpoint's secret>``, ``X-QA-Timestamp: <unix seconds>``.
A Slack endpoint gets ``{"text": …}`` and no signature (Slack's URL is its secret).

The task ``deliver_webhooks`` is defined here, beside ``queue_delivery`` which queues it
(``webhooks.tasks`` lists it with the sweeps). With a real worker it schedules itself for the
next back-off; eager (no broker) it leaves retries to the beat sweep, which also catches a
message lost with a worker.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from .models import Delivery, DeliveryStatus, Endpoint, EndpointKind
from .payloads import slack_text

USER_AGENT = "qa-program-webhooks/1"
# Each attempt's timeout, the first wait after a failure (doubled after each), and the
# attempts before a delivery is failed: 10 + 20 + 40 + 80 + 160 s of waiting over 6 attempts,
# each wait well under the broker's visibility timeout. docs/integrations.md states them.
TIMEOUT_SECONDS = 10
BACKOFF_SECONDS = 10
MAX_ATTEMPTS = 6
# Another worker holds the endpoint: look again this soon.
BUSY_RETRY_SECONDS = 2


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-QA-Signature`` header's value for ``body`` sent at ``timestamp``."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def request_for(endpoint: Endpoint, delivery: Delivery, now: dt.datetime) -> urllib.request.Request:
    """The POST for one attempt: the body and the headers, signed at ``now``."""
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if endpoint.kind == EndpointKind.SLACK:
        body = json.dumps({"text": slack_text(delivery.payload)}).encode()
    else:
        body = json.dumps(delivery.payload, separators=(",", ":")).encode()
        timestamp = int(now.timestamp())
        headers |= {"X-QA-Timestamp": str(timestamp), "X-QA-Event": delivery.event,
                    "X-QA-Delivery": str(delivery.pk),
                    "X-QA-Signature": signature(endpoint.secret, timestamp, body)}
    return urllib.request.Request(endpoint.url, data=body, headers=headers, method="POST")


@dataclass
class Outcome:
    status_code: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(request: urllib.request.Request) -> Outcome:
    """Send; any 2xx is success, anything else (another status, a timeout, a refused
    connection) is an error worth a retry. Redirects are not followed into other hosts'
    hands: a 3xx is an error too."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(1024)
            return Outcome(response.status, "")
    except urllib.error.HTTPError as refused:
        return Outcome(refused.code, f"HTTP {refused.code} {refused.reason}"[:300])
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as failed:
        reason = getattr(failed, "reason", failed)
        return Outcome(None, f"{type(failed).__name__}: {reason}"[:300])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: base × 2^(attempts-1)."""
    return dt.timedelta(seconds=BACKOFF_SECONDS * 2 ** (attempts - 1))


class Busy(Exception):
    """Another worker holds the endpoint: it sends what is due."""


def deliver_next(endpoint_id: int, now: dt.datetime | None = None) -> dt.datetime | None:
    """One attempt at the endpoint's oldest pending delivery, under the endpoint's lock.
    Returns when the next attempt is due (now, if the next delivery can go at once), or None
    when nothing is pending; raises ``Busy`` if another worker holds the lock."""
    now = now or timezone.now()
    with transaction.atomic():
        endpoint = (Endpoint.objects.select_for_update(skip_locked=True)
                    .filter(pk=endpoint_id).first())
        if endpoint is None:
            if Endpoint.objects.filter(pk=endpoint_id).exists():
                raise Busy(endpoint_id)
            return None
        delivery = (endpoint.deliveries.filter(status=DeliveryStatus.PENDING)
                    .order_by("id").first())
        if delivery is None:
            return None
        if delivery.next_attempt_at > now:
            return delivery.next_attempt_at
        if not endpoint.is_active:
            return None  # paused: the deliveries wait for it to be switched on again
        outcome = post(request_for(endpoint, delivery, now))
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        if outcome.ok:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        delivery.save()
        if delivery.status != DeliveryStatus.PENDING:
            following = (endpoint.deliveries.filter(status=DeliveryStatus.PENDING)
                         .order_by("id").values_list("next_attempt_at", flat=True).first())
            return None if following is None else max(following, now)
        return delivery.next_attempt_at


def deliver_due(endpoint_id: int, now: dt.datetime | None = None,
                limit: int = 100) -> dt.datetime | None:
    """Send the endpoint's deliveries in order while they are due (at most ``limit``
    attempts); returns when the next one is due, or None when none is pending."""
    now = now or timezone.now()
    due = None
    for _ in range(limit):
        due = deliver_next(endpoint_id, now)
        if due is None or due > now:
            return due
    return due


def replay(delivery: Delivery, now: dt.datetime | None = None) -> Delivery:
    """Queue the delivery's payload again, as a new delivery behind the endpoint's pending
    ones (same event id, so a receiver that kept it can tell)."""
    now = now or timezone.now()
    with transaction.atomic():
        copy = Delivery.objects.create(
            endpoint=delivery.endpoint, event=delivery.event, event_id=delivery.event_id,
            payload=delivery.payload, next_attempt_at=now, replay_of=delivery)
        transaction.on_commit(lambda: queue_delivery(delivery.endpoint_id), robust=True)
    return copy


def pending_endpoints() -> list[int]:
    """Endpoints with a pending delivery: what the beat sweep kicks."""
    return list(Delivery.objects.filter(status=DeliveryStatus.PENDING, endpoint__is_active=True)
                .values_list("endpoint_id", flat=True).distinct().order_by("endpoint_id"))


@shared_task(ignore_result=True)
def deliver_webhooks(endpoint_id: int) -> None:
    """Send what is due to one endpoint; with a worker, come back when the next is due."""
    try:
        due = deliver_due(endpoint_id)
    except Busy:
        due = timezone.now() + dt.timedelta(seconds=BUSY_RETRY_SECONDS)
    if due is not None and not deliver_webhooks.app.conf.task_always_eager:
        deliver_webhooks.apply_async((endpoint_id,), eta=due)


def queue_delivery(endpoint_id: int) -> None:
    deliver_webhooks.delay(endpoint_id)
