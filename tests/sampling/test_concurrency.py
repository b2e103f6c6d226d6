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


@pytest.mark.postgres
def test_two_plans_drawn_at_once_never_take_the_same_ticket(postgres_only, make_plan, auditors):
    """Two plans over the same tickets, scheduled at the same minute on two workers: the draws
    take turns (sampling.drawing.draws_serialised), so the second sees the first's tickets."""
    make_population(size=1500)
    runs = [
        request_run(make_plan(auditors=auditors), window=WINDOW, seed=seed, enqueue=False)
        for seed in (17, 18)
    ]
    start = threading.Barrier(2)
    outcomes = []

    def draw_in_its_own_connection(run_id):
        try:
            start.wait()
            outcomes.append(draw_sample(run_id).status)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=draw_in_its_own_connection, args=(run.pk,)) for run in runs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert outcomes == ["done", "done"]
    first, second = (
        set(SampledTicket.objects.filter(run=run).values_list("ticket_id", flat=True))
        for run in runs
    )
    assert first and second and first.isdisjoint(second)
    for run in runs:
        run.refresh_from_db()
    # Whichever went second left out exactly the other's tickets.
    earlier, later = sorted(runs, key=lambda run: run.excluded_other_plans)
    assert earlier.excluded_other_plans == 0
    assert later.excluded_other_plans == earlier.sample_size
