"""Dashboards and the API's reads come from a real streaming replica; a writer reads the primary.

A second PostgreSQL cluster on another port is made a hot standby of the test run's cluster
(tests/replica_cluster.py) and registered as the ``replica`` alias, as DATABASE_REPLICA_URL
would. The proof is what a page shows while the replica's replay is paused: a row written
straight into the primary is missing from a replica-routed page and present on the same page
for a caller who has just written.
"""

import contextlib
import json

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.test import Client

from accounts.models import Role
from qa_program.db_routers import REPLICA, reading_from_replica
from tests.factories import UserFactory, VendorFactory
from tests.replica_cluster import start_streaming_pair, why_no_replica
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
