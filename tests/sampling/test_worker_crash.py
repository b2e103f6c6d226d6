"""A worker killed in the middle of a draw: the draw is redone by another worker, once.

Issue 3: a draw must survive a worker dying mid-run. The task is ``acks_late``, so the
message of a draw whose worker was SIGKILLed stays unacknowledged in Redis; a worker whose
broker visibility timeout has passed puts it back on the queue and draws the run again. The
draw's writes are one transaction, so the dead worker left nothing behind, and the second
draw gives exactly the sample a clean draw of the same plan, window and seed gives.

Where the first worker dies is fixed, not timed: a second database connection held by the
test makes the worker wait at a known point, the worker is killed while it waits, then the
connection lets go. Two points:

- ``run_lock``: the test holds the run's advisory lock (``drawing._run_lock``), so the
  worker waits before it has touched the run.
- ``sample_insert``: the test has inserted, without committing, a row for every ticket of
  the window under the run, so the worker's first INSERT of sampled tickets waits on the
  unique (run, ticket) index: its strata are written, its sample half-written, all inside
  its open transaction.
"""

import time
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection, transaction

from audits.models import Audit
from sampling import drawing
from sampling.drawing import draw_sample
from sampling.models import SampledTicket, SampleRun, SampleStratum
from sampling.tasks import request_run
from tests.audits.workspace_helpers import published_form
from tests.live_worker import require_live_worker, start_celery_worker, stop_celery_worker
from tests.lock_waits import wait_until_another_connection_waits
from tickets.models import Ticket

from .conftest import WINDOW, forget_run, make_population, wait_until_finished
from .test_drawing import expected_sample

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgres, pytest.mark.slow]

SEED = 4242
VISIBILITY_TIMEOUT = 3  # the second worker's: its start-up sweep redelivers older messages
BLOCKED_QUERY = {
    "run_lock": "SELECT pg_advisory_lock%",
    "sample_insert": 'INSERT INTO "sampling_sampledticket"%',
}


@pytest.fixture
def workers(transactional_db, settings, tmp_path) -> Iterator:
    """``workers(name, **env)`` starts a real worker; every one is killed at the end. The
    broker's queue and unacked messages of this Redis database are cleared before and
    after, so only this test's draw is (re)delivered."""
    require_live_worker()
    from qa_program.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    app.conf.task_always_eager = False  # restored by the autouse eager_tasks fixture
    broker = redis.Redis.from_url(django_settings.REDIS_URL)
    started = []

    def clear_broker() -> None:
        app.control.purge()
        broker.delete("unacked", "unacked_index", "unacked_mutex")

    def start(name: str, **env: str):
        worker = start_celery_worker(
            tmp_path / f"{name}.log", tmp_path / "media", name=f"crash-{name}", extra_env=env
        )
        started.append(worker)
        return worker

    clear_broker()
    try:
        yield start
    finally:
        for worker in started:
            stop_celery_worker(worker, kill=True)
        clear_broker()
        broker.close()


def hold_gate(gate: str, run: SampleRun):
    """A second connection (not the test's) that makes a worker drawing ``run`` wait at
    ``gate`` until it is closed."""
    held = connection.get_new_connection(connection.get_connection_params())
    try:
        _block_at(gate, run, held)
    except BaseException:
        held.close()  # an open transaction left behind would hang the database flush
        raise
    return held


def _block_at(gate: str, run: SampleRun, held) -> None:
    with held.cursor() as cursor:
        if gate == "run_lock":
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [drawing._LOCK_NAMESPACE, run.pk])
        else:
            ticket_ids = Ticket.objects.filter(
                handled_at__gte=WINDOW.start, handled_at__lt=WINDOW.end
            ).values_list("pk", flat=True)
            # Never committed: stratum 0 does not exist, but the foreign keys are deferred.
            cursor.executemany(
                'INSERT INTO "sampling_sampledticket" (run_id, stratum_id, ticket_id,'
                " draw_rank, inclusion_probability) VALUES (%s, 0, %s, 1, 1.0)",
                [(run.pk, ticket_id) for ticket_id in ticket_ids],
            )


def wait_until_blocked(gate: str, held) -> None:
    """Until a worker's connection waits on ``gate`` (seen in pg_stat_activity)."""
    wait_until_another_connection_waits(
        "pid <> %s AND query LIKE %s",
        [held.get_backend_pid(), BLOCKED_QUERY[gate]],
        f"no worker waited at {gate}",
    )


@pytest.mark.parametrize("gate", ["run_lock", "sample_insert"])
def test_a_draw_whose_worker_is_killed_mid_run_is_redrawn_once_by_another_worker(
    workers, make_plan, auditors, gate
):
    population = make_population(size=3000)
    form = published_form(population.workflows[0]).form
    plan = make_plan(name="Crashed", auditors=auditors, form=form)
    run = request_run(plan, window=WINDOW, seed=SEED, enqueue=False)

    first = workers("first")
    held = hold_gate(gate, run)
    try:
        request_run(plan, window=WINDOW, seed=SEED)  # queues the draw (autocommit: at once)
        wait_until_blocked(gate, held)
        stop_celery_worker(first, kill=True)  # SIGKILL mid-draw: no ack, no rollback handler
        killed_at = time.monotonic()
    finally:
        held.close()  # lets go of the lock / rolls back the conflicting rows

    run.refresh_from_db()
    assert f"draw_sample_run[{run.celery_task_id}] received" in first.log()
    assert "succeeded" not in first.log()
    # The dead worker left no strata, no sampled tickets: its transaction never committed.
    expected_status = SampleRun.Status.QUEUED if gate == "run_lock" else SampleRun.Status.RUNNING
    assert run.status == expected_status
    assert not SampleStratum.objects.filter(run=run).exists()
    assert not SampledTicket.objects.filter(run=run).exists()

    # The unacked message becomes visible again once the timeout has passed since delivery.
    time.sleep(max(0.0, killed_at + VISIBILITY_TIMEOUT + 1 - time.monotonic()))
    second = workers("second", CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    run = wait_until_finished(run)

    assert run.status == SampleRun.Status.DONE, run.failure_reason or "not redrawn"
    done = f"draw_sample_run[{run.celery_task_id}] succeeded"
    assert done in second.log_once_it_says(done)
    rows = SampledTicket.objects.filter(run=run)
    assert rows.count() == rows.values("ticket").distinct().count() == run.sample_size > 0
    strata = list(run.strata.order_by("position"))
    assert len(strata) == run.strata_count
    assert sum(s.drawn for s in strata) == run.sample_size
    assigned = rows.filter(auditor__isnull=False)
    audits = Audit.objects.filter(sampled_ticket__run=run)
    assert assigned.count() > 0
    assert audits.count() == audits.values("sampled_ticket").distinct().count()
    assert audits.count() == assigned.count()

    # Exactly the sample the ranking gives, and the one a clean draw of the same design gives.
    drawn = set(rows.values_list("ticket_id", flat=True))
    assert drawn == expected_sample(population.in_window(), run)

    def design(of):
        return [
            (s.position, s.vendor_id, s.workflow_id, s.population, s.allocated, s.drawn)
            for s in of.strata.order_by("position")
        ]

    def sample(of):
        return set(
            SampledTicket.objects.filter(run=of).values_list(
                "stratum__position", "ticket_id", "draw_rank"
            )
        )

    def totals(of):
        return of.population_size, of.sample_size

    redrawn = design(run), sample(run), totals(run)
    # The clean draw happens where the redrawn run never did (its tickets would otherwise be
    # left out of the clean draw's population), in a transaction rolled back afterwards.
    with pytest.raises(_RolledBack), transaction.atomic():
        forget_run(run)
        twin = make_plan(name="Clean", auditors=auditors, form=form)
        clean = draw_sample(request_run(twin, window=WINDOW, seed=SEED, enqueue=False).pk)
        assert clean.status == SampleRun.Status.DONE, clean.failure_reason
        assert (design(clean), sample(clean), totals(clean)) == redrawn
        raise _RolledBack


class _RolledBack(Exception):
    """Raised to roll back a comparison's writes."""
