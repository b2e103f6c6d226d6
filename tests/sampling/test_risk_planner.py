"""The planner shows what a risk-weighted design would buy and cost for the population on the
page: failing tickets found per 100 audits against the interval width, beside equal probability,
from the population's own AI scores (read as a histogram in one query)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import time_machine
from django.urls import reverse

from sampling._risk import risk_trade
from sampling.forms import PlannerForm
from tests.factories import AgentFactory, TicketFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def scored_week(site_a, workflow):
    """300 tickets of last week: most scored (skewed low), every tenth without a score."""
    agent = AgentFactory(site=site_a, vendor=site_a.vendor)
    rng = np.random.default_rng(8)
    for i in range(300):
        ticket = TicketFactory(
            agent=agent, workflow=workflow, handled_at=NOW - dt.timedelta(days=2, minutes=i)
        )
        if i % 10:
            Ticket.objects.filter(pk=ticket.pk).update(
                ai_score=float(rng.beta(0.7, 4.0)), ai_model="llm-grader-v3"
            )
    return Ticket.objects.filter(workflow=workflow)


def planner_query(workflow):
    data = PlannerForm.default_query()
    data.update(
        workflows=[str(workflow.pk)],
        margin="8",
        confidence="95",
        expected_rate="20",
        window_kind="last_7_days",
        strata_keys=[],
    )
    return data


def test_the_planner_shows_the_risk_weighted_trade(client_as, manager, scored_week, workflow):
    with time_machine.travel(NOW, tick=False):
        response = client_as(manager).get(reverse("sampling:planner"), planner_query(workflow))
    assert response.status_code == 200
    shown = response.context["risk_trade"]
    plan = response.context["plan"]
    assert plan.population == 300
    # Independently: the same rounded scores, the unscored at the stratum's mean.
    scores = np.array(
        [
            np.nan if s is None else round(s, 2)
            for s in scored_week.values_list("ai_score", flat=True)
        ]
    )
    expected = risk_trade({"all": (plan.n_fpc, scores)}, 0.05, 0.95)
    assert shown.trade.risk_weighted.errors_per_100 == pytest.approx(
        expected.risk_weighted.errors_per_100
    )
    assert shown.trade.equal.interval_width == pytest.approx(expected.equal.interval_width)
    assert shown.trade.risk_weighted.interval_width == pytest.approx(
        expected.risk_weighted.interval_width
    )
    assert shown.scored == 270 and shown.population == 300
    assert shown.trade.risk_weighted.errors_per_100 > shown.trade.equal.errors_per_100
    html = response.content.decode()
    assert 'id="risk-trade"' in html
    assert f"{expected.risk_weighted.errors_per_100:.1f}" in html
    assert "a ticket without one counts at its stratum's mean score" in html


def test_no_trade_without_scores(client_as, manager, site_a, workflow):
    agent = AgentFactory(site=site_a, vendor=site_a.vendor)
    for _ in range(20):
        TicketFactory(agent=agent, workflow=workflow, handled_at=NOW - dt.timedelta(days=2))
    with time_machine.travel(NOW, tick=False):
        response = client_as(manager).get(reverse("sampling:planner"), planner_query(workflow))
    assert response.context["risk_trade"] is None
    assert 'id="risk-trade"' not in response.content.decode()
