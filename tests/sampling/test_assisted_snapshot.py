"""A run keeps the model's scores at draw: its strata's population sums, each rollup cell's,
and each sampled ticket's ŷ. A later rescoring changes the tickets, never the drawn run."""

import datetime as dt
import random
from collections import defaultdict

import pytest

from sampling.ai_snapshot import ai_assisted_reason
from sampling.drawing import draw_sample
from sampling.models import PopulationScoreCell, SampledTicket, SampleStratum
from sampling.tasks import request_run
from tickets.models import Ticket

from .conftest import WINDOW


def monday(moment: dt.datetime) -> dt.date:
    day = moment.astimezone(dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


def test_a_draw_keeps_the_population_and_sample_scores_and_a_rescoring_leaves_them(
    population, make_plan
):
    rng = random.Random(5)
    unscored_vendor = population.vendors[2]
    scores = {}
    for ticket in population.tickets:
        if ticket.vendor_id == unscored_vendor.pk:
            continue
        scores[ticket.pk] = round(rng.random(), 6)
        ticket.ai_score, ticket.ai_model = scores[ticket.pk], "llm-grader-v1"
    Ticket.objects.bulk_update(population.tickets, ["ai_score", "ai_model"], batch_size=1000)
    # One of vendor B's workflow-x tickets is scored by a second model: that stratum is mixed.
    mixed = next(t for t in population.in_window()
                 if t.vendor_id == population.vendors[1].pk
                 and t.workflow_id == population.workflows[0].pk)
    Ticket.objects.filter(pk=mixed.pk).update(ai_model="other-model")

    plan = make_plan(margin_of_error="0.0800")
    run = draw_sample(request_run(plan, window=WINDOW, seed=3, enqueue=False).pk)

    expected = defaultdict(lambda: [0, 0, 0.0, 0.0])
    for t in population.in_window():
        cell = expected[(t.vendor_id, t.workflow_id, t.site_id, t.agent_id, monday(t.handled_at))]
        cell[0] += 1
        if t.pk in scores:
            cell[1] += 1
            cell[2] += scores[t.pk]
            cell[3] += scores[t.pk] ** 2
    kept = {
        (c.vendor_id, c.workflow_id, c.site_id, c.agent_id, c.week):
        [c.tickets, c.scored, c.score_sum, c.score_sq_sum]
        for c in PopulationScoreCell.objects.filter(stratum__run=run)
    }
    assert kept.keys() == expected.keys()
    for key, values in expected.items():
        assert kept[key][:2] == values[:2]
        assert kept[key][2:] == pytest.approx(values[2:], abs=1e-9)

    reasons = {}
    for stratum in SampleStratum.objects.filter(run=run):
        members = [t for t in population.in_window()
                   if (t.vendor_id, t.workflow_id) == (stratum.vendor_id, stratum.workflow_id)]
        assert stratum.ai_scored == sum(t.pk in scores for t in members)
        assert stratum.ai_score_sum == pytest.approx(sum(scores.get(t.pk, 0) for t in members))
        reasons[(stratum.vendor_id, stratum.workflow_id)] = ai_assisted_reason(stratum)
    for (vendor, workflow), reason in reasons.items():
        if vendor == unscored_vendor.pk:
            assert "had no model score at draw" in reason
        elif (vendor, workflow) == (mixed.vendor_id, mixed.workflow_id):
            assert reason == "its tickets were scored by more than one model"
        else:
            assert reason is None

    sampled = list(SampledTicket.objects.filter(run=run))
    assert sampled and all(s.ai_score == scores.get(s.ticket_id) for s in sampled)

    # A rescoring later changes the tickets, not what the run kept.
    Ticket.objects.exclude(ai_score=None).update(ai_score=0.5)
    assert [s.ai_score for s in SampledTicket.objects.filter(run=run).order_by("pk")] == [
        scores.get(s.ticket_id) for s in sorted(sampled, key=lambda s: s.pk)]
    assert sum(c.score_sum for c in PopulationScoreCell.objects.filter(stratum__run=run)) == (
        pytest.approx(sum(scores[t.pk] for t in population.in_window() if t.pk in scores)))


def test_a_draw_over_tickets_no_model_scored_keeps_no_cells_and_says_why(population, make_plan):
    plan = make_plan(margin_of_error="0.0800")
    run = draw_sample(request_run(plan, window=WINDOW, seed=3, enqueue=False).pk)

    assert not PopulationScoreCell.objects.filter(stratum__run=run).exists()
    strata = list(SampleStratum.objects.filter(run=run))
    assert strata and all((s.ai_scored, s.ai_score_sum, s.ai_model) == (0, 0.0, "")
                          for s in strata)
    assert all(f"{s.population} of its {s.population} tickets had no model score at draw"
               == ai_assisted_reason(s) for s in strata)
