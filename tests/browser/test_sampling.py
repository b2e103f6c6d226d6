"""In a real browser: a program manager sizes a sample in the planner (the numbers follow the
keyboard without a page reload), saves a plan, draws it and reads the run report."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sampling import stats
from sampling.drawing import draw_sample
from sampling.models import SampleRun, SamplingPlan
from tests.browser import keep_a_picture
from tests.factories import AgentFactory, TicketFactory
from tickets.models import Ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def program(site_a, site_b, workflow, auditor):
    """Acme handled 300 tickets and Borealis 100, two days ago."""
    handled = timezone.now() - dt.timedelta(days=2)
    for site, count in ((site_a, 300), (site_b, 100)):
        agent = AgentFactory(site=site)
        tickets = TicketFactory.build_batch(
            count, agent=agent, workflow=workflow, handled_at=handled
        )
        Ticket.objects.bulk_create(tickets)
    return workflow


def test_the_planner_updates_the_required_sample_as_the_manager_types(
    page, signed_in, manager, program
):
    signed_in(manager)
    page.goto("/sampling/planner/")
    required = page.locator("#required-fpc")
    # Defaults: 95 % confidence, ± 5 %, 10 % expected, last 7 days: 400 tickets.
    expect(page.locator("#population-total")).to_have_text("400")
    expect(required).to_have_text(str(stats.sample_size(0.05, 0.95, 0.1, population=400)))
    page.evaluate("window.__samePage = true")

    page.fill("#id_margin", "3")
    expect(required).to_have_text(str(stats.sample_size(0.03, 0.95, 0.1, population=400)))
    page.fill("#id_confidence", "99")
    expect(required).to_have_text(str(stats.sample_size(0.03, 0.99, 0.1, population=400)))
    expect(page.locator("#required-n0")).to_have_text(f"{stats.sample_size(0.03, 0.99, 0.1):,}")
    assert page.evaluate("window.__samePage") is True, "the page reloaded"
    assert "margin=3" in page.url  # the address keeps the inputs, so a reload or link keeps them

    page.check("input[name=strata_keys][value=workflow]")
    page.uncheck("input[name=strata_keys][value=workflow]")
    page.uncheck("input[name=strata_keys][value=vendor]")
    expect(page.locator("#strata-table tbody tr")).to_have_count(1)
    page.check("input[name=strata_keys][value=vendor]")
    rows = page.locator("#strata-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Acme Moderation")
    expect(rows.first).to_contain_text("300")
    expect(page.locator("#allocation-summary tbody tr")).to_have_count(5)

    page.fill("#id_margin", "0")
    expect(page.locator('[data-field="margin"] .field-errors')).to_contain_text(
        "strictly between 0 and 100"
    )
    page.fill("#id_margin", "3")
    expect(page.locator('[data-field="margin"] .field-errors')).to_be_empty()
    assert page.evaluate("window.__samePage") is True
    keep_a_picture(page, "sampling-planner")


def test_a_manager_creates_a_plan_draws_it_and_reads_the_run_report(
    page, signed_in, manager, auditor, program
):
    signed_in(manager)
    page.goto("/sampling/")
    page.get_by_role("link", name="New plan").click()
    page.fill("#id_name", "Hate speech weekly")
    page.select_option("#id_workflows", label=program.name)
    page.select_option("#id_window_kind", "last_7_days")
    page.uncheck("input[name=strata_keys][value=workflow]")
    page.fill("#id_margin_of_error", "0")
    page.select_option("#id_schedule", "daily")
    page.select_option("#id_auditors", label=auditor.email)
    page.get_by_role("button", name="Create plan").click()

    errors = page.locator("#form-errors")
    expect(errors).to_contain_text("Margin of error (± %): Enter a percentage strictly between")
    expect(errors).to_contain_text("Give the time of day to draw at.")
    keep_a_picture(page, "sampling-plan-form")
    page.fill("#id_margin_of_error", "8")
    page.select_option("#id_schedule", "manual")
    page.get_by_role("button", name="Create plan").click()

    expect(page.get_by_role("heading", name="Hate speech weekly")).to_be_visible()
    expect(page.locator("body")).to_contain_text("± 8%")
    keep_a_picture(page, "sampling-plan")
    page.get_by_role("button", name="Draw now").click()

    expect(page).to_have_url(re.compile(r"/sampling/runs/\d+/$"))
    expect(page.locator("#run-status")).to_have_text("Done")
    strata = page.locator("#run-strata tbody tr")
    expect(strata).to_have_count(2)
    expect(strata.first).to_contain_text("Acme Moderation")
    expect(strata.first).to_contain_text("300")
    expect(strata.first).to_contain_text("75.0%")
    expect(page.locator("#run-estimate")).to_contain_text("No audits yet")
    n = stats.sample_size(0.08, 0.95, 0.1, population=400)
    drawn = int(page.locator("#run-sample").inner_text().replace(",", ""))
    assert n <= drawn <= n + 1  # one more when rounding leaves the margin a hair wide
    keep_a_picture(page, "sampling-run")

    page.get_by_role("link", name="Hate speech weekly").click()
    expect(page.locator("#runs tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Sampling").first.click()
    expect(page.locator("#plan-list")).to_contain_text("Done")
    keep_a_picture(page, "sampling-plans")


def test_the_run_page_follows_a_draw_in_progress_and_shows_the_report_when_done(
    page, signed_in, manager, auditor, program
):
    plan = SamplingPlan.objects.create(name="Watched", strata_keys=["vendor"])
    now = timezone.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    run = SampleRun.objects.create(
        plan=plan, seed=11, window_start=today - dt.timedelta(days=7), window_end=today
    )
    signed_in(manager)
    page.goto(f"/sampling/runs/{run.pk}/")
    expect(page.locator("#run-status")).to_have_text("Queued")
    expect(page.locator("#job-progress")).to_be_visible()
    keep_a_picture(page, "run-queued")

    draw_sample(run.pk)  # a worker finishes the draw while the page is open

    expect(page.locator("#run-status")).to_have_text("Done", timeout=15_000)
    expect(page.locator("#run-strata tbody tr")).to_have_count(2)
    expect(page.locator("#job-progress")).to_have_count(0)
