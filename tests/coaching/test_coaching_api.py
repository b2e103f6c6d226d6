"""Coaching actions over the API: QA opens one from an agent's audits, the vendor POC
acknowledges and completes it, QA verifies; every step goes through coaching.actions, so a
step out of turn or out of order is refused with its reason, and another vendor's action
does not exist for a POC."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Role
from audit_forms.models import ErrorCategory
from audits import lifecycle
from audits.models import Audit
from coaching import actions, effectiveness
from coaching.models import ActionStatus, CoachingAction
from rollups.writer import rebuild_rollups
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits
from tests.coaching.helpers import outcomes, scored_stratum
from tests.factories import AgentFactory, UserFactory, enrol_totp

pytestmark = pytest.mark.django_db

DUE = dt.date(2030, 5, 1)


@pytest.fixture
def poc_b(vendor_b):
    """Vendor B's POC, TOTP enrolled (the API refuses vendor users without it)."""
    user = UserFactory(email="poc@borealis.example", role=Role.VENDOR_POC, vendor=vendor_b)
    enrol_totp(user)
    return user


@pytest.fixture
def policy(version):
    return ErrorCategory.objects.get(slug="policy-error")


@pytest.fixture
def agent_audits(version, auditor, manager, workflow, site_a):
    """Two scored audits of one agent of vendor A: the first final, the second submitted."""
    audits = [
        lifecycle.submit_audit(a, auditor, answers={**ALL_GOOD, "right_action": "no"})
        for a in assigned_audits(auditor, workflow, 2, site=site_a)
    ]
    audits[0] = lifecycle.finalise_audit(audits[0], manager)
    return audits


def post(client, path, body=None):
    return client.post(path, body or {}, content_type="application/json")


def open_over_api(client, audits, policy, owner=None, **extra):
    return post(
        client,
        "/api/v1/coaching-actions/",
        {
            "audits": [a.pk for a in audits],
            "category": policy.slug,
            "title": "Wrong action",
            "due_date": DUE.isoformat(),
            "owner": owner.pk if owner else None,
            **extra,
        },
    )


def test_qa_opens_the_vendor_acknowledges_and_completes_and_qa_verifies(
    client_as, manager, poc_a, agent_audits, policy
):
    opened = open_over_api(client_as(manager), agent_audits, policy, owner=poc_a)
    assert opened.status_code == 201, opened.content
    body = opened.json()
    assert (body["level"], body["agent"], body["status"], body["owner"]) == (
        "agent",
        agent_audits[0].ticket.agent_id,
        "open",
        poc_a.pk,
    )
    assert body["opened_by"] == manager.pk and body["allowed_steps"] == [
        "acknowledge",
        "complete",
        "cancel",
    ]  # QA may act on the vendor's behalf
    url = f"/api/v1/coaching-actions/{body['id']}"

    vendor = client_as(poc_a)
    seen = vendor.get(f"{url}/").json()
    assert seen["allowed_steps"] == ["acknowledge", "complete"]
    assert "opened_by" not in seen  # the pages say "by QA"
    assert seen["audits"] == [agent_audits[0].pk]  # the submitted one is still QA's
    acknowledged = post(vendor, f"{url}/acknowledge/")
    assert acknowledged.status_code == 200 and acknowledged.json()["status"] == "acknowledged"
    completed = post(vendor, f"{url}/complete/", {"notes": "Two sessions on policy 4.2."})
    assert completed.status_code == 200, completed.content
    assert completed.json()["coaching_notes"] == "Two sessions on policy 4.2."
    refused = post(vendor, f"{url}/verify/", {"note": "We checked ourselves."})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only QA verifies coaching."

    verified = post(client_as(manager), f"{url}/verify/", {"note": "Listened to two calls."})
    assert verified.status_code == 200
    action = CoachingAction.objects.get(pk=body["id"])
    assert (action.status, action.verified_by, action.verification_note) == (
        ActionStatus.VERIFIED,
        manager,
        "Listened to two calls.",
    )
    assert action.acknowledged_by == poc_a and action.completed_by == poc_a
    assert list(
        action.history.order_by("history_id").values_list("history_change_reason", flat=True)
    ) == [None, "acknowledged", "completed", "verified"]


def test_a_vendor_poc_cannot_open_or_cancel_an_action(
    client_as, poc_a, manager, agent_audits, policy
):
    vendor = client_as(poc_a)
    refused = open_over_api(vendor, agent_audits, policy)
    assert refused.status_code == 403 and refused.json()["detail"] == (
        "Only QA opens coaching actions."
    )
    assert not CoachingAction.objects.exists()

    action = actions.open_action(
        manager, audits=agent_audits, category=policy, title="Wrong action", due_date=DUE
    )
    cancelled = post(vendor, f"/api/v1/coaching-actions/{action.pk}/cancel/", {"reason": "No"})
    assert cancelled.status_code == 403
    assert CoachingAction.objects.get(pk=action.pk).status == ActionStatus.OPEN


def test_steps_out_of_order_or_without_what_they_need_are_refused_with_the_reason(
    client_as, manager, poc_a, agent_audits, policy, vendor_b
):
    client = client_as(manager)
    nothing = post(
        client,
        "/api/v1/coaching-actions/",
        {"category": policy.slug, "title": "Gap", "due_date": DUE.isoformat()},
    )
    assert nothing.status_code == 400
    assert nothing.json()["detail"] == "Name the audits, a site or a vendor to coach."
    other_owner = open_over_api(
        client, agent_audits, policy, owner=UserFactory(role=Role.VENDOR_POC, vendor=vendor_b)
    )
    assert other_owner.status_code == 400
    assert other_owner.json()["detail"] == "The owner must be a POC of Acme Moderation."
    missing = post(
        client,
        "/api/v1/coaching-actions/",
        {
            "audits": [agent_audits[0].pk, 999999],
            "category": policy.slug,
            "title": "Missing",
            "due_date": DUE.isoformat(),
        },
    )
    assert missing.status_code == 400 and "999999" in missing.json()["audits"]

    action = open_over_api(client, agent_audits, policy).json()
    url = f"/api/v1/coaching-actions/{action['id']}"
    early = post(client, f"{url}/verify/")
    assert early.status_code == 400
    assert early.json()["detail"] == "Only a completed action can be verified."
    blank = post(client_as(poc_a), f"{url}/complete/", {"notes": "  "})
    assert blank.status_code == 400 and blank.json()["detail"] == "Say what coaching was done."
    cancelled = post(client_as(manager), f"{url}/cancel/", {"reason": "Opened on the wrong agent."})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = post(client_as(poc_a), f"{url}/acknowledge/")
    assert again.status_code == 400 and "cancelled cannot be acknowledged" in again.json()["detail"]


def test_vendor_b_poc_gets_404_for_vendor_as_action(
    client_as, manager, poc_b, agent_audits, policy
):
    action = actions.open_action(
        manager, audits=agent_audits, category=policy, title="Wrong action", due_date=DUE
    )
    client = client_as(poc_b)

    assert client.get(f"/api/v1/coaching-actions/{action.pk}/").status_code == 404
    for step, body in (
        ("acknowledge", {}),
        ("complete", {"notes": "Done."}),
        ("verify", {}),
        ("cancel", {"reason": "No."}),
    ):
        response = post(client, f"/api/v1/coaching-actions/{action.pk}/{step}/", body)
        assert response.status_code == 404, step
    assert CoachingAction.objects.get(pk=action.pk).status == ActionStatus.OPEN


def test_the_list_shows_only_the_pocs_own_vendors_actions(
    client_as, manager, poc_a, poc_b, agent_audits, policy, site_b, vendor_b
):
    mine = actions.open_action(
        manager, audits=agent_audits, category=policy, title="Acme", due_date=DUE
    )
    theirs = actions.open_action(
        manager, site=site_b, category=policy, title="Borealis", due_date=dt.date(2020, 1, 1)
    )

    def ids(user, query=""):
        response = client_as(user).get(f"/api/v1/coaching-actions/{query}")
        assert response.status_code == 200, response.content
        rows = response.json()["results"]
        assert all("effectiveness" not in row for row in rows)  # detail only
        return [row["id"] for row in rows]

    assert ids(poc_a) == [mine.pk]
    assert ids(poc_a, f"?vendor={vendor_b.pk}") == []
    assert ids(poc_b) == [theirs.pk]
    assert ids(manager) == [mine.pk, theirs.pk]
    assert ids(manager, "?overdue=true") == [theirs.pk]
    assert ids(manager, "?overdue=false&status=open") == [mine.pk]


def test_the_detail_carries_the_effectiveness_verdict(client_as, manager, agent_audits, policy):
    action = actions.open_action(
        manager, audits=agent_audits, category=policy, title="Wrong action", due_date=DUE
    )

    effect = (
        client_as(manager).get(f"/api/v1/coaching-actions/{action.pk}/").json()["effectiveness"]
    )

    assert effect["verdict"] == "not completed yet"
    assert effect["after"]["rate"] is None and effect["difference"] is None
    assert effect["before"]["start"] is not None


def test_the_detail_reports_the_effectiveness_of_a_completed_action(
    client_as, manager, auditor, poc_a, workflow, site_a, policy
):
    """Many policy errors in the 8 weeks before, few after: the API gives the figures of
    coaching.effectiveness for the action, read from the rollups."""
    monday = dt.datetime.combine(timezone.now().date(), dt.time(9), tzinfo=dt.UTC)
    monday -= dt.timedelta(days=monday.weekday())
    weeks = dt.timedelta(weeks=1)
    agent = AgentFactory(site=site_a)
    scored_stratum(
        auditor,
        workflow,
        agent,
        600,
        [  # 30 tickets each, over 16 days
            (monday - 10 * weeks, outcomes(policy=12, good=18)),
            (monday - 4 * weeks + dt.timedelta(days=1), outcomes(policy=2, good=28)),
        ],
    )
    rebuild_rollups()
    action = actions.open_action(
        manager,
        audits=list(Audit.objects.filter(ticket__agent=agent)[:2]),
        category=policy,
        title="Policy",
        due_date=DUE,
    )
    opened_at = monday - 5 * weeks + dt.timedelta(days=2)
    CoachingAction.objects.filter(pk=action.pk).update(opened_at=opened_at)
    actions.complete(action, poc_a, "Two sessions.")
    CoachingAction.objects.filter(pk=action.pk).update(
        completed_at=opened_at + dt.timedelta(days=2)
    )
    expected = effectiveness.effectiveness(CoachingAction.objects.get(pk=action.pk))

    effect = client_as(poc_a).get(f"/api/v1/coaching-actions/{action.pk}/").json()["effectiveness"]

    assert expected.before.audits == 30 and expected.after.audits == 30
    assert effect["verdict"] == expected.verdict
    assert (effect["before"]["audits"], effect["after"]["audits"]) == (30, 30)
    assert effect["before"]["rate"] == pytest.approx(expected.before.rate.p)
    assert effect["after"]["high"] == pytest.approx(expected.after.rate.high)
    assert effect["difference"] == pytest.approx(expected.comparison.difference)
    assert effect["difference"] < 0
    assert effect["p_value"] == pytest.approx(expected.comparison.p_value)
