"""Dashboards and the API's reads come from a real streaming replica; a writer reads the primary.

A primary holding a copy of the run's test database and a hot standby streaming from it, two
PostgreSQL clusters on free ports (tests/replica_cluster.py, which says why the primary is not
the run's shared cluster), become ``default`` and ``replica``: in-process for the test client,
and through DATABASE_URL and DATABASE_REPLICA_URL for a gunicorn configured like production.
The proof is what a page shows while the replica's replay is paused: a row written straight
into the primary is missing from a replica-routed page and present on the same page for a
caller who has just written.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.test import Client

from accounts.models import Role
from accounts.service_accounts import create_service_account, issue_token
from qa_program.db_routers import REPLICA, reading_from_replica
from tests.conftest import FROZEN_NOW as QA_FROZEN
from tests.factories import UserFactory, VendorFactory
from tests.replica_cluster import _free_port, start_streaming_pair, why_no_replica
from tests.tickets.conftest import good_row
from tickets.models import Ticket
from vendors.models import Vendor

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA]),
]


@pytest.fixture(scope="module")
def streaming_pair(django_db_setup, django_db_blocker):
    """A primary holding a copy of this run's test database and its streaming replica
    (tests/replica_cluster.py), as ``default`` and ``replica`` for the module; the replica is a
    test mirror of ``default``, so tests never flush it. Stopped and deleted after."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("needs PostgreSQL: a streaming replica (set DATABASE_URL)")
        with connection.cursor() as cursor:
            if reason := why_no_replica(cursor):
                pytest.skip(f"cannot run a streaming replica here: {reason}")
            pair = start_streaming_pair(cursor, connection.settings_dict)
    default = connection.settings_dict
    shared = (default["HOST"], default["PORT"])
    try:
        connection.close()
        default.update(HOST="127.0.0.1", PORT=str(pair.primary.port))
        # connections.settings is settings.DATABASES: the middleware sees the alias too.
        connections.settings[REPLICA] = {
            **default,
            "PORT": str(pair.replica.port),
            "TEST": {**default["TEST"], "MIRROR": DEFAULT_DB_ALIAS},
        }
        yield pair
    finally:
        if REPLICA in connections.settings:
            connections[REPLICA].close()
            del connections.settings[REPLICA]
        with contextlib.suppress(AttributeError):
            delattr(connections._connections, REPLICA)
        connection.close()
        default["HOST"], default["PORT"] = shared
        pair.stop()


@pytest.fixture
def replay_paused(streaming_pair):
    """The replica caught up with everything written so far, then frozen there."""
    streaming_pair.wait_for_replay()
    streaming_pair.pause_replay()
    yield streaming_pair
    streaming_pair.resume_replay()


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def vendor_slugs(client) -> set[str]:
    response = client.get("/api/v1/vendors/")
    assert response.status_code == 200, response.content
    return {row["slug"] for row in response.json()["results"]}


def ticket_ids(client) -> set[str]:
    response = client.get("/api/v1/tickets/")
    assert response.status_code == 200, response.content
    return {row["external_id"] for row in response.json()["results"]}


def test_a_dashboard_and_the_api_read_the_replica_and_a_writer_reads_the_primary(
    vendor_a, site_a, workflow, replay_paused
):
    manager = UserFactory(email="lead@example.com", role=Role.PROGRAM_MANAGER)
    browsing, writing = logged_in(manager), logged_in(manager)
    # Written straight into the primary while the replica stands still.
    VendorFactory(name="Late Vendor", slug="late")
    assert Vendor.objects.filter(slug="late").exists()

    # Replica-routed reads do not see it: the API list and the vendor's scorecard.
    assert vendor_slugs(browsing) == {"acme"}
    assert browsing.get("/scorecards/vendors/late/").status_code == 404
    assert browsing.get("/scorecards/vendors/acme/").status_code == 200

    # A POST writes to the primary (the replica is read-only, a write there would fail) ...
    pushed = writing.post(
        "/api/v1/tickets/bulk/",
        json.dumps([good_row("T-after-post")]),
        content_type="application/json",
    )
    assert pushed.status_code == 200, pushed.content
    assert Ticket.objects.using(DEFAULT_DB_ALIAS).filter(external_id="T-after-post").exists()
    # ... and the same caller's reads after it come from the primary: they see both rows.
    assert ticket_ids(writing) == {"T-after-post"}
    assert vendor_slugs(writing) == {"acme", "late"}
    assert writing.get("/scorecards/vendors/late/").status_code == 200
    # Who has not written still reads the paused replica.
    assert ticket_ids(browsing) == set()

    # Once the replica replays, everyone sees everything.
    replay_paused.resume_replay()
    replay_paused.wait_for_replay()
    assert vendor_slugs(browsing) == {"acme", "late"}
    assert ticket_ids(browsing) == {"T-after-post"}


def test_outside_replica_pages_transactions_and_logins_read_the_primary(vendor_a, replay_paused):
    VendorFactory(name="Late Vendor", slug="late")

    with reading_from_replica():
        assert not Vendor.objects.filter(slug="late").exists()  # the replica, paused
        with transaction.atomic():
            assert Vendor.objects.filter(slug="late").exists()  # in a transaction: primary
    # A page not listed for the replica (the vendors' list page) reads the primary.
    auditor_lead = UserFactory(email="lead2@example.com", role=Role.PROGRAM_MANAGER)
    client = logged_in(auditor_lead)  # a user the replica has not seen can log in
    assert b"Late Vendor" in client.get("/vendors/").content
    assert client.get("/scorecards/").status_code == 200


@pytest.fixture
def web_tier(streaming_pair, settings):
    """gunicorn configured only by the environment, as in production: DATABASE_URL names the
    primary and DATABASE_REPLICA_URL the replica. Yields its base URL."""
    port = _free_port()
    database = f"postgres://{streaming_pair.user}@127.0.0.1:%s/{streaming_pair.database}"
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "PYTEST_XDIST_WORKER", "DJANGO_DEBUG", QA_FROZEN}
    }
    environment.update(
        DATABASE_URL=database % streaming_pair.primary.port,
        DATABASE_REPLICA_URL=database % streaming_pair.replica.port,
        DJANGO_SECRET_KEY=settings.SECRET_KEY,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "qa_program.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--log-level",
            "warning",
        ],
        cwd=settings.BASE_DIR,
        env=environment,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(requests.RequestException):  # still booting
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
        yield base
    finally:
        server.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        server.wait(timeout=30)


def test_the_web_tier_reads_the_replica_that_database_replica_url_names(
    streaming_pair, web_tier, vendor_a, site_a, workflow
):
    manager = UserFactory(email="lead3@example.com", role=Role.PROGRAM_MANAGER)
    session = {"sessionid": logged_in(manager).cookies["sessionid"].value}
    account = create_service_account("Help-desk sync", ["tickets:read", "tickets:write"])
    bearer = {"Authorization": f"Bearer {issue_token(account).raw}"}
    streaming_pair.wait_for_replay()
    streaming_pair.pause_replay()
    try:
        VendorFactory(name="Late Vendor", slug="late")
        listed = requests.get(f"{web_tier}/api/v1/vendors/", cookies=session, timeout=10)
        assert {row["slug"] for row in listed.json()["results"]} == {"acme"}

        pushed = requests.post(
            f"{web_tier}/api/v1/tickets/bulk/",
            json=[good_row("T-http")],
            headers=bearer,
            timeout=10,
        )
        assert pushed.status_code == 200, pushed.text
        assert "qa_primary" in pushed.cookies
        # The token that pushed is pinned to the primary (no cookie sent: a cache entry).
        mine = requests.get(f"{web_tier}/api/v1/tickets/", headers=bearer, timeout=10)
        assert [row["external_id"] for row in mine.json()["results"]] == ["T-http"]
        theirs = requests.get(f"{web_tier}/api/v1/tickets/", cookies=session, timeout=10)
        assert theirs.json()["results"] == []
    finally:
        streaming_pair.resume_replay()
