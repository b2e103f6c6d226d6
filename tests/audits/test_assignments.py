"""A lead reassigns or skips an audit that is not yet submitted, always with a reason."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Role
from audits import lifecycle
from audits.assignments import reassign_audit, skip_audit
from audits.models import Audit, AuditEvent, AuditStatus
from sampling.models import SampledTicket
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def other_auditor(db):
    return UserFactory(email="bea@example.com", role=Role.QA_AUDITOR)


@pytest.fixture
def audit(version, auditor, workflow, site_a):
    return assigned_audits(auditor, workflow, 1, site=site_a)[0]


def test_a_lead_reassigns_an_audit_and_it_moves_to_the_other_auditors_queue(
    client_as, manager, auditor, other_auditor, audit
):
    response = client_as(manager).post(
        reverse("audits:audit_reassign", args=[audit.pk]),
        {"auditor": other_auditor.pk, "reason": "Ana is on leave this week"},
    )

    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.auditor == other_auditor and audit.status == AuditStatus.ASSIGNED
    assert SampledTicket.objects.get(pk=audit.sampled_ticket_id).auditor == other_auditor
    event = audit.events.get(kind=AuditEvent.Kind.REASSIGNED)
    assert event.by == manager and event.at == NOW
    assert event.reason == "Ana is on leave this week"
    assert event.details == {"from": auditor.email, "to": other_auditor.email}
    theirs = client_as(other_auditor).get(reverse("audits:queue")).content.decode()
    assert str(audit.ticket) in theirs
    mine = client_as(auditor).get(reverse("audits:queue")).content.decode()
    assert str(audit.ticket) not in mine
    page = client_as(manager).get(reverse("audits:audit_detail", args=[audit.pk])).content.decode()
    assert "Reassigned" in page and "Ana is on leave this week" in page


def test_a_draft_in_progress_goes_with_the_audit_to_the_new_auditor(
    manager, auditor, other_auditor, audit
):
    lifecycle.save_draft(audit, auditor, answers={"right_action": "yes"}, time_spent_seconds=40)

    audit = reassign_audit(audit, manager, other_auditor, "Second opinion needed")

    assert audit.status == AuditStatus.ASSIGNED and audit.answers == {"right_action": "yes"}
    assert lifecycle.can_score(audit, other_auditor) and not lifecycle.can_score(audit, auditor)


def test_reassigning_needs_a_reason_and_an_eligible_auditor(
    client_as, manager, other_auditor, vendor_a, audit
):
    client = client_as(manager)
    url = reverse("audits:audit_reassign", args=[audit.pk])

    no_reason = client.post(url, {"auditor": other_auditor.pk, "reason": "  "}, follow=True)
    assert "Give a reason for reassigning" in no_reason.content.decode()
    no_auditor = client.post(url, {"auditor": "", "reason": "leave"}, follow=True)
    assert "Choose the auditor" in no_auditor.content.decode()
    other_auditor.conflicted_vendors.add(vendor_a)
    conflicted = client.post(url, {"auditor": other_auditor.pk, "reason": "leave"}, follow=True)
    assert "Choose the auditor" in conflicted.content.decode()

    audit.refresh_from_db()
    assert audit.auditor != other_auditor and not audit.events.filter(kind="reassigned")


def test_only_a_lead_reassigns_or_skips(client_as, auditor, other_auditor, audit):
    client = client_as(auditor)

    reassign = client.post(
        reverse("audits:audit_reassign", args=[audit.pk]),
        {"auditor": other_auditor.pk, "reason": "swap"},
    )
    skip = client.post(reverse("audits:audit_skip", args=[audit.pk]), {"reason": "bored"})

    assert reassign.status_code == 403 and skip.status_code == 403
    audit.refresh_from_db()
    assert audit.auditor == auditor and audit.status == AuditStatus.ASSIGNED


def test_a_submitted_audit_cannot_be_reassigned_or_skipped(manager, auditor, other_auditor, audit):
    lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)

    with pytest.raises(lifecycle.LifecycleError, match="only an audit not yet submitted"):
        reassign_audit(audit, manager, other_auditor, "late")
    with pytest.raises(lifecycle.LifecycleError, match="only an audit not yet submitted"):
        skip_audit(audit, manager, "late")


def test_a_reopened_audit_stays_with_its_auditor(manager, auditor, other_auditor, audit):
    lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)
    lifecycle.reopen_audit(audit, manager, "Check the tone again")

    with pytest.raises(lifecycle.LifecycleError, match="after a submission"):
        reassign_audit(audit, manager, other_auditor, "Someone else")


def test_a_lead_skips_an_audit_with_a_reason_and_it_leaves_the_queue(
    client_as, manager, auditor, audit
):
    response = client_as(manager).post(
        reverse("audits:audit_skip", args=[audit.pk]),
        {"reason": "Content removed by the platform before the audit"},
        follow=True,
    )

    assert "counts as non-response" in response.content.decode()
    audit.refresh_from_db()
    assert audit.status == AuditStatus.SKIPPED
    event = audit.events.get(kind=AuditEvent.Kind.SKIPPED)
    assert (event.by, event.at, event.from_status) == (manager, NOW, AuditStatus.ASSIGNED)
    assert event.reason == "Content removed by the platform before the audit"
    # The assignment is closed: it no longer counts against the auditor's open load.
    assert SampledTicket.objects.get(pk=audit.sampled_ticket_id).completed_at == NOW
    queue = client_as(auditor).get(reverse("audits:queue")).content.decode()
    assert str(audit.ticket) not in queue
    page = client_as(manager).get(reverse("audits:audit_detail", args=[audit.pk])).content.decode()
    assert "skipped by a lead" in page and "Content removed by the platform" in page
    assert 'id="move-audit"' not in page  # a skipped audit cannot be moved again
    with pytest.raises(lifecycle.LifecycleError):
        lifecycle.save_draft(audit, auditor, answers=ALL_GOOD)


def test_skipping_needs_a_reason(client_as, manager, audit):
    response = client_as(manager).post(
        reverse("audits:audit_skip", args=[audit.pk]), {"reason": ""}, follow=True
    )

    assert "Give a reason for skipping" in response.content.decode()
    audit.refresh_from_db()
    assert audit.status == AuditStatus.ASSIGNED


def test_an_ad_hoc_audit_can_be_skipped_but_not_replaced(manager, auditor, audit):
    adhoc = lifecycle.start_adhoc_audit(audit.ticket, audit.form_version, auditor)

    with pytest.raises(lifecycle.LifecycleError, match="Only a sampled audit can be replaced"):
        skip_audit(adhoc, manager, "Wrong ticket", replace=True)
    assert skip_audit(adhoc, manager, "Wrong ticket").audit.status == AuditStatus.SKIPPED


def test_the_audit_page_offers_reassign_and_skip_to_leads_only(
    client_as, manager, auditor, other_auditor, audit
):
    url = reverse("audits:audit_detail", args=[audit.pk])

    lead_page = client_as(manager).get(url).content.decode()
    auditor_page = client_as(auditor).get(url).content.decode()

    assert 'id="move-audit"' in lead_page and other_auditor.email in lead_page
    assert f'<option value="{auditor.pk}">' not in lead_page  # not to the current auditor
    assert "Replace it with the next ticket of the same stratum" in lead_page
    assert 'id="move-audit"' not in auditor_page
    lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)
    assert 'id="move-audit"' not in client_as(manager).get(url).content.decode()


def test_skipping_with_no_ticket_left_in_the_stratum_skips_without_a_replacement(
    client_as, manager, audit
):
    # The helper's run has no filter and one stratum; its one ticket is the only ticket of
    # the window, so nothing is left to draw.
    response = client_as(manager).post(
        reverse("audits:audit_skip", args=[audit.pk]),
        {"reason": "Unreadable transcript", "replace": "1"},
        follow=True,
    )

    assert "without a replacement" in response.content.decode()
    assert Audit.objects.get(pk=audit.pk).status == AuditStatus.SKIPPED
    assert Audit.objects.count() == 1
