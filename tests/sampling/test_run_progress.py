"""While a draw runs, the run page's status endpoint shows the step the draw reports (its
database writes stay invisible until it commits, so the steps travel through the cache as an
``accounts.progress`` record)."""

from django.urls import reverse

from accounts.progress import PERCENT, ProgressReporter
from sampling.models import PROGRESS_KIND, SampleRun
from sampling.tasks import request_run
from tests.sampling.conftest import WINDOW


def test_the_status_endpoint_shows_the_running_draws_current_step(client_as, manager, make_plan):
    run = request_run(make_plan(), window=WINDOW, enqueue=False)
    SampleRun.objects.filter(pk=run.pk).update(status=SampleRun.Status.RUNNING, progress=5)
    clock = iter([1000.0, 1004.0])
    reporter = ProgressReporter(PROGRESS_KIND, run.pk, clock=lambda: next(clock))
    reporter.phase("Counting the population per stratum", 100, PERCENT)
    reporter.update(40, step="Selecting and assigning tickets")

    status = client_as(manager).get(reverse("sampling:run_status", args=[run.pk])).json()

    assert (status["percent"], status["phase"]) == (40, "Selecting and assigning tickets")
    assert status["text"] == "40% done, about 6 s left"  # 40 % in 4 s: 60 % in 6 s more
    assert status["progress"]["done"] == 40 and status["progress"]["total"] == 100
    reporter.clear()
