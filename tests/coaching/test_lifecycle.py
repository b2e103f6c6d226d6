"""A coaching action's life: QA opens it from an agent's audits or from a thematic gap; the
vendor acknowledges it and records the coaching done; QA verifies. Each step is taken only
by who may take it, in order, and leaves a history row; the database refuses inconsistent
rows; an action not completed by its due date is overdue."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from audit_forms.models import ErrorCategory
from audits import lifecycle
from coaching import actions
from coaching.models import ActionStatus, CoachingAction, Level
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits
from tests.factories import AgentFactory, SiteFactory

pytestmark = pytest.mark.django_db

DUE = dt.date(2026, 5, 1)


@pytest.fixture
def policy(version):
    return ErrorCategory.objects.get(slug="policy-error")


@pytest.fixture
def agent_audits(version, auditor, workflow, site_a):
    """Two scored audits of one agent of vendor A."""
    audits = assigned_audits(auditor, workflow, 2, site=site_a)
    return [
        lifecycle.submit_audit(a, auditor, answers={**ALL_GOOD, "right_action": "no"})
        for a in audits
    ]


@pytest.fixture
def action(manager, agent_audits, policy, poc_a):
    return actions.open_action(
        manager,
        audits=agent_audits,
        category=policy,
        title="Wrong action on reclaimed slurs",
        due_date=DUE,
        owner=poc_a,
    )


def test_qa_opens_an_agent_action_from_that_agents_audits(action, agent_audits, manager):
    agent = agent_audits[0].ticket.agent
    assert (action.level, action.agent, action.site, action.vendor) == (
        Level.AGENT,
        agent,
        agent.site,
        agent.vendor,
    )
    assert set(action.audits.all()) == set(agent_audits)
    assert action.status == ActionStatus.OPEN and action.opened_by == manager


def test_qa_opens_site_and_vendor_actions_from_a_gap(manager, policy, vendor_a, site_a):
    site_action = actions.open_action(
        manager, site=site_a, category=policy, title="Manila", due_date=DUE
    )
    vendor_action = actions.open_action(
        manager, vendor=vendor_a, category=policy, title="All of Acme", due_date=DUE
    )
    assert (site_action.level, site_action.vendor, site_action.agent) == (
        Level.SITE,
        vendor_a,
        None,
    )
    assert (vendor_action.level, vendor_action.site) == (Level.VENDOR, None)
    assert not site_action.audits.exists()


def test_audits_of_two_agents_or_a_site_of_another_vendor_are_refused(
    manager, agent_audits, policy, auditor, workflow, site_a, vendor_b
):
    other = assigned_audits(auditor, workflow, 1, site=site_a)[0]
    other = lifecycle.submit_audit(other, auditor, answers=ALL_GOOD)
    with pytest.raises(actions.CoachingError, match="one agent"):
        actions.open_action(
            manager,
            audits=[agent_audits[0], other],
            category=policy,
            title="Two agents",
            due_date=DUE,
        )
    with pytest.raises(actions.CoachingError, match="not a site of"):
        actions.open_action(
            manager, vendor=vendor_b, site=site_a, category=policy, title="Mixed", due_date=DUE
        )


def test_unscored_audits_cannot_be_coached_on(manager, policy, auditor, workflow, site_a):
    unscored = assigned_audits(auditor, workflow, 1, site=site_a)
    with pytest.raises(actions.CoachingError, match="scored"):
        actions.open_action(
            manager, audits=unscored, category=policy, title="Too early", due_date=DUE
        )


def test_the_owner_must_be_a_poc_of_that_vendor(manager, policy, vendor_a, poc_b, auditor):
    for owner in (poc_b, auditor):
        with pytest.raises(actions.CoachingError, match="POC of"):
            actions.open_action(
                manager, vendor=vendor_a, category=policy, title="Owner", due_date=DUE, owner=owner
            )


def test_a_poc_can_neither_open_nor_verify(poc_a, policy, vendor_a, action):
    with pytest.raises(actions.NotAllowed):
        actions.open_action(poc_a, vendor=vendor_a, category=policy, title="Self", due_date=DUE)
    actions.complete(action, poc_a, "Two calibration sessions with the agent.")
    with pytest.raises(actions.NotAllowed):
        actions.verify(action, poc_a)


def test_a_poc_of_another_vendor_can_take_no_step(action, poc_b):
    for step in (actions.acknowledge, lambda a, u: actions.complete(a, u, "Done")):
        with pytest.raises(actions.NotAllowed):
            step(action, poc_b)
    assert actions.allowed_steps(action, poc_b) == []
    assert not actions.actions_visible_to(poc_b).filter(pk=action.pk).exists()


def test_the_vendor_acknowledges_completes_and_qa_verifies_with_history(action, poc_a, manager):
    assert actions.allowed_steps(action, poc_a) == ["acknowledge", "complete"]
    action = actions.acknowledge(action, poc_a)
    assert actions.allowed_steps(action, poc_a) == ["complete"]
    action = actions.complete(action, poc_a, "Coached on the reclaimed-slur examples.")
    assert actions.allowed_steps(action, poc_a) == []
    assert actions.allowed_steps(action, manager) == ["verify"]
    action = actions.verify(action, manager, "Checked the session record.")
    action.refresh_from_db()
    assert (action.status, action.acknowledged_by, action.completed_by, action.verified_by) == (
        ActionStatus.VERIFIED,
        poc_a,
        poc_a,
        manager,
    )
    assert action.coaching_notes == "Coached on the reclaimed-slur examples."
    trail = [
        (h.status, h.history_change_reason, h.history_user)
        for h in action.history.order_by("history_date", "history_id")
    ]
    assert [row[0] for row in trail] == ["open", "acknowledged", "completed", "verified"]
    assert [row[1] for row in trail[1:]] == ["acknowledged", "completed", "verified"]


def test_qa_acts_on_the_vendors_behalf(action, manager):
    action = actions.complete(action, manager, "Vendor reported by email: coached.")
    assert action.status == ActionStatus.COMPLETED
    # Completing an action never acknowledged acknowledges it in the same step.
    assert action.acknowledged_by == manager and action.acknowledged_at is not None


def test_steps_out_of_order_are_refused(action, manager, poc_a):
    with pytest.raises(actions.CoachingError, match="completed action"):
        actions.verify(action, manager)
    with pytest.raises(actions.CoachingError, match="what coaching"):
        actions.complete(action, poc_a, "   ")
    actions.complete(action, poc_a, "Done.")
    for step in (
        lambda: actions.acknowledge(action, poc_a),
        lambda: actions.complete(action, poc_a, "Again"),
        lambda: actions.cancel(action, manager, "Too late"),
    ):
        with pytest.raises(actions.CoachingError):
            step()


def test_qa_cancels_an_open_action_with_a_reason(action, manager, poc_a):
    with pytest.raises(actions.NotAllowed):
        actions.cancel(action, poc_a, "We disagree")
    action = actions.cancel(action, manager, "Opened on the wrong agent.")
    assert action.status == ActionStatus.CANCELLED
    assert actions.allowed_steps(action, poc_a) == actions.allowed_steps(action, manager) == []


def test_an_action_not_completed_past_its_due_date_is_overdue(manager, policy, vendor_a, poc_a):
    def opened(title, due):
        return actions.open_action(
            manager, vendor=vendor_a, category=policy, title=title, due_date=due
        )

    today = dt.date(2026, 5, 10)
    late = opened("Late", dt.date(2026, 5, 9))
    acknowledged_late = actions.acknowledge(
        opened("Acknowledged, late", dt.date(2026, 5, 1)), poc_a
    )
    due_today = opened("Due today", today)
    done_late = actions.complete(opened("Done late", dt.date(2026, 5, 1)), poc_a, "Done.")
    cancelled = actions.cancel(opened("Cancelled", dt.date(2026, 5, 1)), manager, "Dropped.")
    overdue = set(CoachingAction.objects.overdue(today))
    assert overdue == {late, acknowledged_late}
    assert [a.is_overdue(today) for a in (late, due_today, done_late, cancelled)] == [
        True,
        False,
        False,
        False,
    ]


def test_a_poc_sees_only_their_vendors_actions(action, poc_a, poc_b, manager, vendor_b, policy):
    b_action = actions.open_action(
        manager, vendor=vendor_b, category=policy, title="B", due_date=DUE
    )
    assert list(actions.actions_visible_to(poc_a)) == [action]
    assert list(actions.actions_visible_to(poc_b)) == [b_action]
    assert set(actions.actions_visible_to(manager)) == {action, b_action}


@pytest.mark.parametrize(
    "change",
    [
        {"level": Level.VENDOR},  # a vendor action naming an agent
        {"level": Level.SITE},  # a site action naming an agent
        {"site": None},  # an agent action without its site
        {"level": "team"},  # no such level
        {"status": ActionStatus.COMPLETED},  # completed with nobody completing
        {"status": ActionStatus.VERIFIED, "completed_at": None},
        {"status": ActionStatus.CANCELLED},  # cancelled by nobody
        {"status": "closed"},
    ],
)
def test_the_database_refuses_inconsistent_actions(action, change):
    with pytest.raises(IntegrityError), transaction.atomic():
        CoachingAction.objects.filter(pk=action.pk).update(**change)


def test_the_database_refuses_a_vendor_action_naming_a_site(manager, policy, vendor_a):
    site = SiteFactory(vendor=vendor_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        CoachingAction.objects.create(
            vendor=vendor_a,
            level=Level.VENDOR,
            site=site,
            category=policy,
            title="x",
            opened_by=manager,
            due_date=DUE,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        CoachingAction.objects.create(
            vendor=vendor_a,
            level=Level.SITE,
            agent=AgentFactory(site=site),
            category=policy,
            title="x",
            opened_by=manager,
            due_date=DUE,
        )


def test_repeat_offenders_are_agents_coached_twice_on_one_theme(
    manager, policy, agent_audits, auditor, workflow, site_a, version
):
    procedural = ErrorCategory.objects.get(slug="procedural")
    agent = agent_audits[0].ticket.agent

    def coach(audits, category, title):
        return actions.open_action(
            manager, audits=audits, category=category, title=title, due_date=DUE
        )

    coach(agent_audits[:1], policy, "First")
    coach(agent_audits[1:], policy, "Second")
    coach(agent_audits[1:], procedural, "Procedural once")
    actions.cancel(coach(agent_audits[:1], procedural, "Cancelled"), manager, "Mistake")
    once = lifecycle.submit_audit(
        assigned_audits(auditor, workflow, 1, site=site_a)[0], auditor, answers=ALL_GOOD
    )
    coach([once], policy, "Another agent, once")
    # A site-level action is not an agent's.
    actions.open_action(manager, site=site_a, category=policy, title="Site", due_date=DUE)
    found = actions.repeat_offenders()
    assert [(r.agent, r.category, r.actions) for r in found] == [(agent, policy, 2)]


def test_the_admin_fixes_a_due_date_but_not_what_the_rules_check(action, client_as, poc_a):
    """The owner (a POC of the action's vendor, checked by coaching.actions), the theme and
    the status are read-only in the admin: only the title, description and due date change."""
    from accounts.models import User

    admin = User.objects.create_superuser("root@example.com", "x")
    page = client_as(admin).get(f"/admin/coaching/coachingaction/{action.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="due_date"' in html and 'name="title"' in html
    for rule_bound in ("owner", "category", "workflow", "audits", "status"):
        assert f'name="{rule_bound}"' not in html, rule_bound
