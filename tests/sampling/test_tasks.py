"""The Celery tasks are thin and safe to run twice (eager here; a real worker in test_worker)."""

from sampling.models import SampledTicket, SampleRun
from sampling.tasks import draw_sample_run, request_run

from .conftest import WINDOW


def test_requesting_a_run_queues_its_draw_once_the_transaction_commits(
    population, make_plan, django_capture_on_commit_callbacks
):
    plan = make_plan()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = request_run(plan, window=WINDOW, seed=5)
        assert SampleRun.objects.get(pk=run.pk).status == SampleRun.Status.QUEUED

    run.refresh_from_db()
    assert len(callbacks) == 1
    assert run.status == SampleRun.Status.DONE
    assert run.celery_task_id


def test_a_done_run_is_not_queued_again(population, make_plan, django_capture_on_commit_callbacks):
    plan = make_plan()
    with django_capture_on_commit_callbacks(execute=True):
        request_run(plan, window=WINDOW, seed=5)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        request_run(plan, window=WINDOW, seed=5)

    assert callbacks == []


def test_the_task_run_twice_leaves_one_sample(population, make_plan):
    run = request_run(make_plan(), window=WINDOW, seed=8, enqueue=False)

    assert draw_sample_run.delay(run.pk).get() == "done"
    rows = SampledTicket.objects.filter(run=run).count()
    assert draw_sample_run.delay(run.pk).get() == "done"

    assert SampledTicket.objects.filter(run=run).count() == rows > 0


def test_a_task_for_a_deleted_run_does_nothing(db):
    assert draw_sample_run.delay(987654).get() is None
