"""The life of an audit: opened from a sample, scored by its auditor, reopened only by a lead
with a reason, and every change after submission kept in its history."""

from decimal import Decimal

import pytest

from accounts.models import Role
from audit_forms.scoring import score_audit
from audits import lifecycle
from audits.models import Audit, AuditEvent, AuditStatus
from sampling.models import SampledTicket
from tests.audits.workspace_helpers import (
    ALL_GOOD,
    assign_tickets,
    assigned_audits,
    sample_run,
)
from tests.factories import TicketFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit(version, auditor, workflow, site_a):
    return assigned_audits(auditor, workflow, site=site_a)[0]


@pytest.fixture
def other_auditor(db):
    return UserFactory(email="other.auditor@example.com", role=Role.QA_AUDITOR)


def kinds(audit):
    return list(audit.events.order_by("at", "id").values_list("kind", flat=True))


# ----- opening assignments ------------------------------------------------------------------


def test_a_sample_runs_assignments_become_assigned_audits_once(version, auditor, workflow):
    run = sample_run()
    tickets = [TicketFactory(workflow=workflow) for _ in range(3)]
    assign_tickets(run, tickets[:2], auditor)
    assign_tickets(run, tickets[2:], None)  # no auditor free of conflicts: stays unassigned

    assert lifecycle.open_assigned_audits(run) == 2
    assert lifecycle.open_assigned_audits(run) == 0  # a retried task opens nothing new

    audits = Audit.objects.filter(ticket__in=tickets)
    assert audits.count() == 2
    for audit in audits:
        assert audit.status == AuditStatus.ASSIGNED
        assert audit.auditor == auditor
        assert audit.form_version == version
        assert audit.due_at == audit.sampled_ticket.due_at
        assert audit.unsampled is False
        assert kinds(audit) == ["assigned"]


def test_tickets_of_a_workflow_without_a_published_form_wait_unopened(auditor, workflow):
    run = sample_run()
    assign_tickets(run, [TicketFactory(workflow=workflow)], auditor)

    assert lifecycle.open_assigned_audits(run) == 0
    assert not Audit.objects.exists()


# ----- scoring ------------------------------------------------------------------------------


def test_the_auditor_submits_and_the_stored_score_is_score_audit_of_the_answers(
    audit, auditor, version
):
    answers = {"right_action": "yes", "policy_cited": "na", "tone": "3", "escalation": "missed"}
    lifecycle.start_audit(audit, auditor)
    lifecycle.save_draft(audit, auditor, answers={"tone": "3"}, time_spent_seconds=40)

    submitted = lifecycle.submit_audit(
        audit,
        auditor,
        answers=answers,
        comments={"escalation": "Should have gone to L2."},
        time_spent_seconds=95,
    )

    expected = score_audit(version.to_spec(), answers)
    assert submitted.status == AuditStatus.SUBMITTED
    assert submitted.score == Decimal(str(expected.score)).quantize(Decimal("0.01"))
    assert submitted.passed is expected.passed
    assert submitted.critical_failed is False
    assert submitted.section_scores == expected.section_scores
    assert submitted.errors == ["escalation"]
    assert submitted.error_categories == {"procedural": 1}
    assert submitted.comments == {"escalation": "Should have gone to L2."}
    assert submitted.time_spent_seconds == 95
    assert kinds(submitted) == ["assigned", "started", "submitted"]
    assert SampledTicket.objects.get(pk=audit.sampled_ticket_id).completed_at is not None


def test_a_failed_critical_question_fails_the_audit(audit, auditor):
    submitted = lifecycle.submit_audit(audit, auditor, answers={**ALL_GOOD, "right_action": "no"})

    assert submitted.passed is False
    assert submitted.critical_failed is True
    assert submitted.score == Decimal("0.00")


def test_submitting_with_unanswered_required_questions_names_each_and_keeps_the_draft(
    audit, auditor
):
    with pytest.raises(lifecycle.SubmissionInvalid) as refused:
        lifecycle.submit_audit(
            audit, auditor, answers={"right_action": "yes", "tone": "4"}, time_spent_seconds=30
        )

    problems = refused.value.problems
    assert [p.label for p in problems] == [
        "2. Was the correct policy cited?",
        "4. Escalation",
    ]
    assert all(p.message == "an answer is required" for p in problems)
    audit.refresh_from_db()
    assert audit.status == AuditStatus.IN_PROGRESS
    assert audit.answers == {"right_action": "yes", "tone": "4"}
    assert audit.score is None and audit.submitted_at is None


def test_an_impossible_answer_is_refused_with_the_question_named(audit, auditor):
    with pytest.raises(lifecycle.SubmissionInvalid) as refused:
        lifecycle.submit_audit(audit, auditor, answers={**ALL_GOOD, "right_action": "na"})

    assert refused.value.problems[0].label == "1. Was the right action taken?"
    assert "N/A is not allowed" in refused.value.problems[0].message


def test_only_the_assigned_auditor_can_score_their_audit(audit, other_auditor, manager):
    for someone in (other_auditor, manager):
        with pytest.raises(lifecycle.NotPermitted):
            lifecycle.save_draft(audit, someone, answers={"tone": "1"})
        with pytest.raises(lifecycle.NotPermitted):
            lifecycle.submit_audit(audit, someone, answers=ALL_GOOD)
    audit.refresh_from_db()
    assert audit.status == AuditStatus.ASSIGNED and audit.answers == {}


def test_time_spent_never_runs_backwards_nor_jumps(audit, auditor):
    lifecycle.save_draft(audit, auditor, time_spent_seconds=120)
    lifecycle.save_draft(audit, auditor, time_spent_seconds=30)  # an older tab

    audit.refresh_from_db()
    assert audit.time_spent_seconds == 120

    lifecycle.save_draft(audit, auditor, time_spent_seconds=10 * 3600)  # a tampered counter
    audit.refresh_from_db()
    assert audit.time_spent_seconds == 120 + lifecycle.MAX_SECONDS_PER_SAVE


def test_drafts_keep_only_questions_of_the_form(audit, auditor):
    lifecycle.save_draft(audit, auditor, answers={"tone": "2", "made_up": "yes", "escalation": ""})

    audit.refresh_from_db()
    assert audit.answers == {"tone": "2"}


# ----- reopening and history ----------------------------------------------------------------


def test_an_auditor_cannot_reopen_a_submitted_audit(audit, auditor):
    lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)

    with pytest.raises(lifecycle.NotPermitted):
        lifecycle.reopen_audit(audit, auditor, "I changed my mind")
    audit.refresh_from_db()
    assert audit.status == AuditStatus.SUBMITTED


def test_a_lead_reopens_only_with_a_reason(audit, auditor, manager):
    lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)

    with pytest.raises(lifecycle.LifecycleError, match="reason"):
        lifecycle.reopen_audit(audit, manager, "   ")
    reopened = lifecycle.reopen_audit(audit, manager, "Calibration: tone was too generous")

    assert reopened.status == AuditStatus.IN_PROGRESS
    event = reopened.events.get(kind=AuditEvent.Kind.REOPENED)
    assert (event.by, event.reason) == (manager, "Calibration: tone was too generous")
    assert (event.from_status, event.to_status) == ("submitted", "in_progress")
    assert SampledTicket.objects.get(pk=audit.sampled_ticket_id).completed_at is None


def test_a_long_reopen_reason_is_kept_whole_in_the_trail(audit, auditor, manager):
    lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)
    reason = "Calibration session of 12 March: " + "the tone question was scored too kindly. " * 8

    reopened = lifecycle.reopen_audit(audit, manager, reason)

    assert reopened.events.get(kind=AuditEvent.Kind.REOPENED).reason == reason.strip()
    change = reopened.history.first().history_change_reason
    assert len(change) == 100 and reason.startswith(change[:-1])


def test_history_keeps_the_submission_and_every_change_after_a_reopen(audit, auditor, manager):
    lifecycle.save_draft(audit, auditor, answers={"tone": "5"})
    assert audit.history.count() == 0  # drafts before submission are working state

    lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)
    assert audit.history.count() == 1
    first = audit.history.get()
    assert (first.status, first.score, first.history_user) == (
        "submitted",
        Decimal("100.00"),
        auditor,
    )

    lifecycle.reopen_audit(audit, manager, "Tone was rude in the second reply")
    lifecycle.submit_audit(audit, auditor, answers={**ALL_GOOD, "tone": "2"})

    rows = list(audit.history.order_by("history_date", "history_id"))
    assert [row.status for row in rows] == ["submitted", "in_progress", "submitted"]
    assert rows[1].history_user == manager
    assert rows[1].history_change_reason == "Tone was rude in the second reply"
    assert rows[2].answers["tone"] == "2" and rows[0].answers["tone"] == "5"
    assert rows[2].score < rows[0].score
    assert kinds(audit)[-2:] == ["reopened", "rescored"]


# ----- disputes, resolution, finalisation ---------------------------------------------------


def test_a_final_audit_disputed_by_its_vendor_is_resolved_by_a_lead_other_than_the_auditor(
    audit, auditor, manager, poc_a
):
    lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)
    lifecycle.finalise_audit(audit, manager)
    lifecycle.dispute_audit(audit, poc_a, "The agent followed the escalation guide.")

    with pytest.raises(lifecycle.NotPermitted):
        lifecycle.resolve_audit(audit, auditor, "Upheld")
    lifecycle.resolve_audit(audit, manager, "Upheld: guide v3 applies")
    final = lifecycle.finalise_audit(audit, manager)

    assert final.status == AuditStatus.FINAL and final.finalised_at is not None
    assert kinds(final)[-4:] == ["finalised", "disputed", "resolved", "finalised"]


def test_a_vendor_cannot_dispute_another_vendors_audit(audit, auditor, manager, vendor_b):
    lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)
    lifecycle.finalise_audit(audit, manager)
    stranger = UserFactory(email="poc@borealis.example", role=Role.VENDOR_POC, vendor=vendor_b)

    with pytest.raises(lifecycle.NotPermitted):
        lifecycle.dispute_audit(audit, stranger, "Not ours, but let's try")


def test_an_auditor_cannot_finalise(audit, auditor):
    lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)
    with pytest.raises(lifecycle.NotPermitted):
        lifecycle.finalise_audit(audit, auditor)


# ----- ad-hoc audits ------------------------------------------------------------------------


def test_an_ad_hoc_audit_is_unsampled_and_started_for_its_auditor(version, auditor, workflow):
    ticket = TicketFactory(workflow=workflow)

    audit = lifecycle.start_adhoc_audit(ticket, version, auditor)

    assert audit.unsampled is True and audit.sampled_ticket is None
    assert (audit.status, audit.auditor) == (AuditStatus.IN_PROGRESS, auditor)
    with pytest.raises(lifecycle.LifecycleError, match="already has an ad-hoc audit"):
        lifecycle.start_adhoc_audit(ticket, version, auditor)


def test_an_ad_hoc_audit_needs_a_form_used_for_the_tickets_workflow(version, auditor):
    ticket = TicketFactory()  # another workflow

    with pytest.raises(lifecycle.LifecycleError, match="not used for the workflow"):
        lifecycle.start_adhoc_audit(ticket, version, auditor)


def test_a_vendor_poc_cannot_start_an_ad_hoc_audit(version, poc_a, workflow, site_a):
    with pytest.raises(lifecycle.NotPermitted):
        lifecycle.start_adhoc_audit(TicketFactory(workflow=workflow), version, poc_a)
