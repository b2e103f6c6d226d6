"""A program manager registers webhook endpoints on the Webhooks page, sees a secret once,
reads an endpoint's delivery log and replays a delivery. Nobody else may: auditors get 403,
vendor users 404, anonymous visitors the login page."""

import re

import pytest

from tests.webhooks.conftest import signature_is_valid
from webhooks import delivery as sending
from webhooks.delivery import replay
from webhooks.endpoints import create_endpoint
from webhooks.events import publish
from webhooks.models import Delivery, DeliveryStatus, Endpoint
from webhooks.payloads import Payload

pytestmark = pytest.mark.django_db

PAGE = "/integrations/webhooks/"


def shown_secret(response) -> str:
    found = re.search(r'<code id="webhook-secret">([^<]+)</code>', response.content.decode())
    assert found, "the secret is shown"
    return found.group(1)


def test_a_manager_registers_an_endpoint_and_sees_its_generated_secret_once(
    client_as, manager, receiver, django_capture_on_commit_callbacks
):
    client = client_as(manager)
    menu = client.get("/people/service-accounts/").content.decode()
    assert 'href="/integrations/webhooks/"' in menu

    response = client.post(PAGE, {"name": "Data lake", "kind": "json", "url": receiver.url,
                                  "events": ["audit.finalised", "run.drawn"],
                                  "is_active": "on"})

    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    secret = shown_secret(response)
    endpoint = Endpoint.objects.get(name="Data lake")
    assert endpoint.secret == secret and secret.startswith("whsec_")
    assert endpoint.events == ["audit.finalised", "run.drawn"]
    assert endpoint.vendor is None and endpoint.created_by == manager
    for page in (PAGE, f"{PAGE}{endpoint.pk}/"):
        body = client.get(page).content.decode()
        assert "Data lake" in body and secret not in body

    # What the secret signs, a receiver verifies.
    with django_capture_on_commit_callbacks(execute=True):
        publish("run.drawn", Payload(None, {"run": 1}))
    assert signature_is_valid(secret, receiver.requests[0])


def test_a_manager_may_choose_the_secret(client_as, manager):
    response = client_as(manager).post(PAGE, {
        "name": "Own secret", "kind": "json", "url": "https://hooks.example/qa",
        "events": ["dispute.raised"], "secret": "our-own-secret-of-20ch", "is_active": "on"})

    assert response.status_code == 201
    assert Endpoint.objects.get().secret == "our-own-secret-of-20ch"


@pytest.mark.parametrize("data, says", [
    ({"name": "", "url": "https://h.example/", "events": ["run.drawn"]}, "Name"),
    ({"name": "X", "url": "ftp://h.example/", "events": ["run.drawn"]}, "URL"),
    ({"name": "X", "url": "https://h.example/", "events": []}, "Events"),
    ({"name": "X", "url": "https://h.example/", "events": ["ticket.eaten"]}, "Events"),
    ({"name": "X", "url": "https://h.example/", "events": ["run.drawn"], "secret": "short"},
     "Secret: at least 16 characters"),
    ({"name": "X", "url": "https://h.example/", "events": ["audit.finalised", "run.drawn"],
      "vendor": "VENDOR"}, "run.drawn is internal"),
])
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    client_as, manager, vendor_a, data, says
):
    if data.get("vendor") == "VENDOR":
        data = {**data, "vendor": vendor_a.pk}

    response = client_as(manager).post(PAGE, {"kind": "json", **data})

    assert response.status_code == 400
    assert says in response.content.decode()
    assert not Endpoint.objects.exists()


def test_the_endpoint_page_shows_the_log_and_replays_a_delivery(
    client_as, manager, endpoint, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(sending, "MAX_ATTEMPTS", 1)
    receiver.statuses = [502]
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = publish("run.drawn", Payload(None, {"run": 41}))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    client = client_as(manager)

    page = client.get(f"{PAGE}{endpoint.pk}/").content.decode()
    assert "run.drawn" in page and "HTTP 502" in page and "Failed" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{PAGE}{endpoint.pk}/deliveries/{delivery.pk}/replay/")
    assert response.status_code == 302
    copy = Delivery.objects.exclude(pk=delivery.pk).get()
    assert (copy.replay_of, copy.status) == (delivery, DeliveryStatus.DELIVERED)
    assert [r.json["data"] for r in receiver.requests] == [{"run": 41}, {"run": 41}]
    page = client.get(f"{PAGE}{endpoint.pk}/").content.decode()
    assert f"replay of #{delivery.pk}" in page and "Delivered" in page


def test_a_manager_edits_an_endpoint_and_rotates_its_secret(client_as, manager, endpoint):
    client = client_as(manager)

    response = client.post(f"{PAGE}{endpoint.pk}/", {
        "name": "Renamed", "url": "https://new.example/hook", "events": ["dispute.decided"]})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.url, endpoint.events, endpoint.is_active) == (
        "Renamed", "https://new.example/hook", ["dispute.decided"], False)

    old = endpoint.secret
    response = client.post(f"{PAGE}{endpoint.pk}/secret/")
    assert response.status_code == 201
    endpoint.refresh_from_db()
    assert shown_secret(response) == endpoint.secret != old


def test_only_managers_reach_the_pages(client, client_as, manager, auditor, poc_a, endpoint):
    delivery = Delivery.objects.create(endpoint=endpoint, event="run.drawn", payload={},
                                       next_attempt_at=endpoint.created_at)
    pages = [PAGE, f"{PAGE}{endpoint.pk}/"]
    posts = [f"{PAGE}{endpoint.pk}/secret/",
             f"{PAGE}{endpoint.pk}/deliveries/{delivery.pk}/replay/"]

    for url in pages + posts:
        assert client.get(url).status_code == 302  # anonymous: the login page
    auditor_client = client_as(auditor)
    for url in pages:
        assert auditor_client.get(url).status_code == 403
    for url in posts:
        assert auditor_client.post(url).status_code == 403
    poc_client = client_as(poc_a)
    for url in pages:
        assert poc_client.get(url).status_code == 404
    for url in posts:
        assert poc_client.post(url).status_code == 404
    assert Delivery.objects.count() == 1
    endpoint.refresh_from_db()
    assert endpoint.secret.startswith("receiver-shared")


def test_another_endpoints_delivery_is_not_found(client_as, manager, endpoint):
    other = create_endpoint(name="Other", url="https://o.example/", events=["run.drawn"],
                            by=manager)
    delivery = Delivery.objects.create(endpoint=other, event="run.drawn", payload={},
                                       next_attempt_at=other.created_at)

    response = client_as(manager).post(f"{PAGE}{endpoint.pk}/deliveries/{delivery.pk}/replay/")

    assert response.status_code == 404
    assert Delivery.objects.count() == 1


def test_the_endpoint_page_reads_its_log_in_a_fixed_number_of_queries(
    client_as, manager, endpoint, django_assert_max_num_queries
):
    client = client_as(manager)
    for run in range(3):
        publish("run.drawn", Payload(None, {"run": run}))
    client.get(f"{PAGE}{endpoint.pk}/")  # session and user cached alike for both counts

    with django_assert_max_num_queries(8) as few:
        assert client.get(f"{PAGE}{endpoint.pk}/").status_code == 200
    for _ in range(20):
        replay(Delivery.objects.first())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"{PAGE}{endpoint.pk}/").status_code == 200
