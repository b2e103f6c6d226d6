"""While a draw runs, the run page's status endpoint shows the step the draw reports (its
database writes stay invisible until it commits, so the steps travel through the cache)."""

from django.core.cache import cache
from django.urls import reverse

from sampling.models import SampleRun, progress_cache_key
from sampling.tasks import request_run
from tests.sampling.conftest import WINDOW


def test_the_status_endpoint_shows_the_running_draws_current_step(client_as, manager, make_plan):
    run = request_run(make_plan(), window=WINDOW, enqueue=False)
    SampleRun.objects.filter(pk=run.pk).update(status=SampleRun.Status.RUNNING, progress=5)
    cache.set(progress_cache_key(run.pk), (40, "Selecting and assigning tickets"))

    status = client_as(manager).get(reverse("sampling:run_status", args=[run.pk])).json()

    assert (status["progress"], status["progress_message"]) == (
        40,
        "Selecting and assigning tickets",
    )
    cache.delete(progress_cache_key(run.pk))
