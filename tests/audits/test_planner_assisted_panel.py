"""The planner's AI-assisted panel: an outside model's scores, measured on the population's
finalised audits, say how many audits reach the same margin (n·(1 − ρ²)) and the auditor hours
that saves. ρ is checked here with numpy.corrcoef, independently of the page's query."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits.assisted_planning import MIN_SCORED_AUDITS
from audits.models import Audit
from sampling import stats
from sampling.forms import PlannerForm
from tests.audits.workspace_helpers import published_form
from tests.factories import AgentFactory, TicketFactory, WorkflowFactory

pytestmark = pytest.mark.django_db

PLANNER = reverse("sampling:planner")
MODEL = "llm-grader-v3"


def scored_audits(version, site, workflow, outcomes, *, model=MODEL, seconds=(240, 360)):
    """One finalised audit per (score, failed) pair, on a ticket carrying that score, handled a
    day ago: inside the planner's default window (the 7 days before today) at any hour."""
    agent = AgentFactory(site=site, vendor=site.vendor)
    now = timezone.now()
    audits = []
    for i, (score, failed) in enumerate(outcomes):
        ticket = TicketFactory(agent=agent, workflow=workflow, ai_score=score, ai_model=model,
                               handled_at=now - dt.timedelta(days=1))
        audits.append(Audit(
            ticket=ticket, form_version=version, status=Audit.Status.FINAL, unsampled=True,
            passed=not failed, score=40 if failed else 95, submitted_at=now,
            finalised_at=now, time_spent_seconds=seconds[i % len(seconds)],
        ))
    Audit.objects.bulk_create(audits)


def known_outcomes(count=40):
    """Scores 0.05 … 0.95 in tenths; tickets fail mostly where the score is high."""
    rows = []
    for i in range(count):
        score = (i % 10) / 10 + 0.05
        failed = (i % 10) >= 7 or i in (3, 14)
        rows.append((score, failed))
    return rows


def query(workflow, **extra):
    data = PlannerForm.default_query()
    data.update(workflows=[str(workflow.pk)], margin="5", confidence="95", expected_rate="10")
    data.update(extra)
    return data


@pytest.fixture
def version(workflow, manager):
    return published_form(workflow, by=manager)


def test_the_panel_shows_the_audits_and_hours_the_model_saves(
    client_as, manager, version, site_a, workflow
):
    outcomes = known_outcomes()
    scored_audits(version, site_a, workflow, outcomes)
    # Another model on fewer audits, an audit not yet final and another workflow's audits:
    # none of them enters ρ.
    scored_audits(version, site_a, workflow, [(0.9, False)] * 5, model="clf-old")
    other = WorkflowFactory(name="Other", slug="other")
    scored_audits(version, site_a, other, [(0.1, True)] * 10)

    response = client_as(manager).get(PLANNER, query(workflow))

    html = response.content.decode()
    y = np.array([failed for _, failed in outcomes], dtype=float)
    f = np.array([score for score, _ in outcomes])
    rho = float(np.corrcoef(y, f)[0, 1])
    population = 40 + 5  # tickets of the workflow handled in the window (three hours ago)
    n = stats.sample_size(0.05, 0.95, 0.1, population=population)
    m = math.ceil(n * (1 - rho**2))
    assert 0 < m < n
    assert f"With the scores of <strong>{MODEL}</strong> (ρ = {rho:.2f} over 40 audited" in html
    assert f'n·(1 − ρ²) = <strong id="assisted-n">{m}</strong> audits instead of' in html
    assert f'<span id="assisted-base">{n}</span>' in html
    # (240 + 360) / 2 = 300 s = 5 minutes per audit.
    hours = (n - m) * 5 / 60
    assert f'<strong id="assisted-hours">{hours:.1f}</strong> auditor hours saved' in html
    assert "at the measured 5.0 minutes per audit" in html
    assert "1 other model scored fewer of them" in html
    assert response.context["assisted"].quality.rho == pytest.approx(rho, abs=1e-9)


def test_below_the_minimum_the_panel_says_why_and_shows_no_numbers(
    client_as, manager, version, site_a, workflow
):
    scored_audits(version, site_a, workflow, known_outcomes(MIN_SCORED_AUDITS - 1))

    html = client_as(manager).get(PLANNER, query(workflow)).content.decode()

    assert 'id="assisted-panel"' not in html
    assert (f"Only {MIN_SCORED_AUDITS - 1} audited tickets of this population carry "
            f"{MODEL}'s scores; the AI-assisted plan needs {MIN_SCORED_AUDITS}") in html


def test_without_scored_audits_the_planner_is_as_before(client_as, manager, workflow):
    TicketFactory(workflow=workflow, handled_at=timezone.now() - dt.timedelta(days=1))

    response = client_as(manager).get(PLANNER, query(workflow))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="assisted-panel' not in html
    assert 'id="required-fpc">1<' in html  # the plan itself still shows


def test_vendor_users_cannot_see_the_planner(client_as, poc_a, version, site_a, workflow):
    scored_audits(version, site_a, workflow, known_outcomes())

    assert client_as(poc_a).get(PLANNER, query(workflow)).status_code == 404


def test_the_model_is_measured_in_one_grouped_query(client_as, manager, version, site_a, workflow):
    scored_audits(version, site_a, workflow, known_outcomes())
    scored_audits(version, site_a, workflow, [(0.5, True)] * 3, model="clf-old")
    client = client_as(manager)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(PLANNER, query(workflow))

    assert response.context["assisted"].quality.audits == 40
    assert len([q for q in queries if '"ai_model"' in q["sql"] and "audit" in q["sql"]]) == 1
