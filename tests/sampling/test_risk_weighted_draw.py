"""A risk-weighted plan audits where the AI expects errors, and says how likely each ticket was.

Inside each stratum every ticket is drawn on its own with probability proportional to the floor
plus its AI score (Poisson sampling on the permanent random numbers): the draw is the same for
the same seed, keeps each ticket's π (the same numbers ``inclusion_probabilities`` gives),
takes more of the risky tickets, and never a ticket another run drew.
"""

from collections import defaultdict

import numpy as np
import pytest
from pytest import approx

from sampling._risk import inclusion_probabilities, risk_sizes
from sampling.forms import SamplingPlanForm
from sampling.models import SampledTicket, SampleStratum, SamplingPlan
from sampling.replacement import draw_replacement
from tests.conftest import rows_for_every_test
from tickets.models import Ticket

from .conftest import forget_run
from .test_overlapping_plans import draw, drawn_ids

RISK = SamplingPlan.Selection.RISK_WEIGHTED


def score_the_tickets(population) -> None:
    """An AI score on all but every seventh ticket (those have none)."""
    rng = np.random.default_rng(14)
    scored = []
    for ticket in population.tickets:
        if ticket.pk % 7:
            ticket.ai_score = float(rng.beta(0.6, 3.0))
            ticket.ai_model = "test-grader"
            scored.append(ticket)
    Ticket.objects.bulk_update(scored, ["ai_score", "ai_model"], batch_size=1000)


@pytest.fixture(scope="module")
def scored_tickets(module_population, django_db_blocker):
    """The tickets scored once for all the tests of this module."""
    yield from rows_for_every_test(django_db_blocker, lambda: score_the_tickets(module_population))


@pytest.fixture
def scored(scored_tickets, population):
    """The population with an AI score on all but every seventh ticket."""
    return population


def risk_plan(make_plan, **fields):
    return make_plan(selection=RISK, risk_floor="0.0500", margin_of_error="0.0400", **fields)


def population_of(stratum: SampleStratum, tickets) -> list:
    return [t for t in tickets if t.vendor_id == stratum.vendor_id
            and t.workflow_id == stratum.workflow_id]


def test_each_drawn_ticket_keeps_its_own_probability_from_its_score(scored, make_plan):
    run = draw(risk_plan(make_plan))
    in_window = Ticket.objects.filter(pk__in=[t.pk for t in scored.in_window()])
    sampled = {s.ticket_id: s for s in SampledTicket.objects.filter(run=run)}
    strata = list(run.strata.all())
    assert strata and all(s.risk_weighted for s in strata)
    for stratum in strata:
        tickets = population_of(stratum, in_window)
        assert len(tickets) == stratum.population
        scores = [np.nan if t.ai_score is None else t.ai_score for t in tickets]
        expected = inclusion_probabilities(risk_sizes(scores, 0.05), stratum.allocated)
        assert expected.sum() == approx(stratum.allocated)
        drawn = [(t, p) for t, p in zip(tickets, expected, strict=True) if t.pk in sampled]
        assert len(drawn) == stratum.drawn
        for ticket, probability in drawn:
            assert sampled[ticket.pk].inclusion_probability == approx(probability, rel=1e-9)
            assert sampled[ticket.pk].stratum_id == stratum.pk
    assert run.parameters["selection"] == RISK and run.parameters["risk_floor"] == 0.05
    assert run.sample_size == len(sampled) == sum(s.drawn for s in strata)


def test_the_same_seed_draws_the_same_tickets_and_another_seed_others(scored, make_plan):
    plan = risk_plan(make_plan)
    first = draw(plan, seed=11)
    tickets = drawn_ids(first)
    probabilities = dict(SampledTicket.objects.filter(run=first)
                         .values_list("ticket_id", "inclusion_probability"))
    forget_run(first)
    again = draw(plan, seed=11)
    assert drawn_ids(again) == tickets
    assert dict(SampledTicket.objects.filter(run=again)
                .values_list("ticket_id", "inclusion_probability")) == probabilities
    forget_run(again)
    assert drawn_ids(draw(plan, seed=12)) != tickets


def test_risky_tickets_are_drawn_more_often(scored, make_plan):
    run = draw(risk_plan(make_plan, strata_keys=[]))
    in_window = list(Ticket.objects.filter(pk__in=[t.pk for t in scored.in_window()],
                                           ai_score__isnull=False))
    drawn = drawn_ids(run)
    share = defaultdict(lambda: [0, 0])
    for ticket in in_window:
        band = "high" if ticket.ai_score >= 0.4 else "low"
        share[band][0] += ticket.pk in drawn
        share[band][1] += 1
    high, low = (share[b][0] / share[b][1] for b in ("high", "low"))
    assert high > 3 * low
    # Each stratum's drawn size is random around the expected n_h, within a few SDs.
    (stratum,) = run.strata.all()
    pi = SampledTicket.objects.filter(run=run).values_list("inclusion_probability", flat=True)
    assert abs(stratum.drawn - stratum.allocated) < 4 * np.sqrt(stratum.allocated) + 1
    assert all(0 < p <= 1 for p in pi)


def test_a_risk_weighted_run_never_takes_a_ticket_another_plan_drew(scored, make_plan):
    equal = draw(make_plan(margin_of_error="0.0300"), seed=7)
    risky = draw(risk_plan(make_plan), seed=7)
    assert drawn_ids(equal) and drawn_ids(risky)
    assert drawn_ids(equal).isdisjoint(drawn_ids(risky))
    assert risky.excluded_other_plans == len(drawn_ids(equal))


def test_a_skipped_risk_weighted_ticket_gets_no_replacement(scored, make_plan):
    run = draw(risk_plan(make_plan))
    skipped = SampledTicket.objects.filter(run=run).first()
    assert draw_replacement(skipped) is None
    assert SampledTicket.objects.filter(run=run).count() == run.sample_size


def test_a_manager_chooses_risk_weighted_selection_on_the_plan_form(db):
    data = {
        "name": "Risky", "kind": "tickets", "window_kind": "yesterday", "window_timezone": "UTC",
        "strata_keys": ["vendor"], "confidence": "95", "margin_of_error": "5",
        "expected_rate": "10", "margin_applies_to": "overall", "allocation": "proportional",
        "minimum_per_stratum": "0", "audit_due_days": "3", "schedule": "manual",
        "automation": "any", "selection": RISK, "risk_floor": "0.1",
    }
    form = SamplingPlanForm(data=data)
    assert form.is_valid(), form.errors
    plan = form.save()
    assert (plan.selection, float(plan.risk_floor)) == (RISK, 0.1)
    bad = SamplingPlanForm(data={**data, "name": "Bad floor", "risk_floor": "0"})
    assert not bad.is_valid()
    assert "risk_floor" in bad.errors or "__all__" in bad.errors
