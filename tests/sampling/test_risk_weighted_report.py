"""A risk-weighted run's report weights each audit by its own chance of being drawn.

The story: the plan sends audits to the tickets the AI scores as risky, so most audits find
errors; a plain share of them would overstate the error rate. The report counts each completed
audit 1/π times (Hájek, ``stats.ht_proportion``) and says so; the vendor scorecards leave
these audits out until they can weight them the same way.
"""

from __future__ import annotations

import numpy as np
import pytest
from django.urls import reverse

from audits.lifecycle import open_assigned_audits, submit_audit
from audits.models import SCORED_STATUSES, Audit
from audits.run_report import run_report
from rollups.cells import cell_rows, rebuild_cells
from rollups.models import AuditCell
from sampling import stats
from sampling.drawing import draw_sample
from sampling.models import SamplingPlan
from sampling.tasks import request_run
from tests.audits.workspace_helpers import ALL_GOOD, published_form
from tickets.models import Ticket

from .conftest import WINDOW

pytestmark = pytest.mark.slow

WRONG_ACTION = {**ALL_GOOD, "right_action": "no"}


@pytest.fixture
def risky_run(population, auditors, make_plan, manager):
    """A risk-weighted run whose audits fail as often as their tickets' AI scores say."""
    rng = np.random.default_rng(3)
    tickets = population.tickets
    for ticket in tickets:
        ticket.ai_score, ticket.ai_model = float(rng.beta(0.5, 4.0)), "test-grader"
    Ticket.objects.bulk_update(tickets, ["ai_score", "ai_model"], batch_size=1000)
    version = published_form(population.workflows[0], by=manager)
    version.form.workflows.set(population.workflows)
    plan = make_plan(auditors=auditors, strata_keys=["vendor"], margin_of_error="0.0700",
                     selection=SamplingPlan.Selection.RISK_WEIGHTED)
    run = draw_sample(request_run(plan, window=WINDOW, seed=5, enqueue=False).pk)
    assert run.status == "done", run.failure_reason
    open_assigned_audits(run)
    audits = Audit.objects.filter(sampled_ticket__run=run).select_related("auditor", "ticket")
    for index, audit in enumerate(audits.order_by("pk")):
        if index % 9 == 0:
            continue  # not done yet: non-response
        fails = rng.random() < audit.ticket.ai_score
        submit_audit(audit, audit.auditor, answers=WRONG_ACTION if fails else ALL_GOOD)
    return run


def test_the_report_weights_each_audit_by_its_own_probability(risky_run):
    report = run_report(risky_run)
    assert report.risk_weighted
    done = list(Audit.objects.filter(sampled_ticket__run=risky_run, status__in=SCORED_STATUSES)
                .values_list("sampled_ticket__stratum_id", "sampled_ticket__inclusion_probability",
                             "passed"))
    drawn = {s.pk: s.drawn for s in risky_run.strata.all()}
    completed = {pk: sum(1 for s, _, _ in done if s == pk) for pk in drawn}
    # By hand: π_i times its stratum's response rate, then Hájek.
    y = [float(passed) for _, _, passed in done]
    pi = [p * completed[s] / drawn[s] for s, p, _ in done]
    expected = stats.ht_proportion(y, pi, confidence=report.confidence)
    assert report.accuracy.p == pytest.approx(expected.p, rel=1e-12)
    assert report.accuracy.low == pytest.approx(expected.low, rel=1e-12)
    assert report.accuracy.high == pytest.approx(expected.high, rel=1e-12)
    assert report.accuracy.method == "hajek"
    # The audits over-represent failing tickets: the plain share passing is lower than the
    # weighted estimate of the population's.
    assert sum(y) / len(y) < report.accuracy.p
    for row in report.strata:
        mine = [(p, passed) for s, p, passed in done if s == row.key]
        alone = stats.ht_proportion([float(b) for _, b in mine], [p for p, _ in mine])
        assert row.accuracy.p == pytest.approx(alone.p)


def test_the_run_page_says_the_estimates_are_weighted(risky_run, client, manager):
    client.force_login(manager)
    page = client.get(reverse("sampling:run_detail", args=[risky_run.pk])).content.decode()
    assert 'id="run-risk-weighted"' in page
    assert "weighted by 1/π (Hájek)" in page


def test_risk_weighted_audits_stay_out_of_the_scorecards(risky_run):
    rebuild_cells()
    strata = list(risky_run.strata.values_list("pk", flat=True))
    assert Audit.objects.filter(sampled_ticket__run=risky_run, status__in=SCORED_STATUSES).exists()
    assert not AuditCell.objects.filter(stratum_id__in=strata).exists()
    assert not cell_rows(None, ["stratum_id"]).filter(key_stratum_id__in=strata).exists()
