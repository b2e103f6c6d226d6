"""A real Celery worker pulls a connector and is killed (SIGKILL) while page 3 is in flight:
pages 1 and 2 and their cursor are committed, nothing of page 3; the dead run's hold on the
connector goes stale, and the next run resumes from the stored cursor and ends with exactly
the tickets a clean pull gives. PostgreSQL and Redis only (the worker is another process)."""

import threading
import time

import pytest
import redis
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

from connectors import tasks
from connectors.models import RunStatus
from connectors.pulling import STALE_AFTER, pull
from tests.connectors.conftest import TOKEN, TOKEN_ENV
from tests.connectors.test_pull import EXPECTED, tickets
from tests.live_worker import require_live_worker, start_celery_worker, stop_celery_worker
from tickets.models import Ticket

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres, pytest.mark.slow]


def wait_for(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.fixture
def live_worker_possible():
    """Skips before any database is set up for a test that cannot run here (SQLite)."""
    require_live_worker()


def test_a_pull_whose_worker_is_killed_mid_page_resumes_from_its_cursor(
        live_worker_possible, transactional_db, zendesk, connector, tmp_path):
    from qa_program.celery import app

    app.conf.task_always_eager = False  # restored by the autouse eager_tasks fixture
    app.control.purge()
    in_flight = zendesk.holds["c2"] = threading.Event()
    worker = start_celery_worker(tmp_path / "worker.log", tmp_path / "media",
                                 name="connector", extra_env={TOKEN_ENV: TOKEN})
    try:
        tasks.pull_connector.delay(connector.pk)
        wait_for(lambda: "c2" in zendesk.asked(), "the worker never asked for page 3")
        stop_celery_worker(worker, kill=True)
    finally:
        in_flight.set()
        stop_celery_worker(worker, kill=True)
        app.control.purge()  # the unacknowledged pull is not redelivered to a later test
        broker = redis.Redis.from_url(django_settings.REDIS_URL)
        broker.delete("unacked", "unacked_index", "unacked_mutex")
        broker.close()

    assert "pull_connector[" in worker.log() and "succeeded" not in worker.log()
    connector.refresh_from_db()
    assert connector.cursor == "c2" and connector.pages_imported == 2
    assert set(tickets()) == {"1001", "1002", "1003", "1004"}
    assert connector.last_status == RunStatus.RUNNING and connector.running_since is not None

    assert pull(connector).busy  # the dead run's hold is fresh: nobody pulls twice

    app.conf.task_always_eager = True
    with time_machine.travel(timezone.now() + STALE_AFTER + STALE_AFTER / 10, tick=True):
        asked = len(zendesk.log)
        report = pull(connector)

    assert report.ok, report.error
    assert zendesk.asked()[asked:] == ["c2"]
    assert tickets() == EXPECTED and Ticket.objects.count() == 5
    connector.refresh_from_db()
    assert (connector.cursor, connector.last_status, connector.pages_imported) == ("c3", "ok", 3)
