"""Each event tells the right people, once: findings go to the vendor's POCs (never to
another vendor's), disputes to the leads and back to the POC who raised them, coaching to
its owner or the vendor's POCs. Hooks run after the commit, so a rolled-back step tells
nobody."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from audit_forms.models import ErrorCategory
from audits import disputes
from audits.disputes import Decision
from coaching import actions
from notifications.models import Kind, Notification
from tests.notifications.conftest import ALL_GOOD

pytestmark = pytest.mark.django_db


def told(kind=None):
    rows = Notification.objects.all() if kind is None else Notification.objects.filter(kind=kind)
    return sorted(n.recipient.email for n in rows)


def test_a_final_audit_with_errors_is_a_finding_for_its_vendors_pocs_only(
    finalised, site_a, poc_a, poc_a2, poc_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        audit = finalised(site_a)

    assert told(Kind.FINDING) == ["poc@acme.example", "second-poc@acme.example"]
    finding = Notification.objects.filter(recipient=poc_a).get()
    assert finding.event_key == f"finding:{audit.pk}"
    assert finding.link == f"/audits/{audit.pk}/"
    assert audit.ticket.external_id in finding.subject
    assert not Notification.objects.filter(recipient=poc_b).exists()


def test_a_clean_audit_is_not_news(finalised, site_a, poc_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        finalised(site_a, answers=ALL_GOOD)

    assert not Notification.objects.exists()


def test_a_finding_never_carries_the_internal_note_or_the_leads_reason(
    version, auditor, manager, workflow, site_a, poc_a, django_capture_on_commit_callbacks
):
    from audits import lifecycle
    from tests.audits.workspace_helpers import assigned_audits
    from tests.notifications.conftest import FLAWED

    audit = assigned_audits(auditor, workflow, site=site_a)[0]
    lifecycle.submit_audit(audit, auditor, answers=FLAWED, internal_note="agent is on notice")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.finalise_audit(audit, manager, "checked with the policy team")

    finding = Notification.objects.get(recipient=poc_a)
    for secret in ("agent is on notice", "checked with the policy team"):
        assert secret not in finding.subject + finding.body


def test_a_step_rolled_back_tells_nobody(
    finalised, site_a, poc_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            finalised(site_a)
            raise RuntimeError("the request failed after finalising")

    assert not Notification.objects.exists()


def test_a_dispute_goes_to_the_leads_and_its_decision_back_to_the_poc(
    finalised,
    site_a,
    poc_a,
    poc_a2,
    manager,
    lead,
    auditor,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        audit = finalised(site_a)
    with django_capture_on_commit_callbacks(execute=True):
        dispute = disputes.raise_dispute(audit, poc_a, {"policy_cited": "Policy 4.2 is cited."})

    assert told(Kind.DISPUTE_RAISED) == ["lead@example.com", "manager@example.com"]
    raised = Notification.objects.get(kind=Kind.DISPUTE_RAISED, recipient=lead)
    assert raised.event_key == f"dispute_raised:{dispute.pk}"
    assert raised.link == f"/audits/disputes/{dispute.pk}/"

    with django_capture_on_commit_callbacks(execute=True):
        disputes.resolve_dispute(
            dispute,
            lead,
            {"policy_cited": Decision("overturned", "Cited in paragraph two.", "pass")},
        )

    # Only the POC who raised it, not the other POC of the vendor; and the audit's second
    # finalisation (after the dispute) is no new finding.
    assert told(Kind.DISPUTE_RESOLVED) == ["poc@acme.example"]
    resolved = Notification.objects.get(kind=Kind.DISPUTE_RESOLVED)
    assert resolved.event_key == f"dispute_resolved:{dispute.pk}"
    assert told(Kind.FINDING) == ["poc@acme.example", "second-poc@acme.example"]


@pytest.fixture
def category(version):
    return ErrorCategory.objects.get(slug="policy-error")


def test_a_coaching_action_goes_to_its_owner(
    manager, vendor_a, poc_a, poc_a2, category, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        action = actions.open_action(
            manager,
            category=category,
            title="Reclaimed slurs",
            vendor=vendor_a,
            due_date=timezone.localdate() + dt.timedelta(days=14),
            owner=poc_a2,
        )

    assert told() == ["second-poc@acme.example"]
    opened = Notification.objects.get()
    assert (opened.kind, opened.event_key) == (Kind.COACHING_OPENED, f"coaching_opened:{action.pk}")
    assert opened.link == f"/coaching/{action.pk}/"


def test_a_coaching_action_without_owner_goes_to_every_poc_of_its_vendor_only(
    manager,
    vendor_a,
    vendor_b,
    poc_a,
    poc_a2,
    poc_b,
    category,
    django_capture_on_commit_callbacks,
):
    poc_a2.is_active = False
    poc_a2.save()
    with django_capture_on_commit_callbacks(execute=True):
        actions.open_action(
            manager,
            category=category,
            title="Escalations",
            vendor=vendor_b,
            due_date=timezone.localdate() + dt.timedelta(days=7),
        )

    assert told() == ["poc@borealis.example"]


def test_firing_a_hook_twice_keeps_one_notification_per_person(
    finalised, site_a, poc_a, poc_a2, django_capture_on_commit_callbacks
):
    from notifications import events

    with django_capture_on_commit_callbacks(execute=True):
        audit = finalised(site_a)
    with django_capture_on_commit_callbacks(execute=True):
        events.on_audit_finalised(audit)
    events.notify_finding(audit.pk)

    assert told(Kind.FINDING) == ["poc@acme.example", "second-poc@acme.example"]
