"""The life of an audit, from a sample assignment to a final score.

assigned → in_progress → submitted → (disputed → resolved) → final, and back from a scored
status to in_progress only when a lead reopens it with a reason. Each step is one function
here; views, the API and tasks call them and never change an audit's status themselves.

Why it is shaped this way:

* Every step writes an ``AuditEvent`` (who, when, from which status, why) in the same
  transaction as the change, so the trail can never disagree with the audit.
* The score is always ``audit_forms.scoring.score_audit`` of the stored answers against the
  audit's own form version; nothing here computes a score.
* Drafts saved before the first submission are working state, not evidence: they skip
  django-simple-history, so autosaving every few seconds does not bury the history. From
  the first submission on, every save is a history row (who, and the reason when given),
  which is what the audit page shows and what a dispute is argued over.
* Permissions are checked here, not only in views, so the API and the pages cannot drift:
  only the assigned auditor scores an audit; only a lead (program manager or admin) reopens,
  resolves or finalises one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from audit_forms.catalog import spec_of, version_with_parts
from audit_forms.models import FormQuestion, FormVersion
from audit_forms.scoring import InvalidAnswers, score_audit
from sampling.models import SampledTicket

from . import events
from .models import OPEN_STATUSES, Audit, AuditEvent, AuditStatus

# Opening an audit is its own module (it builds on .steps, not on this one); the lifecycle
# exposes its three functions so that callers need only this module.
from .opening import open_assigned_audits as open_assigned_audits
from .opening import open_assignment as open_assignment
from .opening import start_adhoc_audit as start_adhoc_audit
from .steps import LifecycleError, NotPermitted, is_lead, record_event, save_audit

# The scoring page stops its clock when the auditor is idle; as a second guard one save may
# add at most an hour, so a stale or tampered counter cannot inflate the time spent.
MAX_SECONDS_PER_SAVE = 60 * 60


@dataclass(frozen=True)
class Problem:
    """One reason a submission was refused, naming the question as the auditor sees it."""

    key: str
    label: str
    message: str


class SubmissionInvalid(LifecycleError):
    """Answers that cannot be scored; ``problems`` names every question to fix."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(
            "; ".join(f"{problem.label}: {problem.message}" for problem in problems)
        )


def can_score(audit: Audit, user) -> bool:
    return audit.status in OPEN_STATUSES and audit.auditor_id == getattr(user, "pk", None)


# ----- scoring ------------------------------------------------------------------------------


def _start_if_assigned(audit: Audit, user) -> bool:
    """Opening an assigned audit starts it: the first touch is when work begins."""
    if audit.status != AuditStatus.ASSIGNED:
        return False
    _move(audit, user, AuditEvent.Kind.STARTED, AuditStatus.IN_PROGRESS)
    audit.started_at = timezone.now()
    return True


def start_audit(audit: Audit, user) -> Audit:
    """assigned → in_progress, by the assigned auditor; a no-op when already started."""
    with transaction.atomic():
        audit = _locked(audit)
        _require_scorer(audit, user)
        if _start_if_assigned(audit, user):
            save_audit(audit, user)
    return audit


def save_draft(
    audit: Audit,
    user,
    *,
    answers: Mapping[str, str] | None = None,
    comments: Mapping[str, str] | None = None,
    internal_note: str | None = None,
    time_spent_seconds: int | None = None,
) -> Audit:
    """Keep unfinished answers (autosave). Starts the audit if it was only assigned.

    Drafts are not validated beyond dropping keys that are not questions of the form:
    the auditor may be halfway through. Submission is where every rule applies.
    """
    with transaction.atomic():
        audit = _locked(audit)
        _require_scorer(audit, user)
        _start_if_assigned(audit, user)
        _apply_draft(audit, answers, comments, internal_note, time_spent_seconds)
        save_audit(audit, user)
    return audit


def submit_audit(
    audit: Audit,
    user,
    *,
    answers: Mapping[str, str] | None = None,
    comments: Mapping[str, str] | None = None,
    internal_note: str | None = None,
    time_spent_seconds: int | None = None,
) -> Audit:
    """Score and submit. Raises ``SubmissionInvalid`` naming every question to fix; the
    answers are then kept as a draft, so the auditor loses no work."""
    with transaction.atomic():
        audit = _locked(audit)
        _require_scorer(audit, user)
        _apply_draft(audit, answers, comments, internal_note, time_spent_seconds)
        now = timezone.now()
        _start_if_assigned(audit, user)
        try:
            result = score_audit(spec_of(audit.form_version_id), audit.answers)
        except InvalidAnswers as invalid:
            problems = _name_problems(version_with_parts(audit.form_version_id),
                                      invalid.problems)
            save_audit(audit, user)
        else:
            problems = []
            _store_result(audit, user, result, now)
    if problems:
        raise SubmissionInvalid(problems)
    return audit


def apply_result(audit: Audit, result) -> None:
    """Copy a ``score_audit`` result onto the audit's stored fields (not saved): the one place
    a submission and a dispute's rescoring write a score."""
    audit.score = (
        None if result.score is None
        else Decimal(str(result.score)).quantize(Decimal("0.01"))
    )
    audit.passed = result.passed
    audit.critical_failed = result.critical_failed
    audit.section_scores = result.section_scores
    audit.error_categories = result.error_categories
    audit.errors = list(result.errors)
    audit.error_count = len(result.errors)


def _store_result(audit: Audit, user, result, now) -> None:
    was_reopened = audit.submitted_at is not None
    apply_result(audit, result)
    audit.submitted_at = now
    kind = AuditEvent.Kind.RESCORED if was_reopened else AuditEvent.Kind.SUBMITTED
    _move(audit, user, kind, AuditStatus.SUBMITTED,
          details={"score": result.score, "passed": result.passed})
    save_audit(audit, user, reason="rescored after reopening" if was_reopened else "submitted")
    _mark_assignment(audit, completed_at=now)
    events.audit_changed.send(sender=Audit, audit=audit)


# ----- after submission ---------------------------------------------------------------------


def reopen_audit(audit: Audit, user, reason: str) -> Audit:
    """A lead sends a scored audit back to its auditor for rescoring, saying why."""
    if not is_lead(user):
        raise NotPermitted("Only a QA lead or program manager can reopen a submitted audit.")
    reason = (reason or "").strip()
    if not reason:
        raise LifecycleError("Give a reason for reopening: it is kept in the audit's trail.")
    with transaction.atomic():
        audit = _locked(audit)
        if audit.status not in (AuditStatus.SUBMITTED, AuditStatus.RESOLVED, AuditStatus.FINAL):
            raise LifecycleError(
                f"A {audit.get_status_display().lower()} audit cannot be reopened."
            )
        _move(audit, user, AuditEvent.Kind.REOPENED, AuditStatus.IN_PROGRESS, reason=reason)
        audit.reopened_count += 1
        audit.finalised_at = None
        save_audit(audit, user, reason=reason)
        _mark_assignment(audit, completed_at=None)
        events.audit_changed.send(sender=Audit, audit=audit)
    return audit


def dispute_audit(audit: Audit, user, reason: str) -> Audit:
    """submitted/final → disputed. Vendor POCs dispute their own vendor's audits; leads may
    record a dispute on their behalf. (The per-question dispute workflow builds on this.)"""
    reason = (reason or "").strip()
    own_vendor = getattr(user, "is_vendor_poc", False) and user.vendor_id == audit.ticket.vendor_id
    if not (own_vendor or is_lead(user)):
        raise NotPermitted("Only the vendor's POC or a QA lead can dispute this audit.")
    if not reason:
        raise LifecycleError("Give a reason for the dispute.")
    _refuse_reaudit(audit, "disputed")
    return _transition(audit, user, AuditEvent.Kind.DISPUTED,
                       (AuditStatus.SUBMITTED, AuditStatus.FINAL), AuditStatus.DISPUTED, reason)


def resolve_audit(audit: Audit, user, reason: str) -> Audit:
    """disputed → resolved, by a lead who is not the audit's own auditor."""
    if not is_lead(user) or user.pk == audit.auditor_id:
        raise NotPermitted("A QA lead other than the auditor resolves a dispute.")
    if not (reason or "").strip():
        raise LifecycleError("Give the resolution: it is kept in the audit's trail.")
    return _transition(audit, user, AuditEvent.Kind.RESOLVED, (AuditStatus.DISPUTED,),
                       AuditStatus.RESOLVED, reason.strip())


def finalise_audit(audit: Audit, user, reason: str = "") -> Audit:
    """submitted/resolved → final: the score is what the vendor sees and is held to."""
    if not is_lead(user):
        raise NotPermitted("Only a QA lead or program manager can finalise an audit.")
    _refuse_reaudit(audit, "finalised")
    audit = _transition(audit, user, AuditEvent.Kind.FINALISED,
                        (AuditStatus.SUBMITTED, AuditStatus.RESOLVED), AuditStatus.FINAL, reason)
    events.audit_finalised.send(sender=Audit, audit=audit)
    return audit


# ----- internals ----------------------------------------------------------------------------


def _refuse_reaudit(audit: Audit, done: str) -> None:
    """A re-audit grades our auditor, not the vendor: it stays submitted, never becomes a
    finding the vendor sees or disputes (a database constraint says so too)."""
    if audit.reaudit_of_id:
        raise LifecycleError(
            f"A re-audit is never {done}: it grades the original auditor, not the vendor."
        )


def _transition(audit, user, kind, allowed, to_status, reason) -> Audit:
    with transaction.atomic():
        audit = _locked(audit)
        if audit.status not in allowed:
            raise LifecycleError(
                f"A {audit.get_status_display().lower()} audit cannot be "
                f"{AuditEvent.Kind(kind).label.lower()}."
            )
        _move(audit, user, kind, to_status, reason=reason)
        if to_status == AuditStatus.FINAL:
            audit.finalised_at = timezone.now()
        save_audit(audit, user, reason=reason or AuditEvent.Kind(kind).label.lower())
        events.audit_changed.send(sender=Audit, audit=audit)
    return audit


def _locked(audit: Audit) -> Audit:
    """The audit re-read under a row lock, so two tabs cannot submit over each other."""
    return Audit.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=audit.pk)


def _require_scorer(audit: Audit, user) -> None:
    if audit.auditor_id is None or audit.auditor_id != getattr(user, "pk", None):
        raise NotPermitted("Only the auditor this audit is assigned to can score it.")
    if audit.status not in OPEN_STATUSES:
        raise LifecycleError(
            f"This audit is {audit.get_status_display().lower()}: a lead must reopen it "
            "before it can be scored again."
        )


def _apply_draft(audit, answers, comments, internal_note, time_spent_seconds) -> None:
    keys = None
    if answers is not None or comments is not None:
        keys = set(
            FormQuestion.objects.filter(version_id=audit.form_version_id)
            .values_list("key", flat=True)
        )
    if answers is not None:
        audit.answers = {
            key: str(value) for key, value in answers.items() if key in keys and value
        }
    if comments is not None:
        audit.comments = {
            key: str(text).strip() for key, text in comments.items()
            if key in keys and str(text).strip()
        }
    if internal_note is not None:
        audit.internal_note = internal_note.strip()
    if time_spent_seconds is not None:
        # The page's counter is cumulative; never let it run backwards or jump absurdly.
        spent = max(0, int(time_spent_seconds))
        audit.time_spent_seconds = max(
            audit.time_spent_seconds,
            min(spent, audit.time_spent_seconds + MAX_SECONDS_PER_SAVE),
        )


def _name_problems(version: FormVersion, problems: Mapping[str, str]) -> list[Problem]:
    """Scoring's problems, keyed by question, as the auditor reads them: in form order,
    with each question's number and text."""
    questions = list(version.questions.order_by("section__position", "position", "id")
                     .values_list("key", "text"))
    numbered = {key: (number, text) for number, (key, text) in enumerate(questions, start=1)}
    named = []
    for key, message in problems.items():
        number, text = numbered.get(key, (len(numbered) + 1, key))
        named.append((number, Problem(key, f"{number}. {text}", message)))
    return [problem for _, problem in sorted(named, key=lambda item: item[0])]


def _move(audit, user, kind, to_status, *, reason="", details=None) -> None:
    from_status = audit.status
    audit.status = to_status
    record_event(audit, user, kind, from_status, to_status, reason=reason, details=details)


def record_verdict(audit: Audit) -> None:
    """A rescore outside submission (a dispute's decision) changes the verdict the sample
    assignment carries for the next draws' past error rates."""
    if audit.sampled_ticket_id:
        SampledTicket.objects.filter(pk=audit.sampled_ticket_id).update(passed=audit.passed)


def _mark_assignment(audit: Audit, *, completed_at) -> None:
    """Keep the sample assignment in step: its open/closed state (it drives auditor load) and
    its audit's verdict while the audit carries a score (the next draws' past error rates,
    ``sampling.allocation.past_error_rates``, read it there)."""
    if audit.sampled_ticket_id:
        SampledTicket.objects.filter(pk=audit.sampled_ticket_id).update(
            completed_at=completed_at,
            passed=None if audit.status in OPEN_STATUSES else audit.passed,
        )
