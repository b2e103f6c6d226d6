"""What the program tells people, and when: one function per event.

The ``on_*`` hooks here subscribe to the events of the audit lifecycle, disputes and coaching
(``audits.events``, ``coaching.events``; wired in ``qa_program.events``).
A hook only registers its work for after the commit (``transaction.on_commit``, robust):
a step that rolls back tells nobody, and a failure while notifying is logged without
undoing the audit, dispute or action it is about. The event key names the event, so a
hook that fires again (an audit finalised a second time after a dispute) adds nothing.

Texts carry only what the recipient may see: never an audit's internal note nor a lead's
reason in the trail.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.formats import day, moment
from accounts.models import Role, User
from audits.models import Audit, Dispute
from coaching.models import PENDING_STATUSES, CoachingAction

from .models import Kind
from .sending import notify, qa_leads, vendor_pocs

# Coaching actions due within this many days get a "due soon" reminder.
DUE_SOON_DAYS = 2


def _after_commit(function, pk: int) -> None:
    transaction.on_commit(partial(function, pk), robust=True)


# ----- hooks (events, sent inside the domain functions' transactions) -------------------------


def on_audit_finalised(audit: Audit, **signal) -> None:
    _after_commit(notify_finding, audit.pk)


def on_dispute_raised(dispute: Dispute, **signal) -> None:
    _after_commit(notify_dispute_raised, dispute.pk)


def on_dispute_resolved(dispute: Dispute, **signal) -> None:
    _after_commit(notify_dispute_resolved, dispute.pk)


def on_coaching_opened(action: CoachingAction, **signal) -> None:
    _after_commit(notify_coaching_opened, action.pk)


# ----- the events ---------------------------------------------------------------------------


def notify_finding(audit_id: int) -> list[int]:
    """A final audit with errors is a finding for its vendor's POCs (a clean audit is not
    news). Once per audit: re-finalising after a dispute is the dispute's resolution."""
    audit = Audit.objects.select_related("ticket").get(pk=audit_id)
    if audit.reaudit_of_id:  # a re-audit grades our auditor; it is never the vendor's news
        return []
    if audit.finalised_at is None or not (audit.error_count or audit.passed is False):
        return []
    ticket = audit.ticket
    score = "no score" if audit.score is None else f"score {audit.score}"
    return notify(
        f"finding:{audit.pk}", Kind.FINDING, vendor_pocs(ticket.vendor_id),
        f"New finding on ticket {ticket.external_id}",
        f"Audit #{audit.pk} of ticket {ticket.external_id} is final: {score}, "
        f"{audit.error_count} question(s) in error"
        f"{', a critical error' if audit.critical_failed else ''}.\n"
        "You may dispute it from the audit page within the dispute window.",
        reverse("audits:audit_detail", args=[audit.pk]),
    )


def notify_dispute_raised(dispute_id: int) -> list[int]:
    """A new dispute goes to the leads, who decide it (within the SLA)."""
    dispute = Dispute.objects.select_related("audit__ticket__vendor").get(pk=dispute_id)
    ticket = dispute.audit.ticket
    return notify(
        f"dispute_raised:{dispute.pk}", Kind.DISPUTE_RAISED, qa_leads(),
        f"Dispute #{dispute.pk} raised by {ticket.vendor.name}",
        f"{ticket.vendor.name} disputes {dispute.questions.count()} question(s) of audit "
        f"#{dispute.audit_id} (ticket {ticket.external_id}). "
        f"Resolve by {moment(dispute.due_at)} UTC.",
        reverse("audits:dispute_detail", args=[dispute.pk]),
    )


def notify_dispute_resolved(dispute_id: int) -> list[int]:
    """The decision goes back to the POC who raised the dispute."""
    dispute = Dispute.objects.select_related("audit__ticket", "raised_by").get(pk=dispute_id)
    return notify(
        f"dispute_resolved:{dispute.pk}", Kind.DISPUTE_RESOLVED, [dispute.raised_by],
        f"Dispute #{dispute.pk} resolved",
        f"Your dispute of audit #{dispute.audit_id} (ticket "
        f"{dispute.audit.ticket.external_id}) is decided: score {dispute.score_before} → "
        f"{dispute.score_after}. The replies are on the dispute page.",
        reverse("audits:dispute_detail", args=[dispute.pk]),
    )


def coaching_recipients(action: CoachingAction, pocs_by_vendor: dict | None = None) -> list:
    """The action's owner, or every POC of its vendor when it has none."""
    if action.owner_id is not None:
        return [action.owner]
    if pocs_by_vendor is not None:
        return pocs_by_vendor.get(action.vendor_id, [])
    return vendor_pocs(action.vendor_id)


def notify_coaching_opened(action_id: int) -> list[int]:
    action = CoachingAction.objects.select_related("owner").get(pk=action_id)
    return notify(
        f"coaching_opened:{action.pk}", Kind.COACHING_OPENED, coaching_recipients(action),
        f"Coaching action: {action.title}",
        f"QA opened a coaching action for you, due {day(action.due_date)}: "
        f"{action.title}. Acknowledge it, then record the coaching done.",
        reverse("coaching:action_detail", args=[action.pk]),
    )


def sweep_coaching_deadlines(today: dt.date | None = None) -> int:
    """Remind owners of pending actions due within ``DUE_SOON_DAYS`` and warn of overdue
    ones. The event key holds the due date, so a moved deadline is announced again while a
    daily sweep repeats nothing. Returns the number of notifications not yet emailed."""
    today = today or timezone.localdate()
    actions = list(CoachingAction.objects.filter(
        status__in=PENDING_STATUSES, due_date__lte=today + dt.timedelta(days=DUE_SOON_DAYS),
    ).select_related("owner").order_by("due_date", "pk"))
    pocs_by_vendor: dict[int, list] = {}
    for poc in User.objects.filter(role=Role.VENDOR_POC, is_active=True,
                                   vendor_id__in={a.vendor_id for a in actions}):
        pocs_by_vendor.setdefault(poc.vendor_id, []).append(poc)
    count = 0
    for action in actions:
        due = day(action.due_date)
        if action.due_date < today:
            kind, subject = Kind.COACHING_OVERDUE, f"Overdue coaching action: {action.title}"
            body = f"The coaching action \"{action.title}\" was due {due} and is not complete."
        else:
            kind, subject = Kind.COACHING_DUE, f"Coaching action due {due}: {action.title}"
            body = f"The coaching action \"{action.title}\" is due {due}."
        count += len(notify(
            f"{kind}:{action.pk}:{action.due_date.isoformat()}", kind,
            coaching_recipients(action, pocs_by_vendor), subject,
            body + " Record the coaching done on the action's page.",
            reverse("coaching:action_detail", args=[action.pk]),
        ))
    return count
