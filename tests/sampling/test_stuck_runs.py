"""A run whose task message was lost does not stay "running" for good: the beat sweep queues
it again, and the idempotent draw finishes it."""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from sampling.drawing import draw_sample
from sampling.models import SampleRun
from sampling.tasks import redraw_stuck_sample_runs, request_run
from tests.sampling.conftest import WINDOW


def test_a_run_stuck_past_twice_the_redelivery_timeout_is_drawn_again(
    population, make_plan, auditors
):
    plan = make_plan(auditors=auditors)
    stuck = request_run(plan, window=WINDOW, seed=1, enqueue=False)
    long_ago = timezone.now() - dt.timedelta(hours=3)
    SampleRun.objects.filter(pk=stuck.pk).update(
        status=SampleRun.Status.RUNNING, started_at=long_ago, created_at=long_ago
    )
    lost = request_run(plan, window=WINDOW, seed=2, enqueue=False)
    SampleRun.objects.filter(pk=lost.pk).update(created_at=long_ago)
    fresh = request_run(plan, window=WINDOW, seed=3, enqueue=False)
    SampleRun.objects.filter(pk=fresh.pk).update(
        status=SampleRun.Status.RUNNING, started_at=timezone.now()
    )
    done = draw_sample(request_run(plan, window=WINDOW, seed=4, enqueue=False).pk)

    queued_again = redraw_stuck_sample_runs()  # tasks run in-process in tests

    assert sorted(queued_again) == sorted([stuck.pk, lost.pk])
    for run in (stuck, lost):
        run.refresh_from_db()
        assert run.status == SampleRun.Status.DONE and run.sample_size > 0
    fresh.refresh_from_db()
    assert fresh.status == SampleRun.Status.RUNNING  # may still be drawing: left alone
    assert SampleRun.objects.get(pk=done.pk).finished_at == done.finished_at


def test_the_sweep_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["redraw-stuck-sample-runs"]
    assert entry["task"] == redraw_stuck_sample_runs.name
