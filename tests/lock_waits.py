"""Waiting, in a PostgreSQL test, until another connection is stuck behind a lock."""

from __future__ import annotations

import time

import pytest
from django.db import connection

WAIT_SECONDS = 60


def wait_until_another_connection_waits(condition: str, params: list, failure: str) -> None:
    """Until a connection to this test database other than ours waits on a lock and matches
    ``condition`` (SQL over pg_stat_activity, with ``params``); fails the test with
    ``failure`` after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                f" AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND ({condition})",
                params,
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    pytest.fail(f"{failure} within {WAIT_SECONDS} s")
