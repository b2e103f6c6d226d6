"""Disputes: a vendor contests questions of a final audit and a QA lead decides each one.

raise → (open, SLA clock running) → resolve. Plain functions, so the pages here, the partner
portal and notifications (issue 6, later) all go through the same rules:

* Only the POC of the audit's vendor raises a dispute, only on a final audit, and only
  within ``settings.DISPUTE_WINDOW_DAYS`` of its finalisation; one open dispute per audit,
  and a question decided in an earlier dispute of the audit cannot be disputed again (the
  lead's decision is the last word, or a re-finalised audit could be disputed forever).
* Only a QA lead who is not the audit's auditor resolves (the rule of
  ``lifecycle.resolve_audit``, checked up front so nothing is half-written), with a decision
  and a reply for every disputed question.
* Overturned and partially overturned questions take the lead's corrected answer and the
  score is recomputed with ``audit_forms.scoring.score_audit``, the one score function. The
  rescoring is an audit history row and a ``rescored`` AuditEvent; the status then goes
  disputed → resolved → final through the lifecycle, which refreshes the scorecard rollups
  at each step. Going back to final is deliberate: "final" is what the vendor sees and is
  held to, and after a resolution the corrected score is exactly that.
* Rates (``dispute_rates``) are plain counts: they describe the disputes themselves, not a
  sample estimate of a population, so no weighting applies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.formats import moment
from accounts.scoping import visible_to
from audit_forms.catalog import spec_of
from audit_forms.scoring import NA, InvalidAnswers, score_audit

from . import events, lifecycle
from .dispute_models import overdue_condition
from .models import (
    Audit,
    AuditEvent,
    AuditStatus,
    Dispute,
    DisputeDecision,
    DisputedQuestion,
    DisputeStatus,
)

CORRECTING = (DisputeDecision.OVERTURNED, DisputeDecision.PARTIALLY_OVERTURNED)
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


class DisputeError(lifecycle.LifecycleError):
    """A dispute step that is not possible (the message says what is wrong)."""


class DisputeNotPermitted(lifecycle.NotPermitted):
    """The user may not take this dispute step."""


@dataclass(frozen=True)
class Decision:
    """A lead's decision on one disputed question (``corrected_answer`` when it corrects)."""

    decision: str
    reply: str
    corrected_answer: str = ""


# ----- rules --------------------------------------------------------------------------------


def window_closes_at(audit: Audit) -> dt.datetime | None:
    """When the vendor's window to dispute this audit closes (None if never finalised)."""
    if audit.finalised_at is None:
        return None
    return audit.finalised_at + dt.timedelta(days=settings.DISPUTE_WINDOW_DAYS)


def is_vendor_poc_of(audit: Audit, user) -> bool:
    """A POC of the audit's vendor (a vendor QA analyst sees the audit but does not dispute)."""
    return bool(getattr(user, "is_vendor_poc", False)
                and user.vendor_id == audit.ticket.vendor_id)


def can_raise(audit: Audit, user, now: dt.datetime | None = None) -> bool:
    """Whether ``user`` may dispute ``audit`` now (what the audit page's button shows)."""
    try:
        _check_raise(audit, user, now or timezone.now())
    except lifecycle.LifecycleError:
        return False
    return True


def disputable_now(now: dt.datetime | None = None) -> Q:
    """The audits a vendor POC may dispute now, as a query condition: the rule of
    ``_check_raise`` short of who asks (final, inside the window, no open dispute). The
    portal's "disputable now" filter uses it, so the list and the audit page's button agree."""
    opens_after = (now or timezone.now()) - dt.timedelta(days=settings.DISPUTE_WINDOW_DAYS)
    return (Q(status=AuditStatus.FINAL, finalised_at__gte=opens_after)
            & ~Q(disputes__status=DisputeStatus.OPEN))


def disputable_questions(audit: Audit) -> set[str]:
    """The keys of the audit's questions a POC may dispute: answered (not N/A, not blank:
    there is no finding to contest) and not decided in an earlier dispute of the audit."""
    answered = {key for key, answer in (audit.answers or {}).items()
                if answer not in ("", None, NA)}
    return answered - _decided_keys(audit, answered)


def _decided_keys(audit: Audit, keys: Iterable[str]) -> set[str]:
    return set(DisputedQuestion.objects.filter(dispute__audit=audit, question_key__in=keys)
               .exclude(decision="").values_list("question_key", flat=True))


def can_resolve(dispute: Dispute, user) -> bool:
    """A QA lead other than the audit's auditor, while the dispute is open."""
    return (dispute.status == DisputeStatus.OPEN and lifecycle.is_lead(user)
            and user.pk != dispute.audit.auditor_id)


def _check_raise(audit: Audit, user, now: dt.datetime) -> None:
    if not is_vendor_poc_of(audit, user):
        raise DisputeNotPermitted("Only a POC of the audit's vendor can dispute it.")
    if audit.status != AuditStatus.FINAL:
        raise DisputeError(
            f"Only a final audit can be disputed; this one is "
            f"{audit.get_status_display().lower()}."
        )
    closes = window_closes_at(audit)
    if now > closes:
        raise DisputeError(
            f"The dispute window of {settings.DISPUTE_WINDOW_DAYS} days closed on "
            f"{moment(closes)} UTC."
        )
    if audit.disputes.filter(status=DisputeStatus.OPEN).exists():
        raise DisputeError("This audit already has an open dispute.")


# ----- raising ------------------------------------------------------------------------------


def raise_dispute(
    audit: Audit,
    user,
    questions: Mapping[str, str],
    attachments: Mapping[str, UploadedFile] | None = None,
) -> Dispute:
    """Open a dispute of ``questions`` ({question key: reason}) of a final audit.

    ``attachments`` ({question key: file}) are optional evidence, stored under a random
    name. The audit moves final → disputed (``lifecycle.dispute_audit``). Raises
    ``DisputeNotPermitted`` or ``DisputeError`` naming what is wrong.
    """
    attachments = attachments or {}
    reasons = {key: (reason or "").strip() for key, reason in questions.items()}
    with transaction.atomic():
        audit = Audit.objects.select_for_update(of=("self",)).select_related("ticket").get(
            pk=audit.pk
        )
        now = timezone.now()
        _check_raise(audit, user, now)
        _check_questions(audit, reasons, attachments)
        dispute = Dispute.objects.create(
            audit=audit, raised_by=user, raised_at=now,
            due_at=now + dt.timedelta(days=settings.DISPUTE_SLA_DAYS),
            score_before=audit.score,
        )
        for key, reason in reasons.items():
            row = DisputedQuestion(dispute=dispute, question_key=key, reason=reason,
                                   original_answer=audit.answers.get(key, ""))
            upload = attachments.get(key)
            if upload:
                row.attachment_name = upload.name[:255]
                row.attachment.save(upload.name, upload, save=False)
            row.save()
        # Kept short: the lifecycle also stores it as the history row's change reason
        # (100 characters); the questions themselves are on the dispute.
        lifecycle.dispute_audit(audit, user, f"Dispute #{dispute.pk} of {len(reasons)} "
                                "question(s)")
        events.dispute_raised.send(sender=Dispute, dispute=dispute)
    return dispute


def _check_questions(audit: Audit, reasons: Mapping[str, str], attachments) -> None:
    if not reasons:
        raise DisputeError("Choose at least one question to dispute.")
    keys = set(audit.form_version.questions.values_list("key", flat=True))
    unknown = sorted(set(reasons) - keys)
    if unknown:
        raise DisputeError(f"Not questions of this audit's form: {', '.join(unknown)}.")
    missing = sorted(key for key, reason in reasons.items() if not reason)
    if missing:
        raise DisputeError(f"Give a reason for each disputed question: {', '.join(missing)}.")
    stray = sorted(set(attachments) - set(reasons))
    if stray:
        raise DisputeError(f"Attachments for questions not disputed: {', '.join(stray)}.")
    too_big = sorted(key for key, f in attachments.items() if f and f.size > MAX_ATTACHMENT_BYTES)
    if too_big:
        raise DisputeError(f"Attachments are limited to 5 MB: {', '.join(too_big)}.")
    not_applicable = sorted(key for key in reasons if audit.answers.get(key) in ("", None, NA))
    if not_applicable:
        raise DisputeError(
            f"Answered N/A or not answered, so there is no finding to dispute: "
            f"{', '.join(not_applicable)}."
        )
    decided = sorted(_decided_keys(audit, reasons))
    if decided:
        raise DisputeError(
            f"Already decided in an earlier dispute of this audit: {', '.join(decided)}."
        )


# ----- resolving ----------------------------------------------------------------------------


def resolve_dispute(dispute: Dispute, user, decisions: Mapping[str, Decision]) -> Dispute:
    """Decide every disputed question, rescore the audit and make it final again.

    ``decisions`` maps each disputed question key to a ``Decision``. Overturned and partially
    overturned questions take ``corrected_answer`` (it must differ from the auditor's);
    the new score is ``score_audit`` of the corrected answers. One transaction: the audit's
    history row and ``rescored`` event, resolved and finalised events, the decisions.
    """
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update(of=("self",)).select_related(
            "audit__ticket").get(pk=dispute.pk)
        if not (lifecycle.is_lead(user) and user.pk != dispute.audit.auditor_id):
            raise DisputeNotPermitted("A QA lead other than the audit's auditor resolves it.")
        if dispute.status != DisputeStatus.OPEN:
            raise DisputeError("This dispute is already resolved.")
        rows = list(dispute.questions.all())
        _check_decisions(rows, decisions)
        audit = Audit.objects.select_for_update(of=("self",)).get(pk=dispute.audit_id)
        corrected = {
            row.question_key: decisions[row.question_key].corrected_answer.strip()
            for row in rows if decisions[row.question_key].decision in CORRECTING
        }
        summary = _summary(dispute, rows, decisions)
        if corrected:
            _rescore(audit, user, dispute, corrected, summary)
        overturned = len(corrected)
        lifecycle.resolve_audit(audit, user, f"Dispute #{dispute.pk} resolved: {overturned} "
                                f"of {len(rows)} question(s) overturned")
        lifecycle.finalise_audit(audit, user, f"Final after dispute #{dispute.pk}")
        for row in rows:
            chosen = decisions[row.question_key]
            row.decision = chosen.decision
            row.reply = chosen.reply.strip()
            row.corrected_answer = corrected.get(row.question_key, "")
            row._history_user = user
            row.save()
        audit.refresh_from_db(fields=["score"])
        dispute.status = DisputeStatus.RESOLVED
        dispute.resolved_by = user
        dispute.resolved_at = timezone.now()
        dispute.score_after = audit.score
        dispute._history_user = user
        dispute.save()
        events.dispute_decided.send(sender=Dispute, dispute=dispute)
    return dispute


def _check_decisions(rows: list[DisputedQuestion], decisions: Mapping[str, Decision]) -> None:
    problems = []
    for row in rows:
        chosen = decisions.get(row.question_key)
        if chosen is None or chosen.decision not in DisputeDecision.values:
            problems.append(f"{row.question_key}: choose upheld, overturned or partially "
                            "overturned")
            continue
        if not chosen.reply.strip():
            problems.append(f"{row.question_key}: write a reply to the vendor")
        if chosen.decision in CORRECTING:
            answer = chosen.corrected_answer.strip()
            if not answer:
                problems.append(f"{row.question_key}: give the corrected answer")
            elif answer == row.original_answer:
                problems.append(f"{row.question_key}: the corrected answer is the auditor's")
    extra = sorted(set(decisions) - {row.question_key for row in rows})
    if extra:
        problems.append(f"not disputed: {', '.join(extra)}")
    if problems:
        raise DisputeError("; ".join(problems) + ".")


def _rescore(audit: Audit, user, dispute: Dispute, corrected: dict[str, str],
             summary: str) -> None:
    """Store ``score_audit`` of the corrected answers: one history row, one event."""
    answers = {**audit.answers, **corrected}
    try:
        result = score_audit(spec_of(audit.form_version_id), answers)
    except InvalidAnswers as invalid:
        raise DisputeError(f"Corrected answers cannot be scored: {invalid}") from invalid
    before = {"score": _number(audit.score), "passed": audit.passed}
    audit.answers = answers
    lifecycle.apply_result(audit, result)
    lifecycle.record_event(
        audit, user, AuditEvent.Kind.RESCORED, audit.status, audit.status, reason=summary,
        details={"dispute": dispute.pk, "corrected": corrected, "before": before,
                 "after": {"score": result.score, "passed": result.passed}},
    )
    lifecycle.save_audit(audit, user, reason=f"rescored by dispute #{dispute.pk}")
    lifecycle.record_verdict(audit)


def _summary(dispute: Dispute, rows, decisions: Mapping[str, Decision]) -> str:
    parts = [f"{row.question_key} {decisions[row.question_key].decision}".replace("_", " ")
             for row in rows]
    return f"Dispute #{dispute.pk}: " + ", ".join(parts)


def _number(value) -> float | None:
    return None if value is None else float(value)


# ----- queue and SLA ------------------------------------------------------------------------


def dispute_queue(user) -> QuerySet:
    """Disputes for the leads' queue: open first (oldest deadline first), then resolved."""
    return visible_to(user, Dispute.objects.all()).select_related(
        "audit__ticket__vendor", "audit__auditor", "raised_by", "resolved_by"
    ).annotate(question_count=Count("questions")).order_by(
        "status", "due_at", "id"  # "open" sorts before "resolved"
    )


def sla_age(dispute: Dispute, now: dt.datetime | None = None) -> dt.timedelta:
    """Time from raising to resolution (or to now, while open)."""
    return (dispute.resolved_at or now or timezone.now()) - dispute.raised_at


@dataclass(frozen=True)
class OpenDisputes:
    """A vendor's open disputes now, and how many of them are past their SLA deadline."""

    open: int
    overdue: int


def open_disputes_by_vendor(now: dt.datetime | None = None) -> dict[int, OpenDisputes]:
    """Open and overdue disputes per vendor id, whenever their audits were finalised (an
    overdue dispute waits for a decision whatever the period). Overdue as
    ``Dispute.is_overdue``: open and ``due_at`` passed. One grouped query."""
    now = now or timezone.now()
    rows = (Dispute.objects.filter(status=DisputeStatus.OPEN).order_by()
            .values("audit__ticket__vendor")
            .annotate(n_open=Count("id"), n_overdue=Count("id", filter=overdue_condition(now))))
    return {row["audit__ticket__vendor"]: OpenDisputes(row["n_open"], row["n_overdue"])
            for row in rows}


def disputed_rows(dispute: Dispute, keys: Iterable[str] | None = None) -> list[DisputedQuestion]:
    """The dispute's questions in form order (for pages and notifications)."""
    order = {key: n for n, key in enumerate(
        dispute.audit.form_version.questions.order_by("section__position", "position", "id")
        .values_list("key", flat=True))}
    rows = dispute.questions.all() if keys is None else dispute.questions.filter(
        question_key__in=list(keys))
    return sorted(rows, key=lambda row: order.get(row.question_key, len(order)))
