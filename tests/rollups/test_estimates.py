"""The numbers on a scorecard are the survey estimates of the raw audits, not their average.

A run samples three strata with very unequal allocation (N_h 5000/400/60, n_h 20/40/30: the
big stratum's audits each stand for 250 tickets, the small one's for 2). Its tickets are
handled by agents of two vendors' sites over two weeks, so vendors, sites, agents and weeks
cut across the strata. Every audit is scored through the real lifecycle, the cells are
rebuilt, and ``domain_outcomes`` must equal what we compute ourselves from the Audit rows:
(a) with sampling.stats fed with counts tallied here, and (b) with pandas, from unit-level
residuals (Lohr 2019, Sampling: Design and Analysis, 2nd ed., §9.1: a domain mean is the
ratio Σ w y / Σ w u, its variance Σ_h N_h² (1 - n_h/N_h) s²_eh / n_h / (Σ w u)² with
e = u (y - p̂)), never from the cells or the count formulas.
"""

import datetime as dt
import math
import random
from collections import defaultdict

import pandas as pd
import pytest

from accounts.models import Role
from audits import lifecycle
from audits.lifecycle import open_assigned_audits
from audits.models import SCORED_STATUSES, Audit
from rollups.domain_sums import category_slugs
from rollups.estimates import MIN_AUDITS, Scope, domain_outcomes
from rollups.periods import period_of
from rollups.writer import rebuild_rollups
from sampling import stats
from tests.audits.workspace_helpers import ALL_GOOD, assign_tickets, published_form, sample_run
from tests.conftest import answered_from_the_program, rows_for_every_test
from tests.factories import (
    AgentFactory,
    SiteFactory,
    TicketFactory,
    UserFactory,
    VendorFactory,
    WorkflowFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

WEEK_1 = dt.date(2026, 3, 2)
WEEK_2 = dt.date(2026, 3, 9)
MARCH = period_of("month", WEEK_1)
TIGHT = 1e-12

CRITICAL_MISS = {**ALL_GOOD, "right_action": "no"}  # critical, policy error: fails
MISSED_ESCALATION = {**ALL_GOOD, "escalation": "missed", "policy_cited": "fail"}  # procedural
CURT = {**ALL_GOOD, "tone": "2"}
# Stratum → (N_h, audits drawn, chance an audit is a critical miss, chance of a procedural miss)
DESIGN = {
    "big queue": (5000, 20, 0.35, 0.25),
    "medium queue": (400, 40, 0.10, 0.15),
    "small queue": (60, 30, 0.02, 0.05),
}


@pytest.fixture(scope="module")
def program(django_db_setup, django_db_blocker):
    """The run above, scored; one audit of the medium queue is left unscored (it does not
    count), and a newcomer has only four audits. Built once for the module (ninety audits
    through the real lifecycle); the vendors, sites and workflow below are its."""
    yield from rows_for_every_test(django_db_blocker, build_program)


workflow, vendor_a, vendor_b, site_b = answered_from_the_program(
    workflow="workflow", vendor_a="vendor_a", vendor_b="vendor_b", site_b="site_b")


def build_program():
    manager = UserFactory(email="manager@example.com", role=Role.PROGRAM_MANAGER)
    auditor = UserFactory(email="auditor@example.com", role=Role.QA_AUDITOR)
    workflow = WorkflowFactory(name="Hate speech (EN)", slug="hate-speech-en")
    published_form(workflow, by=manager)
    site_a = SiteFactory(vendor=VendorFactory(name="Acme Moderation", slug="acme"),
                         name="Manila", slug="manila")
    site_b = SiteFactory(vendor=VendorFactory(name="Borealis Support", slug="borealis"),
                         name="Bogotá", slug="bogota", country="CO", timezone="America/Bogota")
    rng = random.Random(20260302)
    agents = [
        AgentFactory(site=site_a, external_id="agent-1"),
        AgentFactory(site=site_a, external_id="agent-2"),
        AgentFactory(site=site_b, external_id="agent-3"),
    ]
    newcomer = AgentFactory(site=site_b, external_id="newcomer")
    run = sample_run("Queues by risk")
    for label, (population, drawn, _, _) in DESIGN.items():
        tickets = []
        for i in range(drawn):
            agent = newcomer if label == "medium queue" and i < 4 else agents[i % 3]
            monday = WEEK_1 if i // 3 % 2 == 0 else WEEK_2
            handled = dt.datetime.combine(monday, dt.time(9), tzinfo=dt.UTC)
            tickets.append(
                TicketFactory(
                    agent=agent, workflow=workflow, handled_at=handled + dt.timedelta(days=i % 5)
                )
            )
        stratum = assign_tickets(run, tickets, auditor)[0].stratum
        stratum.label, stratum.population = label, population
        stratum.save(update_fields=["label", "population"])
    open_assigned_audits(run)
    audits = list(Audit.objects.filter(sampled_ticket__run=run).order_by("pk"))
    unscored = audits.pop(len(audits) // 2)
    assert unscored.sampled_ticket.stratum.label == "medium queue"
    for audit in audits:
        draw = rng.random()
        label = audit.sampled_ticket.stratum.label
        _, _, critical, procedural = DESIGN[label]
        answers = (
            CRITICAL_MISS
            if draw < critical
            else MISSED_ESCALATION
            if draw < critical + procedural
            else CURT
            if draw > 0.85
            else ALL_GOOD
        )
        lifecycle.submit_audit(audit, auditor, answers=answers)
    rebuild_rollups()
    return {"agents": agents, "newcomer": newcomer, "run": run, "workflow": workflow,
            "site_b": site_b, "vendor_a": site_a.vendor, "vendor_b": site_b.vendor}


def raw_audits() -> pd.DataFrame:
    """One row per completed sampled audit, read from the Audit rows (not the cells)."""
    rows, slugs = [], category_slugs()
    audits = Audit.objects.filter(unsampled=False, status__in=SCORED_STATUSES).select_related(
        "ticket", "sampled_ticket__stratum"
    )
    for audit in audits:
        ticket, stratum = audit.ticket, audit.sampled_ticket.stratum
        day = ticket.handled_at.astimezone(dt.UTC).date()
        rows.append(
            {
                "stratum": stratum.pk,
                "N": stratum.population,
                "vendor": ticket.vendor_id,
                "site": ticket.site_id,
                "agent": ticket.agent_id,
                "workflow": ticket.workflow_id,
                "week": day - dt.timedelta(days=day.weekday()),
                "passed": int(audit.passed),
                "critical": int(audit.critical_failed),
                "score": float(audit.score),
                **{f"cat:{slug}": int(bool(audit.error_categories.get(slug))) for slug in slugs},
            }
        )
    frame = pd.DataFrame(rows)
    frame["n"] = frame.groupby("stratum")["stratum"].transform("size")
    return frame


def tallied(frame: pd.DataFrame, in_domain, column: str) -> dict:
    """{stratum: (N_h, n_h, m_hd, x_hd)} counted by hand from the audit rows."""
    counts = defaultdict(lambda: [0, 0, 0, 0])
    for row in frame.to_dict("records"):
        entry = counts[row["stratum"]]
        entry[0], entry[1] = row["N"], row["n"]
        if in_domain(row):
            entry[2] += 1
            entry[3] += row[column]
    return {h: tuple(c) for h, c in counts.items()}


def linearised(frame: pd.DataFrame, in_domain: pd.Series, column: str) -> tuple[float, float]:
    """(p̂, se) of ``column`` over the domain from the units (Lohr 2019 §9.1), with pandas."""
    units = frame.assign(
        w=frame["N"] / frame["n"], u=in_domain.astype(float), y=frame[column].astype(float)
    )
    total = (units["w"] * units["u"]).sum()
    p = (units["w"] * units["u"] * units["y"]).sum() / total
    units["e"] = units["u"] * (units["y"] - p)
    per_stratum = units.groupby("stratum").agg(N=("N", "first"), n=("n", "first"), s2=("e", "var"))
    variance = (
        per_stratum["N"] ** 2
        * (1 - per_stratum["n"] / per_stratum["N"])
        * per_stratum["s2"]
        / per_stratum["n"]
    ).sum() / total**2
    return float(p), math.sqrt(variance)


def assert_same(estimate: stats.Estimate, expected: stats.Estimate) -> None:
    for name in ("p", "se", "low", "high"):
        assert math.isclose(
            getattr(estimate, name), getattr(expected, name), rel_tol=TIGHT, abs_tol=TIGHT
        ), name
    assert estimate.n == expected.n


# --- (a) with sampling.stats -------------------------------------------------------------------


def test_the_whole_run_is_the_stratified_proportion_of_the_audits(program):
    frame = raw_audits()
    per_stratum = frame.groupby("stratum").agg(
        N=("N", "first"), n=("n", "first"), passed=("passed", "sum"), critical=("critical", "sum")
    )
    assert sorted(per_stratum["n"]) == [20, 30, 39]  # the unscored audit does not count

    outcome = domain_outcomes(Scope(MARCH))[None]

    assert outcome.audits == 89 and outcome.strata == 3
    for column, estimate in (("passed", outcome.accuracy), ("critical", outcome.critical_rate)):
        strata = {
            h: (row.N, row.n, getattr(row, column))
            for row in per_stratum.itertuples()
            for h in [row.Index]
        }
        assert_same(estimate, stats.stratified_proportion(strata, method="wilson"))


def test_the_whole_run_is_not_the_average_of_its_audits(program):
    """The big queue fails most and has the fewest audits per ticket: pooling the audits
    (each counted once) overstates accuracy by several points."""
    frame = raw_audits()
    outcome = domain_outcomes(Scope(MARCH))[None]
    assert frame["passed"].mean() - outcome.accuracy.p > 0.05
    assert outcome.critical_rate.p - frame["critical"].mean() > 0.05


def test_domains_across_strata_equal_domain_proportion_of_counts_tallied_from_the_audits(
    program,
):
    frame = raw_audits()
    for dimension in ("vendor", "site", "agent", "week"):
        outcomes = domain_outcomes(Scope(MARCH), by=dimension, categories=True)
        assert set(outcomes) == set(frame[dimension])
        for key, outcome in outcomes.items():
            members = frame[frame[dimension] == key]
            assert outcome.audits == len(members)
            assert outcome.strata == members["stratum"].nunique()
            if not outcome.enough:
                continue
            assert outcome.strata == 3  # the domain cuts across every stratum

            def in_domain(row, dimension=dimension, key=key):
                return row[dimension] == key

            assert_same(
                outcome.accuracy, stats.domain_proportion(tallied(frame, in_domain, "passed"))
            )
            assert_same(
                outcome.critical_rate,
                stats.domain_proportion(tallied(frame, in_domain, "critical")),
            )
            for slug, estimate in outcome.categories.items():
                assert_same(
                    estimate, stats.domain_proportion(tallied(frame, in_domain, f"cat:{slug}"))
                )


def test_a_single_week_period_is_a_domain_of_the_whole_run(program):
    """The week's audits are part of what the strata sampled: n_h counts both weeks."""
    frame = raw_audits()
    outcome = domain_outcomes(Scope(period_of("week", WEEK_2)))[None]
    expected = stats.domain_proportion(tallied(frame, lambda row: row["week"] == WEEK_2, "passed"))
    assert_same(outcome.accuracy, expected)


# --- (b) with pandas, from the units -----------------------------------------------------------


def test_every_rate_equals_the_linearised_ratio_estimator_computed_with_pandas(program):
    frame = raw_audits()
    for dimension in (None, "vendor", "site", "agent", "week"):
        outcomes = domain_outcomes(Scope(MARCH), by=dimension, categories=True)
        assert outcomes
        for key, outcome in outcomes.items():
            in_domain = (frame[dimension] == key) if dimension else pd.Series(True, frame.index)
            if not outcome.enough:
                assert outcome.accuracy is None and outcome.critical_rate is None
                continue
            estimates = {
                "passed": outcome.accuracy,
                "critical": outcome.critical_rate,
                **{f"cat:{slug}": e for slug, e in outcome.categories.items()},
            }
            assert {"cat:policy-error", "cat:procedural"} <= set(estimates)
            for column, estimate in estimates.items():
                p, se = linearised(frame, in_domain, column)
                assert estimate.p == pytest.approx(p, rel=TIGHT, abs=TIGHT), (key, column)
                assert estimate.se == pytest.approx(se, rel=TIGHT, abs=TIGHT), (key, column)


def test_policy_accuracy_is_the_complement_of_the_policy_error_rate(program):
    frame = raw_audits()
    outcome = domain_outcomes(Scope(MARCH), categories=True)[None]
    p, _ = linearised(frame, pd.Series(True, frame.index), "cat:policy-error")
    policy = outcome.metric("policy_accuracy")
    assert policy.p == pytest.approx(1 - p, abs=TIGHT)
    assert (policy.low, policy.high) == pytest.approx(
        (1 - outcome.categories["policy-error"].high, 1 - outcome.categories["policy-error"].low)
    )


def test_the_average_score_is_weighted_like_the_rates(program):
    """An average score is a domain mean too: Σ w·score / Σ w (Lohr 2019 §4.3), not the plain
    mean of the audits, which over-represents the small queue here."""
    frame = raw_audits()
    outcome = domain_outcomes(Scope(MARCH))[None]
    weights = frame["N"] / frame["n"]
    weighted = (weights * frame["score"]).sum() / weights.sum()
    assert abs(weighted - frame["score"].mean()) > 1  # the two differ here
    assert outcome.average_score == pytest.approx(weighted, rel=TIGHT)


# --- what the pages rely on --------------------------------------------------------------------


def test_a_domain_with_too_few_audits_shows_no_rate(program):
    newcomer = program["newcomer"]
    outcome = domain_outcomes(Scope(MARCH), by="agent")[newcomer.pk]
    assert outcome.audits == 4 < MIN_AUDITS
    assert not outcome.enough
    assert outcome.accuracy is None and outcome.critical_rate is None
    assert outcome.metric("accuracy") is None
    assert outcome.average_score is not None
    alone = domain_outcomes(Scope(MARCH, agent=newcomer.pk))[None]
    assert alone.audits == 4 and alone.accuracy is None


def test_a_pair_of_dimensions_keys_each_domain_by_both(program, workflow, vendor_a, vendor_b):
    pairs = domain_outcomes(Scope(MARCH), by=("vendor", "workflow"))
    single = domain_outcomes(Scope(MARCH), by="vendor")
    assert set(pairs) == {(vendor_a.pk, workflow.pk), (vendor_b.pk, workflow.pk)}
    for (vendor, _), outcome in pairs.items():
        assert_same(outcome.accuracy, single[vendor].accuracy)
        assert outcome.audits == single[vendor].audits


def test_a_scope_filter_equals_the_same_group_of_a_breakdown(program, site_b):
    by_site = domain_outcomes(Scope(MARCH), by="site")[site_b.pk]
    scoped = domain_outcomes(Scope(MARCH, site=site_b.pk))[None]
    assert_same(scoped.accuracy, by_site.accuracy)
    assert_same(scoped.critical_rate, by_site.critical_rate)


def test_outside_the_period_there_is_nothing_to_show(program):
    assert domain_outcomes(Scope(MARCH.previous())) == {}


def test_unknown_dimensions_are_refused():
    with pytest.raises(ValueError, match="by must name"):
        domain_outcomes(Scope(MARCH), by="country")


def test_estimates_read_two_queries_whatever_the_number_of_groups(
    program, django_assert_num_queries
):
    """One grouped query (plus the category slugs when asked for), for one group or many,
    from the cells or the week sums; a month of the program first asks whether a stratum
    spans its weeks (one indexed lookup)."""
    agent = program["agents"][0].pk
    for scope, by, categories, queries in [
        (Scope(MARCH), None, False, 2),
        (Scope(MARCH), "site", False, 1),
        (Scope(MARCH), "agent", False, 1),
        (Scope(MARCH, agent=agent), "week", False, 1),
        (Scope(MARCH), "week", True, 2),
        (Scope(MARCH), ("vendor", "workflow"), True, 2),
    ]:
        with django_assert_num_queries(queries):
            outcomes = domain_outcomes(scope, by=by, categories=categories)
        assert outcomes
