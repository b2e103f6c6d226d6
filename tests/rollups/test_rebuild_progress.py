"""The nightly rebuild, or one a manager asks for, shows how far it got: a step at a time on
the rebuild page, which polls a JSON status while it runs. Vendor users never see it."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.progress import ProgressReporter, read_progress
from rollups import writer
from rollups.views import STALE_AFTER, rebuild_job
from rollups.writer import REBUILD_PROGRESS, REBUILD_STEPS, rebuild_rollups
from tests.audits.workspace_helpers import sample_run
from tests.factories import AgentFactory
from tests.rollups.rollup_helpers import sampled_audits

pytestmark = pytest.mark.django_db

PAGE = reverse("rollups:rebuild")
STATUS = reverse("rollups:rebuild_status")


@pytest.fixture(autouse=True)
def no_record():
    ProgressReporter(*REBUILD_PROGRESS).clear()
    yield
    ProgressReporter(*REBUILD_PROGRESS).clear()


NOON = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)


@pytest.fixture
def program(version, auditor, workflow, site_a):
    run = sample_run("Daily moderation")
    handled = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    return sampled_audits(run, auditor, workflow, AgentFactory(site=site_a), [handled])


def test_a_rebuild_reports_each_step_and_ends_rebuilt(program, monkeypatch):
    seen = []
    real = writer.productivity.rebuild_auditor_days

    def watched():  # a page polling while the auditor days are counted
        record = read_progress(*REBUILD_PROGRESS)
        seen.append((record.phase, record.done, record.total))
        return real()

    monkeypatch.setattr(writer.productivity, "rebuild_auditor_days", watched)
    rebuild_rollups()

    assert seen == [("counting auditors' days", REBUILD_STEPS - 2, REBUILD_STEPS)]
    record = read_progress(*REBUILD_PROGRESS)
    assert (record.phase, record.done, record.total) == ("rebuilt", 7, 7)
    assert record.text == "7 of 7 steps done"


def test_a_manager_rebuilds_from_the_page_and_reads_how_it_ended(client_as, manager, program):
    client = client_as(manager)

    response = client.post(reverse("rollups:rebuild_now"), follow=True)  # no worker: runs here

    html = response.content.decode()
    assert "Rebuild queued" in html
    assert 'data-job-status="done">Rebuilt<' in html and "7 of 7 steps done" in html
    assert "js/progress.js" not in html  # nothing to follow
    assert client.get(STATUS).json()["finished"] is True


@time_machine.travel(NOON, tick=False)
def test_a_running_rebuild_shows_its_bar_and_its_status(client_as, auditor):
    clock = iter([NOON.timestamp() - 30, NOON.timestamp()])
    reporter = ProgressReporter(*REBUILD_PROGRESS, clock=lambda: next(clock))
    reporter.phase("counting agents' audits", REBUILD_STEPS, "steps done")
    reporter.update(3, step="totalling the strata")
    client = client_as(auditor)

    html = client.get(PAGE).content.decode()
    status = client.get(STATUS).json()

    assert '<progress id="job-bar" max="100" value="42"' in html and "js/progress.js" in html
    assert 'id="rebuild-now"' not in html  # QA staff read; managers rebuild
    assert (status["status"], status["finished"], status["phase"]) == (
        "running",
        False,
        "totalling the strata",
    )
    assert status["text"] == "3 of 7 steps done, about 40 s left"
    assert client.post(reverse("rollups:rebuild_now")).status_code == 403


def test_a_rebuild_with_no_news_for_an_hour_reads_as_stopped():
    reporter = ProgressReporter(*REBUILD_PROGRESS, clock=lambda: 1_000.0)
    reporter.phase("adding up the weeks", REBUILD_STEPS, "steps done")
    record = read_progress(*REBUILD_PROGRESS)

    assert rebuild_job(record, 1_000.0 + STALE_AFTER - 1)["finished"] is False
    stopped = rebuild_job(record, 1_000.0 + STALE_AFTER + 1)
    assert (stopped["status"], stopped["finished"]) == ("stopped", True)


def test_vendor_users_find_no_rebuild(client_as, poc_a):
    client = client_as(poc_a)

    for url in (PAGE, STATUS):
        assert client.get(url).status_code == 404
    assert client.post(reverse("rollups:rebuild_now")).status_code == 404
    assert read_progress(*REBUILD_PROGRESS) is None
