"""Two draws of one run at once (beat firing twice, a retry racing the original) on PostgreSQL:
the second waits for the first and finds the run done; the sample is written once."""

import threading

import pytest
from django.db import connections

from sampling.drawing import draw_sample
from sampling.models import SampledTicket, SampleRun
from sampling.tasks import request_run

from .conftest import WINDOW, make_population


@pytest.mark.postgres
def test_two_simultaneous_draws_of_a_run_write_one_sample(postgres_only, make_plan, auditors):
    make_population(size=1500)
    run = request_run(make_plan(auditors=auditors), window=WINDOW, seed=17, enqueue=False)
    start = threading.Barrier(2)
    outcomes = []

    def draw_in_its_own_connection():
        try:
            start.wait()
            outcomes.append(draw_sample(run.pk).status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=draw_in_its_own_connection) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    run.refresh_from_db()
    assert outcomes == ["done", "done"]
    assert run.status == SampleRun.Status.DONE and run.failure_reason == ""
    assert SampledTicket.objects.filter(run=run).count() == run.sample_size > 0
    assert run.strata.count() == run.strata_count
