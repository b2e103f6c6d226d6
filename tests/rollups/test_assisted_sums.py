"""The rollup cells keep the labelled sums the AI-assisted estimates need: over each cell's
completed audits with a score at draw, Σ ŷ^k (k ≤ 4) and Σ ŷ^k over the passed and over the
critical fails (k ≤ 3); a refresh keeps them as a rebuild writes them."""

import datetime as dt
import random

import pytest

from audits.lifecycle import submit_audit
from rollups.models import AuditCell, SiteCell, VendorCell
from rollups.registry import AI_SCORE_SUMS
from rollups.writer import rebuild_rollups, refresh_rollups
from sampling.models import SampledTicket
from tests.audits.workspace_helpers import ALL_GOOD, published_form, sample_run
from tests.factories import AgentFactory
from tests.rollups.rollup_helpers import sampled_audits

pytestmark = pytest.mark.django_db

MARCH = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
ANSWERS = [ALL_GOOD, ALL_GOOD, {**ALL_GOOD, "right_action": "no"},
           {**ALL_GOOD, "escalation": "missed", "policy_cited": "fail"}]


def expected_sums(audits) -> dict:
    sums = dict.fromkeys(AI_SCORE_SUMS, 0.0)
    for audit in audits:
        score = SampledTicket.objects.get(pk=audit.sampled_ticket_id).ai_score
        if score is None:
            continue
        sums["ai_scored"] += 1
        for k, suffix in ((1, ""), (2, "2"), (3, "3"), (4, "4")):
            sums[f"ai_score{suffix}_sum"] += score**k
        for name, flag in (("passed", audit.passed), ("critical", audit.critical_failed)):
            if flag:
                for k, suffix in ((1, ""), (2, "2"), (3, "3")):
                    sums[f"{name}_ai_score{suffix}_sum"] += score**k
    return sums


def cell_sums(model) -> dict:
    rows = list(model.objects.values(*AI_SCORE_SUMS))
    return {name: sum(row[name] for row in rows) for name in AI_SCORE_SUMS}


def test_cells_sum_the_scores_at_draw_of_their_audits_and_a_refresh_agrees(
    manager, auditor, site_a, workflow
):
    published_form(workflow, by=manager)
    rng = random.Random(8)
    agents = [AgentFactory(site=site_a, external_id=f"A{i}") for i in range(2)]
    audits = []
    for agent in agents:
        batch = sampled_audits(sample_run(f"Plan {agent.pk}"), auditor, workflow, agent,
                               [MARCH] * 12)
        for i, audit in enumerate(batch):
            submit_audit(audit, auditor, answers=ANSWERS[i % len(ANSWERS)])
            # One audited ticket in six had no score at draw: it adds nothing.
            score = None if i % 6 == 5 else round(rng.random(), 5)
            SampledTicket.objects.filter(pk=audit.sampled_ticket_id).update(ai_score=score)
        audits += batch
    for audit in audits:
        audit.refresh_from_db()

    rebuild_rollups()
    expected = expected_sums(audits)
    assert expected["ai_scored"] == 20 and expected["critical_ai_score_sum"] > 0
    for model in (AuditCell, SiteCell, VendorCell):
        assert cell_sums(model) == pytest.approx(expected, abs=1e-9)
    assert AuditCell.objects.count() == 2

    # A refresh of one agent's audits recounts its cells to the same sums.
    SampledTicket.objects.filter(pk=audits[0].sampled_ticket_id).update(ai_score=0.99)
    refresh_rollups([audits[0].pk])
    expected = expected_sums(audits)
    for model in (AuditCell, SiteCell, VendorCell):
        assert cell_sums(model) == pytest.approx(expected, abs=1e-9)
