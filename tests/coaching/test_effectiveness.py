"""Did the coaching work? An action's effectiveness is the error rate on its theme for the
coached agent (or site) in the weeks before it was opened against the weeks after it was
completed, each a stratified domain estimate, compared with a two-proportion test.

The expected figures are computed here from the raw audit rows, not from the rollups: each
(stratum, window) is a domain of its stratum, estimated with the ratio estimator of Cochran
(1977) §5A.14 (``stats.domain_proportion``: N_h the stratum's population, n_h all its
completed audits, m_hd and x_hd those in the domain and those with an error of the theme);
the two windows are compared with ``stats.compare_estimates`` (the pooled z-test and
Newcombe's interval on effective sample sizes, Korn & Graubard 1998).
"""

import datetime as dt

import pytest

from audit_forms.models import ErrorCategory
from audits.models import Audit
from coaching import actions, effectiveness
from coaching.models import CoachingAction
from rollups.periods import Period
from rollups.writer import rebuild_rollups
from sampling import stats
from tests.coaching.helpers import outcomes, scored_stratum
from tests.factories import AgentFactory
from tests.rollups.rollup_helpers import category_rate_from_audits

pytestmark = pytest.mark.django_db

OPENED = dt.datetime(2026, 3, 4, 10, tzinfo=dt.UTC)  # week of Monday 2 March
COMPLETED = dt.datetime(2026, 3, 11, 16, tzinfo=dt.UTC)  # week of Monday 9 March
TODAY = dt.date(2026, 4, 22)  # week of Monday 20 April
BEFORE = Period("custom", dt.date(2026, 1, 5), dt.date(2026, 2, 23))  # the 8 weeks before
AFTER = Period("custom", dt.date(2026, 3, 16), dt.date(2026, 4, 20))


def at(month, day, hour=9):
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def program(version, auditor, workflow, site_a):
    """Agent A1 of Manila in two strata: many policy errors before, few after, and a burst
    during the coaching weeks that belongs to neither window. Agent A2, same site, gets
    worse after."""
    a1 = AgentFactory(site=site_a, external_id="A1")
    a2 = AgentFactory(site=site_a, external_id="A2")
    scored_stratum(
        auditor,
        workflow,
        a1,
        600,
        [
            (at(1, 12), outcomes(policy=12, procedural=2, good=16)),
            (at(3, 5), outcomes(policy=5)),  # coaching weeks: neither
            (at(3, 17), outcomes(policy=3, procedural=1, good=26)),
        ],
    )
    scored_stratum(
        auditor,
        workflow,
        a1,
        100,
        [
            (at(2, 2), outcomes(policy=2, good=8)),
            (at(3, 20), outcomes(good=10)),
        ],
    )
    scored_stratum(
        auditor,
        workflow,
        a2,
        400,
        [
            (at(1, 20), outcomes(policy=1, procedural=1, good=18)),
            (at(3, 18), outcomes(policy=6, good=14)),
        ],
    )
    rebuild_rollups()
    return {"a1": a1, "a2": a2}


def opened(manager, poc, slug, *, completed=COMPLETED, **target) -> CoachingAction:
    action = actions.open_action(
        manager,
        category=ErrorCategory.objects.get(slug=slug),
        title=f"Coach {slug}",
        due_date=dt.date(2026, 3, 20),
        **target,
    )
    CoachingAction.objects.filter(pk=action.pk).update(opened_at=OPENED)
    action.refresh_from_db()
    if completed is not None:
        actions.complete(action, poc, "Two sessions on the policy's examples.")
        CoachingAction.objects.filter(pk=action.pk).update(completed_at=completed)
        action.refresh_from_db()
    return action


def assert_same(estimate, expected):
    assert (estimate.p, estimate.low, estimate.high, estimate.n) == (
        pytest.approx(expected.p, abs=1e-12),
        pytest.approx(expected.low, abs=1e-12),
        pytest.approx(expected.high, abs=1e-12),
        expected.n,
    )


def test_the_windows_are_the_weeks_before_opening_and_after_completion(program, manager, poc_a):
    action = opened(
        manager,
        poc_a,
        "policy-error",
        audits=list(Audit.objects.filter(ticket__agent=program["a1"])[:2]),
    )
    assert effectiveness.before_period(action) == BEFORE
    assert effectiveness.after_period(action, TODAY) == AFTER


def test_an_agent_coached_on_policy_errors_improved_significantly(program, manager, poc_a):
    a1 = program["a1"]
    action = opened(
        manager, poc_a, "policy-error", audits=list(Audit.objects.filter(ticket__agent=a1)[:3])
    )
    effect = effectiveness.effectiveness(action, today=TODAY)

    before = category_rate_from_audits("policy-error", BEFORE, agent=a1)
    after = category_rate_from_audits("policy-error", AFTER, agent=a1)
    expected = stats.compare_estimates(after, before)
    assert (effect.before.audits, effect.after.audits) == (40, 40)  # the burst counts nowhere
    assert_same(effect.before.rate, before)
    assert_same(effect.after.rate, after)
    assert effect.comparison.difference == pytest.approx(expected.difference, abs=1e-12)
    assert effect.comparison.low == pytest.approx(expected.low, abs=1e-12)
    assert effect.comparison.high == pytest.approx(expected.high, abs=1e-12)
    assert effect.comparison.p_value == pytest.approx(expected.p_value, abs=1e-12)
    assert expected.significant and expected.difference < 0
    assert effect.verdict == "improved (significant)"


def test_a_site_action_reads_every_agent_of_the_site(program, manager, poc_a, site_a):
    action = opened(manager, poc_a, "policy-error", site=site_a)
    effect = effectiveness.effectiveness(action, today=TODAY)
    before = category_rate_from_audits("policy-error", BEFORE, site=site_a)
    after = category_rate_from_audits("policy-error", AFTER, site=site_a)
    expected = stats.compare_estimates(after, before)
    assert (effect.before.audits, effect.after.audits) == (60, 60)
    assert_same(effect.before.rate, before)
    assert_same(effect.after.rate, after)
    assert effect.comparison.p_value == pytest.approx(expected.p_value, abs=1e-12)
    # A1's improvement is diluted by A2 getting worse: fewer errors, but not significantly.
    assert not expected.significant and expected.difference < 0
    assert effect.verdict == "no significant change"


def test_an_agent_getting_worse_is_said_so(program, manager, poc_a):
    a2 = program["a2"]
    action = opened(
        manager, poc_a, "policy-error", audits=list(Audit.objects.filter(ticket__agent=a2)[:1])
    )
    effect = effectiveness.effectiveness(action, today=TODAY)
    expected = stats.compare_estimates(
        category_rate_from_audits("policy-error", AFTER, agent=a2),
        category_rate_from_audits("policy-error", BEFORE, agent=a2),
    )
    assert expected.significant and expected.difference > 0
    assert effect.verdict == "worse (significant)"


def test_a_theme_that_barely_moved_shows_no_significant_change(program, manager, poc_a):
    a1 = program["a1"]
    action = opened(
        manager, poc_a, "procedural", audits=list(Audit.objects.filter(ticket__agent=a1)[:1])
    )
    effect = effectiveness.effectiveness(action, today=TODAY)
    expected = stats.compare_estimates(
        category_rate_from_audits("procedural", AFTER, agent=a1),
        category_rate_from_audits("procedural", BEFORE, agent=a1),
    )
    assert not expected.significant
    assert effect.comparison.p_value == pytest.approx(expected.p_value, abs=1e-12)
    assert effect.verdict == "no significant change"


def test_too_few_audits_after_or_not_completed_gives_no_comparison(
    program, manager, poc_a, vendor_a
):
    recent = opened(
        manager,
        poc_a,
        "policy-error",
        vendor=vendor_a,
        completed=dt.datetime(2026, 4, 8, tzinfo=dt.UTC),
    )
    effect = effectiveness.effectiveness(recent, today=TODAY)
    assert effect.after.audits == 0 and effect.after.rate is None
    assert (effect.comparison, effect.verdict) == (None, "too few audits after")
    this_week = effectiveness.effectiveness(recent, today=dt.date(2026, 4, 9))
    assert this_week.after.period is None and this_week.verdict == "too few audits after"
    pending = opened(manager, poc_a, "policy-error", vendor=vendor_a, completed=None)
    effect = effectiveness.effectiveness(pending, today=TODAY)
    assert effect.before.audits == 60 and effect.before.rate is not None
    assert effect.verdict == "not completed yet"


def test_the_report_lists_completed_actions_with_their_effect(program, manager, poc_a, vendor_a):
    done = opened(manager, poc_a, "policy-error", vendor=vendor_a)
    opened(manager, poc_a, "procedural", vendor=vendor_a, completed=None)
    rows = effectiveness.coaching_report(CoachingAction.objects.all(), today=TODAY)
    assert [(action, effect.verdict) for action, effect in rows] == [
        (done, effectiveness.effectiveness(done, today=TODAY).verdict)
    ]
