"""The vendor's QA against ours, every number checked against a count by hand.

Acme's March (tests/vendor_qa/conftest.py): we passed 30 of 40 audited tickets from a
stratum of 1,000. Acme's QA says of the same tickets: of our 30 passes, 28 passed and 2
failed; of our 10 fails, 8 passed and 2 failed. So 30 of 40 agree; Acme passes 36 of 40 and
we 30 of 40, so chance agreement is 0.9·0.75 + 0.1·0.25 = 0.70 and kappa (0.75 − 0.70) / 0.30
= 1/6; the discordant pairs are 8 and 2, too few for the chi-square, so McNemar's exact
two-sided p is 2·P(X ≤ 2 | 10, ½) = 2·(1 + 10 + 45)/1024 = 112/1024. Acme also reports 490
passed of 500 audited in the week of 9 March: 98.0 % against our 75.0 %.
"""

import datetime as dt

import pytest

from audits.lifecycle import submit_audit
from rollups.estimates import Scope, domain_outcomes
from rollups.periods import period_of
from sampling import stats
from tests.audits.workspace_helpers import ALL_GOOD, sample_run
from tests.conftest import answered_from_the_program
from tests.factories import AgentFactory, TicketFactory
from tests.people_and_places import CONFTESTS_OWN
from tests.rollups.rollup_helpers import sampled_audits
from tests.vendor_qa.conftest import MARCH, PASSED, POPULATION
from vendor_qa.comparison import compare, over_reporting, paired_comparison, reported_estimate
from vendor_qa.importing import import_rows

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MARCH_PERIOD = period_of("month", dt.date(2026, 3, 1))


manager, auditor, workflow, vendor_a, site_a, vendor_b, site_b = answered_from_the_program(
    *CONFTESTS_OWN
)


def report(manager, vendor, kind, rows):
    result = import_rows(rows, user=manager, vendor=vendor, kind=kind)
    assert result.ok, result.lines()


@pytest.fixture
def reported(program, manager, vendor_a, workflow):
    verdicts = [True] * 28 + [False] * 2 + [True] * 8 + [False] * 2  # ours: 30 passes, 10 fails
    report(manager, vendor_a, "tickets", [
        {"ticket": t.external_id, "passed": v} for t, v in zip(program.tickets, verdicts,
                                                               strict=True)])
    report(manager, vendor_a, "rates", [
        {"workflow": workflow.slug, "week": "2026-03-09", "audited": 500, "passed": 490}])
    return program


def test_the_same_tickets_are_compared_by_hand(reported, vendor_a):
    paired = paired_comparison(vendor_a, MARCH_PERIOD)
    assert (paired.both_passed, paired.they_failed_we_passed, paired.they_passed_we_failed,
            paired.both_failed) == (28, 2, 8, 2)
    assert paired.n == 40
    assert paired.agreement == pytest.approx(0.75)
    assert paired.kappa == pytest.approx(1 / 6)
    assert paired.mcnemar.exact and paired.mcnemar.p_value == pytest.approx(112 / 1024)
    assert not paired.significant


def test_only_tickets_of_the_period_with_a_final_audit_of_ours_are_paired(
        reported, manager, auditor, vendor_a, site_a, workflow):
    # A ticket the vendor judged that we never audited; one we audited but did not finalise;
    # one of ours handled in April.
    agent = site_a.agents.first()
    unaudited = TicketFactory(agent=agent, workflow=workflow, handled_at=MARCH)
    submitted = sampled_audits(sample_run("Open"), auditor, workflow, agent, [MARCH])[0]
    submit_audit(submitted, auditor, answers=ALL_GOOD)
    april = TicketFactory(agent=agent, workflow=workflow,
                          handled_at=MARCH + dt.timedelta(days=35))
    report(manager, vendor_a, "tickets", [
        {"ticket": t.external_id, "passed": True}
        for t in (unaudited, submitted.ticket, april)])
    assert paired_comparison(vendor_a, MARCH_PERIOD).n == 40
    # Another vendor's verdicts are not Acme's.
    assert paired_comparison(reported.b_ticket.vendor, MARCH_PERIOD).n == 0


def test_the_reported_rate_against_our_estimate_with_newcombes_interval(
        reported, program, vendor_a, workflow):
    ours = stats.stratified_proportion({program.stratum: (POPULATION, 40, PASSED)},
                                       method="wilson")
    vqa = compare(vendor_a, MARCH_PERIOD)
    gap = vqa.overall
    assert (gap.audited, gap.passed) == (500, 490)
    assert gap.reported.p == pytest.approx(0.98)
    assert (gap.reported.low, gap.reported.high) == pytest.approx(
        stats.proportion_ci(490, 500, method="wilson"))
    assert gap.ours.p == pytest.approx(ours.p) == pytest.approx(0.75)
    assert (gap.ours.low, gap.ours.high) == pytest.approx((ours.low, ours.high))
    # The gap: reported − ours, Newcombe's interval over the two effective samples.
    n_eff = ours.effective_n
    assert gap.comparison.difference == pytest.approx(0.23)
    assert (gap.comparison.low, gap.comparison.high) == pytest.approx(
        stats.difference_ci(490, 500, 0.75 * n_eff, n_eff))
    assert gap.comparison.low > 0 and gap.significant and gap.over_reports
    assert gap.text.startswith(
        f"Vendor reports 98.0% (n 500); our estimate 75.0% ({ours.low * 100:.1f}% – "
        f"{ours.high * 100:.1f}%): the gap of 23.0 points is significant (95% interval ")
    # One workflow: the breakdown is the same line; nothing unreported.
    assert [(g.workflow, g.audited) for g in vqa.by_workflow] == [(workflow, 500)]
    assert vqa.unreported == []


def test_an_honest_vendor_has_no_significant_gap(program, manager, vendor_a, workflow):
    report(manager, vendor_a, "rates", [
        {"workflow": workflow.slug, "week": "2026-03-09", "audited": 80, "passed": 61}])
    gap = compare(vendor_a, MARCH_PERIOD).overall
    assert gap.reported.p == pytest.approx(61 / 80)
    assert not gap.significant and not gap.over_reports
    assert "is not significant" in gap.text


def test_rates_outside_the_period_do_not_count(reported, manager, vendor_a, workflow):
    report(manager, vendor_a, "rates", [
        {"workflow": workflow.slug, "week": "2026-04-06", "audited": 100, "passed": 0}])
    assert compare(vendor_a, MARCH_PERIOD).overall.audited == 500


def test_a_vendor_that_over_reports_is_flagged_and_one_that_does_not_is_not(
        reported, manager, vendor_b, site_b, auditor, workflow):
    # Borealis reports 20 of 40 and we find 20 of 40 on its own audits.
    agent = AgentFactory(site=site_b, external_id="BOR-9")
    audits = sampled_audits(sample_run("Borealis March"), auditor, workflow, agent, [MARCH] * 40)
    for n, audit in enumerate(audits):
        submit_audit(audit, auditor, answers=ALL_GOOD if n < 20 else
                     {**ALL_GOOD, "escalation": "missed", "policy_cited": "fail"})
    from rollups.writer import rebuild_rollups

    rebuild_rollups()
    report(manager, vendor_b, "rates", [
        {"workflow": workflow.slug, "week": "2026-03-09", "audited": 40, "passed": 20}])
    ours = domain_outcomes(Scope(period=MARCH_PERIOD), by="vendor")
    flagged = over_reporting(MARCH_PERIOD, ours)
    assert [gap.vendor.slug for gap in flagged] == ["acme"]


def test_no_vendor_report_means_nothing_to_show(program, vendor_a):
    vqa = compare(vendor_a, MARCH_PERIOD)
    assert not vqa.has_data and vqa.overall is None and vqa.paired.n == 0
    assert vqa.paired.agreement is None and vqa.paired.kappa is None


def test_the_reported_rate_is_a_wilson_interval_at_its_audits():
    estimate = reported_estimate(45, 50, 0.9)
    assert (estimate.low, estimate.high) == pytest.approx(
        stats.proportion_ci(45, 50, 0.9, method="wilson"))
    assert estimate.effective_n == 50 and estimate.n == 50
