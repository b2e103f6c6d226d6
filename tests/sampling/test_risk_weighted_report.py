"""A risk-weighted run's report weights each audit by its own chance of being drawn.

The story: the plan sends audits to the tickets the AI scores as risky, so most audits find
errors; a plain share of them would overstate the error rate. The report counts each completed
audit 1/π times (Hájek, ``stats.ht_proportion``) and says so, and so do the vendor
scorecards' domain estimates.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

import numpy as np
import pytest
from django.urls import reverse

from accounts.models import Role
from audits.lifecycle import open_assigned_audits, submit_audit
from audits.models import SCORED_STATUSES, Audit
from audits.run_report import run_report
from rollups.domain_sums import Scope
from rollups.estimates import domain_outcomes
from rollups.periods import Period
from rollups.writer import rebuild_rollups
from sampling import stats
from sampling.drawing import draw_sample
from sampling.models import SampleRun, SamplingPlan
from sampling.tasks import request_run
from tests.audits.workspace_helpers import ALL_GOOD, published_form
from tests.conftest import answered_from_the_program, rows_for_every_test
from tests.factories import UserFactory
from tests.rollups.rollup_helpers import (
    assert_week_sums_as_rebuilt,
    stored_cells,
    stored_site_cells,
)
from tickets.models import Ticket

from .conftest import WINDOW, four_auditors, sampling_plan

pytestmark = pytest.mark.slow

WRONG_ACTION = {**ALL_GOOD, "right_action": "no"}


def audit_a_risky_run(population, manager, auditors) -> SampleRun:
    """A risk-weighted run whose audits fail as often as their tickets' AI scores say."""
    rng = np.random.default_rng(3)
    tickets = population.tickets
    for ticket in tickets:
        ticket.ai_score, ticket.ai_model = float(rng.beta(0.5, 4.0)), "test-grader"
    Ticket.objects.bulk_update(tickets, ["ai_score", "ai_model"], batch_size=1000)
    version = published_form(population.workflows[0], by=manager)
    version.form.workflows.set(population.workflows)
    plan = sampling_plan("Risk weighted", auditors=auditors, strata_keys=["vendor"],
                         margin_of_error="0.0700", selection=SamplingPlan.Selection.RISK_WEIGHTED)
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


def build_program(population) -> dict:
    manager = UserFactory(email="manager@example.com", role=Role.PROGRAM_MANAGER)
    run = audit_a_risky_run(population, manager, four_auditors())
    return {"manager": manager, "run": run}


@pytest.fixture(scope="module")
def program(module_population, django_db_blocker) -> dict:
    """The risk-weighted run, drawn and audited once for all the tests of this module."""
    yield from rows_for_every_test(django_db_blocker, lambda: build_program(module_population))


(manager,) = answered_from_the_program("manager")


@pytest.fixture
def risky_run(program, db) -> SampleRun:
    """The module's risk-weighted run, read afresh for each test."""
    return SampleRun.objects.get(pk=program["run"].pk)


def test_the_report_weights_each_audit_by_its_own_probability(risky_run):
    report = run_report(risky_run)
    assert report.risk_weighted
    done = list(Audit.objects.filter(sampled_ticket__run=risky_run, status__in=SCORED_STATUSES)
                .values_list("sampled_ticket__stratum_id", "sampled_ticket__inclusion_probability",
                             "passed"))
    strata = {s.pk: s for s in risky_run.strata.all()}
    completed = {pk: sum(1 for s, _, _ in done if s == pk) for pk in strata}
    # By hand: π_i* = π_i times its stratum's response rate; each audit weighs g_h/π_i*
    # (its stratum's weights add up to N_h), with the residuals from its stratum's own rate.
    rows = []
    for pk, stratum in strata.items():
        mine = [(p * completed[pk] / stratum.drawn, float(passed))
                for s, p, passed in done if s == pk]
        if not mine:
            continue
        g = stratum.population / sum(1 / pi for pi, _ in mine)
        own = sum(y / pi for pi, y in mine) / sum(1 / pi for pi, _ in mine)
        rows += [(g / pi, pi, y, own) for pi, y in mine]
    size = sum(stratum.population for pk, stratum in strata.items() if completed[pk])
    p = sum(w * y for w, _, y, _ in rows) / size
    se = math.sqrt(sum((1 - pi) * (w * (y - own)) ** 2 for w, pi, y, own in rows)) / size
    assert report.accuracy.p == pytest.approx(p, rel=1e-12)
    assert report.accuracy.se == pytest.approx(se, rel=1e-12)
    assert report.accuracy.low < p < report.accuracy.high
    assert report.accuracy.method == "hajek"
    y = [float(passed) for _, _, passed in done]
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


def hand_estimate(audits, sizes, drawn, domain):
    """Hájek over the domain's audits, each weighing g_h/π_i with g_h = N_h / Σ 1/π over its
    stratum's completed audits, and the Poisson variance Σ (g/π)² (1 − π*)(y − p)²/N̂² with
    π* = π · n_h/d_h (d_h drawn, n_h completed: the rest is non-response)."""
    inverse, completed = defaultdict(float), defaultdict(int)
    for stratum, pi, _passed, _site in audits:
        inverse[stratum] += 1 / pi
        completed[stratum] += 1
    rows = [(sizes[s] / inverse[s] / pi, pi * completed[s] / drawn[s], float(passed))
            for s, pi, passed, site in audits if domain(site, s)]
    size = sum(w for w, _, _ in rows)
    p = sum(w * y for w, _, y in rows) / size
    variance = sum(w * w * (1 - pi) * (y - p) ** 2 for w, pi, y in rows) / size**2
    return p, math.sqrt(variance), len(rows)


def test_risk_weighted_audits_enter_the_scorecards_weighted_by_their_probability(
    risky_run, step
):
    rebuild_rollups()
    # Five more audits come in one by one: the refreshed rollups are what a rebuild gives.
    still_open = (Audit.objects.filter(sampled_ticket__run=risky_run)
                  .exclude(status__in=SCORED_STATUSES).select_related("auditor")[:5])
    for number, audit in enumerate(still_open):
        step(submit_audit, audit, audit.auditor,
             answers=WRONG_ACTION if number % 2 else ALL_GOOD)
    cells = stored_cells(), stored_site_cells()
    assert_week_sums_as_rebuilt()
    assert (stored_cells(), stored_site_cells()) == cells
    done = Audit.objects.filter(sampled_ticket__run=risky_run, status__in=SCORED_STATUSES)
    audits = list(done.values_list("sampled_ticket__stratum_id",
                                   "sampled_ticket__inclusion_probability", "passed",
                                   "ticket__site_id"))
    strata = {s.pk: s for s in risky_run.strata.all()}
    sizes = {pk: s.population for pk, s in strata.items()}
    drawn = {pk: s.drawn for pk, s in strata.items()}
    period = Period("custom", dt.date(2026, 10, 26), dt.date(2026, 11, 9))
    assert len(audits) < sum(drawn.values())  # some drawn audits are still open
    # A vendor is a stratum here: its scorecard rate is that stratum's Hájek estimate, with
    # π* = π times its response rate (some of its drawn audits are still open).
    for pk, stratum in strata.items():
        mine = [(pi, passed) for s, pi, passed, _ in audits if s == pk]
        if len(mine) < 10:
            continue
        mine = [(pi * len(mine) / stratum.drawn, passed) for pi, passed in mine]
        shown = domain_outcomes(Scope(period, vendor=stratum.vendor_id))[None].accuracy
        alone = stats.ht_proportion([float(y) for _, y in mine], [pi for pi, _ in mine])
        assert shown.p == pytest.approx(alone.p, rel=1e-9)
        assert shown.se == pytest.approx(alone.se, rel=1e-9)
        assert (shown.low, shown.high) == pytest.approx((alone.low, alone.high), rel=1e-9)
    # The whole program, and each site (a domain read from the cells, not the week sums).
    program = domain_outcomes(Scope(period))[None].accuracy
    p, se, n = hand_estimate(audits, sizes, drawn, lambda site, stratum: True)
    assert (program.p, program.se, program.n) == (pytest.approx(p), pytest.approx(se), n)
    plain = sum(passed for _, _, passed, _ in audits) / len(audits)
    assert plain < program.p  # the audits went where errors are: unweighted is too low
    by_site = domain_outcomes(Scope(period), "site")
    for site, outcome in by_site.items():
        if outcome.accuracy is None:
            continue
        p, se, n = hand_estimate(audits, sizes, drawn, lambda s, _stratum, site=site: s == site)
        assert (outcome.accuracy.p, outcome.accuracy.se) == (pytest.approx(p), pytest.approx(se))
