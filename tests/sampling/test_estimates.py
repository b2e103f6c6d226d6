"""The run report's estimates: stratified by W_h = N_h / N over completed, sampled audits.

The story: a plan with *equal* allocation draws the same number of tickets from big and
small strata, so each audit in a small stratum stands for far fewer tickets. The report must
weight stratum rates by population share (Cochran 1977, §5.2 and eq. 5.16 for proportions),
not average the pooled sample; count only completed audits of drawn tickets (an ad-hoc audit
of a hand-picked ticket says nothing about the population); and say which strata have no
completed audit yet instead of pretending they were estimated.
"""

from __future__ import annotations

import math
import random

import pandas as pd
import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse

from accounts.models import Role
from audits.lifecycle import finalise_audit, open_assigned_audits, start_adhoc_audit, submit_audit
from audits.models import SCORED_STATUSES, Audit
from audits.run_report import run_report
from sampling import stats
from sampling.drawing import draw_sample
from sampling.models import SampleRun
from sampling.reporting import INTERVAL_METHOD
from sampling.tasks import request_run
from tests.audits.workspace_helpers import ALL_GOOD, published_form
from tests.conftest import answered_from_the_program, rows_for_every_test
from tests.factories import UserFactory

from .conftest import WINDOW, four_auditors, sampling_plan

pytestmark = pytest.mark.slow

# Vendor A is good, vendor C is weak: with equal allocation the pooled sample over-represents
# the small strata, so a naive average of the pooled sample is visibly wrong.
FAIL_RATE = {"Vendor A": 0.04, "Vendor B": 0.10, "Vendor C": 0.35}
WRONG_ACTION = {**ALL_GOOD, "right_action": "no"}  # critical: fails, policy error
MISSED_ESCALATION = {**ALL_GOOD, "escalation": "missed", "tone": "2"}  # procedural error


def audit_a_run(population, manager, auditors) -> SampleRun:
    """A drawn run over the generated population, with most audits submitted.

    One stratum (the first) is left entirely unaudited, a few audits elsewhere stay open,
    some are finalised, and an ad-hoc audit of a drawn ticket fails badly (must not count).
    """
    version = published_form(population.workflows[0], by=manager)
    version.form.workflows.set(population.workflows)
    plan = sampling_plan(
        "Equal allocation", auditors=auditors, allocation="equal", margin_of_error="0.0600",
        minimum_per_stratum=8,
    )
    run = draw_sample(request_run(plan, window=WINDOW, seed=11, enqueue=False).pk)
    assert run.status == "done", run.failure_reason
    open_assigned_audits(run)

    rng = random.Random(5)
    audits = list(
        Audit.objects.filter(sampled_ticket__run=run)
        .select_related("auditor", "ticket__vendor", "sampled_ticket__stratum")
        .order_by("pk")
    )
    skipped_stratum = run.strata.order_by("position").first()
    for index, audit in enumerate(audits):
        if audit.sampled_ticket.stratum_id == skipped_stratum.pk or index % 17 == 0:
            continue  # not done yet
        roll = rng.random()
        fail_rate = FAIL_RATE[audit.ticket.vendor.name]
        answers = (
            WRONG_ACTION
            if roll < fail_rate / 3
            else MISSED_ESCALATION
            if roll < fail_rate
            else ALL_GOOD
        )
        submit_audit(audit, audit.auditor, answers=answers)
        if index % 5 == 0:
            finalise_audit(audit, manager)

    drawn = audits[1].ticket
    adhoc = start_adhoc_audit(drawn, version, auditors[0])
    submit_audit(adhoc, auditors[0], answers=WRONG_ACTION)
    return run


def build_program(population) -> dict:
    manager = UserFactory(email="manager@example.com", role=Role.PROGRAM_MANAGER)
    auditors = four_auditors()
    run = audit_a_run(population, manager, auditors)
    return {"manager": manager, "auditors": auditors, "run": run}


@pytest.fixture(scope="module")
def program(module_population, django_db_blocker) -> dict:
    """The audited run, drawn and audited once for all the tests of this module."""
    yield from rows_for_every_test(django_db_blocker, lambda: build_program(module_population))


manager, auditors = answered_from_the_program("manager", "auditors")


@pytest.fixture
def audited_run(program, db) -> SampleRun:
    """The module's audited run, read afresh for each test."""
    return SampleRun.objects.get(pk=program["run"].pk)


def completed_audits_frame(run) -> pd.DataFrame:
    """Raw completed, sampled audits of the run, one row each, straight from the tables."""
    rows = Audit.objects.filter(
        sampled_ticket__run=run, unsampled=False, status__in=SCORED_STATUSES
    ).values("sampled_ticket__stratum_id", "passed", "critical_failed", "error_categories")
    frame = pd.DataFrame.from_records(list(rows)).rename(
        columns={"sampled_ticket__stratum_id": "stratum"}
    )
    frame["policy_error"] = frame["error_categories"].map(lambda found: "policy-error" in found)
    return frame


def textbook_estimate(run, audits: pd.DataFrame, column: str, z: float) -> dict[str, float]:
    """Cochran (1977) 5.x for a proportion, written out with pandas:
    p_st = Σ W_h p_h, v = Σ W_h² (1 − n_h/N_h) p_h (1 − p_h)/(n_h − 1), W_h = N_h / N over
    the strata with audits; then Wilson's interval at n_eff = p(1 − p)/v (Korn & Graubard)."""
    strata = pd.DataFrame.from_records(list(run.strata.values("id", "population")))
    per = audits.groupby("stratum")[column].agg(n="count", x="sum")
    table = strata.set_index("id").join(per, how="inner")
    table["W"] = table["population"] / table["population"].sum()
    table["p"] = table["x"] / table["n"]
    p = float((table["W"] * table["p"]).sum())
    v = float(
        (
            table["W"] ** 2
            * (1 - table["n"] / table["population"])
            * table["p"]
            * (1 - table["p"])
            / (table["n"] - 1)
        ).sum()
    )
    n_eff = p * (1 - p) / v
    centre = (p + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
    half = z / (1 + z * z / n_eff) * math.sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff**2))
    return {"p": p, "se": math.sqrt(v), "low": centre - half, "high": centre + half}


@pytest.mark.django_db
def test_the_report_weights_strata_by_population_not_by_pooled_sample(audited_run):
    report = run_report(audited_run)
    audits = completed_audits_frame(audited_run)
    z = stats.z_value(report.confidence)

    for estimate, column in (
        (report.accuracy, "passed"),
        (report.critical_rate, "critical_failed"),
        (next(c.estimate for c in report.categories if c.slug == "policy-error"), "policy_error"),
    ):
        expected = textbook_estimate(audited_run, audits, column, z)
        assert estimate.p == pytest.approx(expected["p"], abs=1e-12)
        assert estimate.se == pytest.approx(expected["se"], abs=1e-12)
        assert estimate.low == pytest.approx(expected["low"], abs=1e-9)
        assert estimate.high == pytest.approx(expected["high"], abs=1e-9)
        assert estimate.n == len(audits)
    pooled = audits["passed"].mean()
    assert abs(report.accuracy.p - pooled) > 0.01, "equal allocation should make these differ"


@pytest.mark.django_db
def test_the_report_matches_sampling_stats_on_the_raw_audits(audited_run):
    report = run_report(audited_run)
    audits = completed_audits_frame(audited_run)
    per = audits.groupby("stratum").agg(
        n=("passed", "count"), passed=("passed", "sum"), critical=("critical_failed", "sum")
    )
    populations = dict(audited_run.strata.values_list("pk", "population"))

    def triples(column):
        return {
            pk: (n_h, int(per.loc[pk, "n"]), int(per.loc[pk, column]))
            if pk in per.index
            else (n_h, 0, 0)
            for pk, n_h in populations.items()
        }

    confidence = float(audited_run.plan.confidence)
    for estimate, column in ((report.accuracy, "passed"), (report.critical_rate, "critical")):
        assert estimate == stats.stratified_proportion(
            triples(column), confidence, method=INTERVAL_METHOD
        )
    # Each stratum's own row uses the same estimator over its completed audits alone.
    for row in report.strata:
        if row.key in per.index:
            assert row.audits_done == per.loc[row.key, "n"]
            assert row.accuracy.p == pytest.approx(per.loc[row.key, "passed"] / row.audits_done)


@pytest.mark.django_db
def test_unsampled_and_unfinished_audits_do_not_count(audited_run):
    report = run_report(audited_run)

    completed = Audit.objects.filter(sampled_ticket__run=audited_run, status__in=SCORED_STATUSES)
    assert report.audits_done == completed.count()
    assert report.accuracy.n == completed.count()
    assert Audit.objects.filter(unsampled=True, status="submitted", passed=False).exists()
    assert Audit.objects.filter(sampled_ticket__run=audited_run, status="assigned").exists()
    assert Audit.objects.filter(sampled_ticket__run=audited_run, status="final").exists()


@pytest.mark.django_db
def test_a_stratum_without_completed_audits_is_reported_as_uncovered(
    audited_run, client_as, manager
):
    skipped = audited_run.strata.order_by("position").first()

    report = run_report(audited_run)

    assert report.uncovered == [skipped.label]
    assert report.accuracy.covered_population == report.population - skipped.population
    row = next(r for r in report.strata if r.key == skipped.pk)
    assert row.audits_done == 0 and row.accuracy is None
    html = client_as(manager).get(reverse("sampling:run_detail", args=[audited_run.pk]))
    html = html.content.decode()
    assert "no audits yet" in html
    assert "with no completed audits yet" in html and skipped.label in html
    # The uncovered strata's own tickets are named as theirs, the covered ones as the estimates'.
    assert report.uncovered_population == skipped.population
    assert (
        f"These strata hold {intcomma(skipped.population)} of the run's "
        f"{intcomma(report.population)} tickets; the estimates describe the other "
        f"{intcomma(report.population - skipped.population)}."
    ) in html


@pytest.mark.django_db
def test_a_run_without_audits_has_no_estimate(population, auditors, make_plan):
    plan = make_plan(auditors=auditors)
    run = draw_sample(request_run(plan, window=WINDOW, seed=3, enqueue=False).pk)

    report = run_report(run)

    assert report.accuracy is None and report.critical_rate is None
    assert report.categories == [] and report.uncovered == []


@pytest.mark.django_db
def test_the_run_page_reads_audit_outcomes_in_a_fixed_number_of_queries(
    audited_run, client_as, manager, django_assert_num_queries
):
    client = client_as(manager)
    url = reverse("sampling:run_detail", args=[audited_run.pk])
    client.get(url)  # warm the session

    # session, user, run (+plan, requester), strata with grouped audit outcomes, the
    # category taxonomy, category counts per stratum (grouped), the assignments not yet
    # submitted (soonest due, with ticket, auditor and stratum) and their count
    with django_assert_num_queries(8):
        response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="estimate-accuracy"' in html and 'id="run-categories"' in html
    assert "Policy error" in html
