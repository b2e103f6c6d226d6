"""/healthz tells a load balancer or an operator whether the database and broker answer."""

import pytest

from tests.conftest import redis_url

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def healthz(client, settings):
    """GET /healthz as an anonymous caller (monitors do not log in), over plain HTTP."""
    settings.SECURE_SSL_REDIRECT = False

    def get():
        return client.get("/healthz")

    return get


@pytest.mark.django_db
def test_health_answers_json_naming_the_database_and_the_broker(healthz, settings):
    settings.REDIS_URL = ""

    response = healthz()

    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"status", "database", "broker"}
    assert set(body["database"]) == {"ok", "detail"}
    assert set(body["broker"]) == {"ok", "detail"}


@pytest.mark.django_db
def test_a_reachable_database_without_a_broker_is_healthy_with_eager_tasks(healthz, settings):
    settings.REDIS_URL = ""

    response = healthz()

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True, "detail": _database_vendor()}
    assert body["broker"]["ok"] is True
    assert body["broker"]["detail"].startswith("eager")


@pytest.mark.django_db
def test_an_unreachable_broker_makes_the_service_unhealthy_and_says_why(healthz, settings):
    settings.REDIS_URL = CLOSED_PORT_REDIS

    response = healthz()

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is False
    # The detail is the connection error, naming where it tried to connect.
    assert "127.0.0.1:1" in body["broker"]["detail"]


@pytest.mark.django_db
@pytest.mark.skipif(not redis_url(), reason="REDIS_URL is not set: no real broker to reach")
def test_a_real_redis_broker_is_reported_reachable(healthz, settings):
    settings.REDIS_URL = redis_url()

    response = healthz()

    assert response.status_code == 200
    assert response.json()["broker"] == {"ok": True, "detail": "redis"}


def _database_vendor() -> str:
    from django.db import connection

    return connection.vendor
