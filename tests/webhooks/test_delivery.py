"""A receiver gets each delivery signed with the shared secret, in order per endpoint, retried
with exponential back-off until it answers 2xx or the attempts run out; a replay sends the
same event again. Every request goes to a real HTTP server on 127.0.0.1; the clock is the
one the deliveries were written at, moved on by hand."""

import datetime as dt
import re
import threading
from pathlib import Path

import pytest
import time_machine

from tests.webhooks.conftest import SECRET, signature_is_valid
from webhooks import delivery as sending
from webhooks.delivery import deliver_due, replay
from webhooks.endpoints import create_endpoint
from webhooks.events import publish
from webhooks.models import Delivery, DeliveryStatus
from webhooks.payloads import Payload
from webhooks.tasks import sweep_webhook_deliveries

pytestmark = pytest.mark.django_db

SECOND = dt.timedelta(seconds=1)


def announce(name: str, vendor_id=None, **data) -> Delivery:
    """A coaching.opened event with ``data``; returns the first endpoint's delivery."""
    deliveries = publish("coaching.opened", Payload(vendor_id, {"title": name, **data}))
    return deliveries[0]


def test_a_receiver_with_the_shared_secret_verifies_the_signature(endpoint, receiver):
    delivery = announce("Reclaimed slurs", due_date="2026-01-31")

    assert deliver_due(endpoint.pk, now=delivery.next_attempt_at) is None

    (got,) = receiver.requests
    assert got.path == "/hooks/internal"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["X-QA-Timestamp"] == str(int(delivery.next_attempt_at.timestamp()))
    assert signature_is_valid(SECRET, got)
    assert not signature_is_valid("another-secret-of-some-length", got)
    tampered = type(got)(got.path, got.headers, got.body.replace(b"slurs", b"slurz"))
    assert not signature_is_valid(SECRET, tampered)
    assert got.json == {
        "event": "coaching.opened", "id": str(delivery.event_id),
        "occurred_at": delivery.payload["occurred_at"],
        "data": {"title": "Reclaimed slurs", "due_date": "2026-01-31"},
    }
    assert dt.datetime.fromisoformat(got.json["occurred_at"]) == delivery.next_attempt_at
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.DELIVERED, 1, 200)


def test_failed_attempts_are_retried_with_exponential_back_off_then_succeed(
    endpoint, receiver, monkeypatch
):
    monkeypatch.setattr(sending, "BACKOFF_SECONDS", 10)
    receiver.statuses = [500, 503]
    delivery = announce("Tone")
    t0 = delivery.next_attempt_at

    assert deliver_due(endpoint.pk, now=t0) == t0 + 10 * SECOND
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.PENDING, 1, 500)
    assert delivery.last_error == "HTTP 500 Internal Server Error"

    # Not due yet: nothing is sent.
    assert deliver_due(endpoint.pk, now=t0 + 9 * SECOND) == t0 + 10 * SECOND
    assert len(receiver.requests) == 1

    # The second failure doubles the wait: 20 s.
    assert deliver_due(endpoint.pk, now=t0 + 10 * SECOND) == t0 + 30 * SECOND
    assert deliver_due(endpoint.pk, now=t0 + 30 * SECOND) is None

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        DeliveryStatus.DELIVERED, 3, 200)
    assert delivery.delivered_at == t0 + 30 * SECOND
    assert len(receiver.requests) == 3
    assert all(signature_is_valid(SECRET, r) for r in receiver.requests)
    # Each attempt is signed at its own time; the event is the same.
    assert [r.headers["X-QA-Timestamp"] for r in receiver.requests] == [
        str(int((t0 + s * SECOND).timestamp())) for s in (0, 10, 30)]
    assert {r.json["id"] for r in receiver.requests} == {str(delivery.event_id)}


def test_a_delivery_that_never_succeeds_fails_after_the_last_attempt(
    endpoint, receiver, monkeypatch
):
    monkeypatch.setattr(sending, "MAX_ATTEMPTS", 3)
    receiver.statuses = [500] * 10
    delivery = announce("Escalations")
    t0 = delivery.next_attempt_at

    now = t0
    while (due := deliver_due(endpoint.pk, now=now)) is not None:
        now = due

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert len(receiver.requests) == 3


def test_unreachable_endpoint_is_an_error_in_the_log_not_a_crash(manager, receiver):
    closed = create_endpoint(name="Gone", url="http://127.0.0.1:9/", events=["coaching.opened"],
                             by=manager)
    delivery = announce("Anything")

    assert deliver_due(closed.pk, now=delivery.next_attempt_at) is not None
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("URLError")


def test_a_later_delivery_waits_until_the_earlier_one_succeeded(
    endpoint, receiver, monkeypatch
):
    monkeypatch.setattr(sending, "BACKOFF_SECONDS", 10)
    receiver.statuses = [500, 500]
    first, second, third = (announce(name) for name in ("first", "second", "third"))
    t0 = third.next_attempt_at

    deliver_due(endpoint.pk, now=t0)
    deliver_due(endpoint.pk, now=t0 + 10 * SECOND)
    # Two failures of the first: the others were never tried, though they were due.
    assert [r.json["data"]["title"] for r in receiver.requests] == ["first", "first"]
    second.refresh_from_db()
    assert second.attempts == 0

    assert deliver_due(endpoint.pk, now=t0 + 30 * SECOND) is None
    assert [r.json["data"]["title"] for r in receiver.requests] == [
        "first", "first", "first", "second", "third"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


def test_a_finally_failed_delivery_lets_the_next_one_go(endpoint, receiver, monkeypatch):
    monkeypatch.setattr(sending, "MAX_ATTEMPTS", 2)
    receiver.statuses = [410, 410]
    first, second = announce("first"), announce("second")

    now = second.next_attempt_at
    while (due := deliver_due(endpoint.pk, now=now)) is not None:
        now = due

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.attempts, second.status) == (
        DeliveryStatus.FAILED, 2, DeliveryStatus.DELIVERED)
    assert [r.json["data"]["title"] for r in receiver.requests] == ["first", "first", "second"]


def test_one_endpoints_failures_do_not_hold_up_another(endpoint, receiver, manager):
    other = create_endpoint(name="Second", url=receiver.url + "/second",
                            events=["coaching.opened"], by=manager, secret="x" * 16)
    receiver.statuses = [500]
    delivery = announce("both")

    deliver_due(endpoint.pk, now=delivery.next_attempt_at)
    assert deliver_due(other.pk, now=delivery.next_attempt_at) is None
    assert [r.path for r in receiver.requests] == ["/hooks/internal", "/hooks/second"]
    assert signature_is_valid("x" * 16, receiver.requests[1])


def test_a_replay_sends_the_same_event_again_behind_the_pending_ones(endpoint, receiver):
    first = announce("first")
    deliver_due(endpoint.pk, now=first.next_attempt_at)
    second = announce("second")

    copy = replay(first, now=second.next_attempt_at)
    assert deliver_due(endpoint.pk, now=copy.next_attempt_at) is None

    assert [r.json["data"]["title"] for r in receiver.requests] == ["first", "second", "first"]
    assert receiver.requests[0].json == receiver.requests[2].json  # same id, same payload
    copy.refresh_from_db()
    assert (copy.replay_of, copy.status, copy.attempts) == (first, DeliveryStatus.DELIVERED, 1)
    first.refresh_from_db()
    assert first.attempts == 1  # the original's log is kept as it was


def test_a_paused_endpoint_keeps_its_deliveries_until_switched_on(endpoint, receiver):
    delivery = announce("held")
    endpoint.is_active = False
    endpoint.save()

    assert deliver_due(endpoint.pk, now=delivery.next_attempt_at) is None
    assert receiver.requests == []
    endpoint.is_active = True
    endpoint.save()
    assert deliver_due(endpoint.pk, now=delivery.next_attempt_at) is None
    assert len(receiver.requests) == 1


def test_a_slack_endpoint_gets_a_line_of_text_and_no_signature(receiver, manager):
    slack = create_endpoint(name="#qa-alerts", kind="slack", url=receiver.url + "/slack",
                            events=["coaching.opened"], by=manager)
    delivery = announce("Reclaimed slurs", vendor="acme", due_date="2026-01-31",
                        url="/coaching/7/")

    deliver_due(slack.pk, now=delivery.next_attempt_at)

    (got,) = receiver.requests
    assert got.json == {"text": "*coaching.opened* Coaching action for acme: Reclaimed slurs "
                                "(due 2026-01-31). (/coaching/7/)"}
    assert "X-QA-Signature" not in got.headers


def test_the_beat_sweep_sends_what_waits_once_its_back_off_has_passed(endpoint, receiver):
    receiver.statuses = [500]
    delivery = announce("swept")
    t0 = delivery.next_attempt_at

    with time_machine.travel(t0, tick=False):
        assert sweep_webhook_deliveries() == 1  # the first attempt fails
    with time_machine.travel(t0 + 9 * SECOND, tick=False):
        sweep_webhook_deliveries()  # not due: nothing sent
    assert len(receiver.requests) == 1
    with time_machine.travel(t0 + sending.BACKOFF_SECONDS * SECOND, tick=False):
        sweep_webhook_deliveries()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert sweep_webhook_deliveries() == 0


def test_the_receiver_in_the_docs_accepts_a_delivery_and_refuses_a_wrong_secret(manager):
    """docs/integrations.md's receiver, run as written (its last line, which serves on port
    8080 for ever, replaced by a server on a free port in a thread)."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "integrations.md").read_text()
    code = re.search(r"```python\n(.*?)```", docs, re.S).group(1)
    code, last = code.rstrip().rsplit("\n", 1)
    assert last.startswith("HTTPServer(") and "serve_forever" in last
    receiver = {}
    exec(code.replace('SECRET = b"whsec_…"', f"SECRET = b{SECRET!r}"), receiver)
    server = receiver["HTTPServer"](("127.0.0.1", 0), receiver["Receiver"])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        right = create_endpoint(name="Docs", url=url, events=["run.drawn"], by=manager,
                                secret=SECRET)
        wrong = create_endpoint(name="Wrong", url=url, events=["run.drawn"], by=manager,
                                secret="not-the-receivers-secret")
        first, second = publish("run.drawn", Payload(None, {"run": 7}))
        deliver_due(right.pk)
        deliver_due(wrong.pk)
    finally:
        server.shutdown()
        server.server_close()

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.last_status_code) == (DeliveryStatus.DELIVERED, 204)
    assert (second.status, second.last_status_code) == (DeliveryStatus.PENDING, 401)
