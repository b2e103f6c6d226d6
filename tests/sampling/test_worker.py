"""The draw through a real Celery worker on Redis and PostgreSQL, as production runs it."""

import pytest

from accounts.progress import read_progress
from sampling.models import PROGRESS_KIND, SampledTicket, SampleRun
from sampling.tasks import request_run

from .conftest import WINDOW, make_population, wait_until_finished

WAIT_SECONDS = 60


@pytest.mark.celery_worker
@pytest.mark.postgres
def test_a_requested_run_is_drawn_by_a_real_worker(live_celery_worker, make_plan, auditors):
    population = make_population(size=1500)
    plan = make_plan(auditors=auditors)

    # Outside a transaction (transactional_db), on_commit queues the task at once.
    run = request_run(plan, window=WINDOW, seed=2026)

    run = wait_until_finished(run, WAIT_SECONDS)
    assert run.status == SampleRun.Status.DONE, run.failure_reason or "worker did not finish"
    assert run.celery_task_id
    done = f"draw_sample_run[{run.celery_task_id}] succeeded"
    assert done in live_celery_worker.log_once_it_says(done)
    assert run.population_size == len(population.in_window())
    assert SampledTicket.objects.filter(run=run).count() == run.sample_size > 0
    assert not SampledTicket.objects.filter(run=run, auditor__isnull=True).exists()
    # The worker's steps went to the shared cache the run page polls; its last one stays.
    record = read_progress(PROGRESS_KIND, run.pk)
    assert (record.phase, record.done, record.total) == ("Drawn", 100, 100)

    # Asking again for the same run queues nothing new and changes nothing.
    again = request_run(plan, window=WINDOW, seed=2026)
    assert again.pk == run.pk
    assert SampleRun.objects.filter(plan=plan).count() == 1
