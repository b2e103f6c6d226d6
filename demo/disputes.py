"""The demo's disputes: vendor POCs contest recent final audits; the program manager decides.

Every dispute goes through ``audits.disputes`` (``raise_dispute``, ``resolve_dispute``), so the
demo obeys the real rules: only the vendor's POC raises, only on a final audit inside the
dispute window, and the lead who resolves (manager@demo.qa) is never the audit's auditor (the
demo's audits are scored by auditor1–3). The mix a QA lead should find in the queue and in
``dispute_rates``: about ten resolved (upheld, overturned, partially overturned), two open past
their SLA and a few open within it. One question, the moderation scorecard's policy label, is
overturned again and again: the calibration signal the dispute rates are there to show.

The sampling demo finalises audits a week after submission, so only a couple of days of its
final audits are still inside the window; when those run short, a few of the failing audits
submitted this week are finalised first, through ``audits.lifecycle.finalise_audit`` as a lead
would. Seeding is skipped when the demo POCs have raised disputes already (idempotent).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from audits import lifecycle
from audits.disputes import Decision, raise_dispute, resolve_dispute
from audits.models import Audit, AuditStatus, Dispute, DisputeDecision, DisputeStatus
from demo.forms import ERROR_ANSWERS

OFTEN_OVERTURNED = ("Moderation scorecard", "policy_label")  # (form, question): the signal
DEMO_POCS = ".demo.qa"

# Answers that count as an error, per question of the demo scorecards (demo.forms).
FAILING = {
    key: tuple(value for k, value in ERROR_ANSWERS.values() if k == key)
    for key, _ in ERROR_ANSWERS.values()
}
UPHELD, OVERTURNED, PARTIAL = (
    DisputeDecision.UPHELD,
    DisputeDecision.OVERTURNED,
    DisputeDecision.PARTIALLY_OVERTURNED,
)
REASONS = {
    "correct_action": "The content was borderline; the agent followed the escalation matrix.",
    "policy_label": "The label applied is the one the current guidelines give for this case.",
    "escalation": "The policy did not require an escalation for this queue at the time.",
    "documentation": "The evidence is in the linked case notes, not the ticket body.",
    "tone": "The customer was abusive; the agent stayed polite and on script.",
    "macro": "The macro used is the approved one for this request type.",
}
REPLIES = {
    UPHELD: "Upheld: the auditor's answer matches the guidelines in force that day.",
    OVERTURNED: "Overturned: the vendor is right; the label was correct under the update.",
    PARTIAL: "Partially overturned: acceptable, though not the best answer; credit adjusted.",
}
# The answer a lead's correction gives, per question and decision.
CORRECTIONS = {
    ("policy_label", OVERTURNED): "pass",
    ("documentation", OVERTURNED): "complete",
    ("escalation", OVERTURNED): "na",
    ("correct_action", OVERTURNED): "yes",
    ("tone", PARTIAL): "3",
    ("macro", PARTIAL): "generic",
}


@dataclass(frozen=True)
class Planned:
    """One demo dispute: its questions and decisions, and how it ends (None: still open;
    ``overdue``: raised long enough ago to be past its SLA)."""

    decisions: tuple[tuple[str, DisputeDecision | None], ...]
    moderation_only: bool = False
    overdue: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.decisions)

    @property
    def resolved(self) -> bool:
        return self.decisions[0][1] is not None


def _plan() -> list[Planned]:
    overturn = Planned((("policy_label", OVERTURNED),), moderation_only=True)
    return [
        Planned((("policy_label", None),), overdue=True),
        Planned((("documentation", None),), overdue=True),
        *[overturn] * 5,
        Planned((("policy_label", OVERTURNED), ("documentation", UPHELD)), moderation_only=True),
        Planned((("correct_action", UPHELD),)),
        Planned((("documentation", UPHELD),)),
        Planned((("escalation", UPHELD),)),
        Planned((("macro", PARTIAL),)),
        Planned((("tone", PARTIAL),)),
        Planned((("policy_label", None),)),
        Planned((("correct_action", None),)),
        Planned((("escalation", None),)),
    ]


def _fits(audit: Audit, planned: Planned) -> bool:
    if planned.moderation_only and audit.ticket.workflow.kind != "moderation":
        return False
    return all(audit.answers.get(key) in FAILING[key] for key in planned.keys)


def _candidates(now: dt.datetime) -> tuple[list[Audit], list[Audit]]:
    """Failing audits a vendor would dispute: final ones still inside the window (oldest
    finalisation first) and, as a reserve, ones submitted but not yet finalised."""
    opens = now - dt.timedelta(days=settings.DISPUTE_WINDOW_DAYS) + dt.timedelta(hours=6)
    failing = Audit.objects.filter(passed=False, disputes__isnull=True).select_related(
        "ticket__workflow", "ticket__vendor"
    )
    final = failing.filter(status=AuditStatus.FINAL, finalised_at__gt=opens)
    submitted = failing.filter(status=AuditStatus.SUBMITTED)
    return list(final.order_by("finalised_at", "pk")), list(submitted.order_by("pk"))


def _take(pool: list[Audit], planned: Planned, used_vendors: list[int]) -> Audit | None:
    """The first audit of ``pool`` the dispute fits, preferring the vendors disputed least."""
    fitting = [audit for audit in pool if _fits(audit, planned)]
    if not fitting:
        return None
    chosen = min(fitting, key=lambda a: used_vendors.count(a.ticket.vendor_id))
    pool.remove(chosen)
    used_vendors.append(chosen.ticket.vendor_id)
    return chosen


@transaction.atomic
def seed() -> dict[str, tuple[int, int]]:
    """The demo disputes; needs the sampling demo's scored audits and the demo logins."""
    before = Dispute.objects.count()
    lead = User.objects.filter(role=Role.PROGRAM_MANAGER, email="manager@demo.qa").first()
    pocs = {
        poc.vendor_id: poc
        for poc in User.objects.filter(role=Role.VENDOR_POC, email__endswith=DEMO_POCS)
    }
    already = Dispute.objects.filter(raised_by__in=pocs.values()).exists()
    if lead is None or not pocs or already:
        return {"disputes": (0, before)}
    now = timezone.now()
    final, submitted = _candidates(now)
    used: list[int] = []
    for planned in _plan():
        # Overdue disputes were raised days ago, so they need an audit final since then.
        audit = _take(final, planned, used)
        if audit is None and not planned.overdue:
            audit = _take(submitted, planned, used)
            if audit is not None:
                audit = lifecycle.finalise_audit(audit, lead, "Finalised by the weekly review")
        if audit is None or audit.ticket.vendor_id not in pocs:
            continue
        _dispute(audit, planned, pocs[audit.ticket.vendor_id], lead, now)
    return {"disputes": (Dispute.objects.count() - before, Dispute.objects.count())}


def _dispute(audit: Audit, planned: Planned, poc: User, lead: User, now: dt.datetime) -> None:
    finalised_at = audit.finalised_at
    dispute = raise_dispute(audit, poc, {key: REASONS[key] for key in planned.keys})
    if planned.overdue or (planned.resolved and finalised_at < now - dt.timedelta(days=1)):
        # Seeding happens all at once, but a queue where every dispute was raised this minute
        # shows no SLA. The dispute row alone is dated back to half a day after the audit's
        # finalisation (inside the window; the SLA deadline follows from it): the audit's
        # events and history keep the seeding time.
        raised_at = finalised_at + dt.timedelta(hours=12)
        Dispute.objects.filter(pk=dispute.pk).update(
            raised_at=raised_at,
            due_at=raised_at + dt.timedelta(days=settings.DISPUTE_SLA_DAYS),
        )
    if not planned.resolved:
        return
    decisions = {}
    for key, decision in planned.decisions:
        decisions[key] = Decision(decision, REPLIES[decision], CORRECTIONS.get((key, decision), ""))
    resolve_dispute(dispute, lead, decisions)


def open_disputes():
    """The demo's open disputes, most overdue first (for the printed story)."""
    return Dispute.objects.filter(
        status=DisputeStatus.OPEN, raised_by__email__endswith=DEMO_POCS
    ).order_by("due_at", "pk")
