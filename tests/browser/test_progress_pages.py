"""In a real browser: the rollup rebuild's page and the risk model's card follow long work
through its accounts.progress record, and show the outcome when it is done."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.progress import ProgressReporter
from risk_model.jobs import PROGRESS_KIND as SCORING
from risk_model.models import RiskJob
from rollups.writer import REBUILD_PROGRESS, REBUILD_STEPS, rebuild_rollups
from tests.browser import POLLED, keep_a_picture

pytestmark = pytest.mark.browser


@pytest.fixture
def quiet_rebuild():
    ProgressReporter(*REBUILD_PROGRESS).clear()
    yield
    ProgressReporter(*REBUILD_PROGRESS).clear()


def test_the_rebuild_page_follows_a_rebuild_to_its_end(page, signed_in, manager, quiet_rebuild):
    worker = ProgressReporter(*REBUILD_PROGRESS, min_interval=0)
    worker.phase("counting agents' audits", REBUILD_STEPS, "steps done")
    worker.update(2, step="counting vendors' audits")
    signed_in(manager)

    page.goto(reverse("rollups:rebuild"))
    bar = page.get_by_role("progressbar")
    expect(bar).to_have_attribute("value", "28")
    expect(page.locator("#job-text")).to_contain_text("2 of 7 steps done")
    expect(page.get_by_role("button", name="Rebuild now")).to_be_disabled()
    keep_a_picture(page, "rebuild-running")

    worker.update(5, step="counting auditors' days")
    expect(bar).to_have_attribute("value", "71", timeout=POLLED)
    expect(page.locator("#job-phase")).to_have_text("Counting auditors' days")

    rebuild_rollups()  # the worker's real rebuild: the page reloads into how it ended
    expect(page.locator("#rebuild-status")).to_have_text("Rebuilt", timeout=POLLED)
    expect(page.locator("#rebuild-last")).to_contain_text("7 of 7 steps done")
    expect(page.get_by_role("button", name="Rebuild now")).to_be_enabled()
    keep_a_picture(page, "rebuild-done")


def test_the_model_card_follows_a_running_scoring(page, signed_in, manager):
    job = RiskJob.objects.create(kind="score", status="running", requested_by=manager)
    worker = ProgressReporter(SCORING, job.pk, min_interval=0)
    worker.phase("scoring tickets", 40_000, "tickets scored")
    worker.update(10_000)
    signed_in(manager)

    page.goto(reverse("risk_model:card"))
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "25")
    expect(page.locator("#job-text")).to_contain_text("10,000 of 40,000 tickets scored")
    worker.update(30_000)
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "75", timeout=POLLED)
    keep_a_picture(page, "risk-card-scoring")

    RiskJob.objects.filter(pk=job.pk).update(status="done", message="Scored 40,000 tickets.")
    expect(page.locator("#jobs")).to_contain_text("Scored 40,000 tickets.", timeout=POLLED)
    expect(page.locator("#job-progress")).to_have_count(0)
