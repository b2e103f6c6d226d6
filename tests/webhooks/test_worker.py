"""With a real Celery worker on Redis (PostgreSQL only), events queued one after another reach
the receiver in order, signed, from the worker process."""

import time

import pytest

from tests.webhooks.conftest import SECRET, signature_is_valid
from webhooks.endpoints import create_endpoint
from webhooks.events import publish
from webhooks.models import Delivery, DeliveryStatus
from webhooks.payloads import Payload

pytestmark = pytest.mark.celery_worker

WAIT_SECONDS = 60


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_an_endpoints_events_in_order(
    live_celery_worker, receiver, manager
):
    endpoint = create_endpoint(name="Lake", url=receiver.url, events=["run.drawn"], by=manager,
                               secret=SECRET)

    for run in (1, 2, 3, 4):  # autocommit: each queued to Redis at once
        publish("run.drawn", Payload(None, {"run": run}))

    deadline = time.monotonic() + WAIT_SECONDS
    while len(receiver.requests) < 4:
        assert time.monotonic() < deadline, live_celery_worker.log()
        time.sleep(0.2)
    assert [r.json["data"]["run"] for r in receiver.requests] == [1, 2, 3, 4]
    assert all(signature_is_valid(SECRET, r) for r in receiver.requests)
    assert set(Delivery.objects.filter(endpoint=endpoint).values_list("status", flat=True)) == {
        DeliveryStatus.DELIVERED}
    assert "webhooks.delivery.deliver_webhooks" in live_celery_worker.log_once_it_says("succeeded")
