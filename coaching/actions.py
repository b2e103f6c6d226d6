"""The coaching lifecycle as plain functions: open, acknowledge, complete, verify, cancel.

QA (internal users) opens and verifies; the vendor (a POC of the action's vendor) acknowledges
and completes, and QA may take those two steps on the vendor's behalf (e.g. when the vendor
reports by email). Views, the future partner portal and notification tasks call these
functions and stay thin; each step is one transaction, refuses a step out of order and leaves
a history row (django-simple-history) naming who took it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from accounts.models import Role
from accounts.scoping import visible_to
from audit_forms.models import ErrorCategory
from audits.models import SCORED_STATUSES, Audit
from vendors.models import Agent, Site, Vendor, Workflow

from . import events
from .models import DONE_STATUSES, PENDING_STATUSES, ActionStatus, CoachingAction, Level


class CoachingError(ValueError):
    """A step that cannot be taken now (wrong status, inconsistent target); says why."""


class NotAllowed(PermissionDenied):
    """The user may not take this step on this action."""


def is_qa(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_internal)


def speaks_for_vendor(user, action: CoachingAction) -> bool:
    """A POC of the action's vendor, or QA acting on the vendor's behalf."""
    if is_qa(user):
        return True
    return bool(getattr(user, "is_vendor_poc", False) and user.vendor_id == action.vendor_id)


def actions_visible_to(user) -> QuerySet:
    """The actions ``user`` may see (vendor POCs: their own vendor's only)."""
    return visible_to(user, CoachingAction.objects.all())


def _check_owner(owner, vendor: Vendor) -> None:
    if owner is not None and not (owner.role == Role.VENDOR_POC and owner.vendor_id == vendor.pk):
        raise CoachingError(f"The owner must be a POC of {vendor.name}.")


@transaction.atomic
def open_action(
    by, *, category: ErrorCategory, title: str, due_date: dt.date,
    audits: Iterable[Audit] = (), vendor: Vendor | None = None, site: Site | None = None,
    agent: Agent | None = None, workflow: Workflow | None = None, description: str = "",
    owner=None,
) -> CoachingAction:
    """Open an action (QA only). With ``audits``: an agent-level action for the one agent
    whose scored audits they all are. With ``agent`` alone: an agent-level action from the
    agent's page. Without: a gap action for ``site`` (site level) or ``vendor`` (vendor
    level)."""
    if not is_qa(by):
        raise NotAllowed("Only QA opens coaching actions.")
    audits = list(audits)
    if audits:
        agents = {a.ticket.agent_id for a in audits}
        if len(agents) != 1:
            raise CoachingError("The audits of one action must all be of one agent.")
        if any(a.status not in SCORED_STATUSES for a in audits):
            raise CoachingError("Only scored audits can be coached on.")
        if agent is not None and agent.pk not in agents:
            raise CoachingError(f"The audits are not of agent {agent.external_id}.")
        agent = Agent.objects.select_related("site", "vendor").get(pk=agents.pop())
    if agent is not None:
        if (vendor and vendor.pk != agent.vendor_id) or (site and site.pk != agent.site_id):
            raise CoachingError(f"Agent {agent.external_id} is not of that vendor or site.")
        vendor, site, level = agent.vendor, agent.site, Level.AGENT
    elif site is not None:
        if vendor is not None and site.vendor_id != vendor.pk:
            raise CoachingError(f"{site.name} is not a site of {vendor.name}.")
        vendor, level = site.vendor, Level.SITE
    elif vendor is not None:
        level = Level.VENDOR
    else:
        raise CoachingError("Name the audits, a site or a vendor to coach.")
    _check_owner(owner, vendor)
    if not title.strip():
        raise CoachingError("Give the action a title.")
    action = CoachingAction.objects.create(
        vendor=vendor, level=level, site=site, agent=agent, category=category,
        workflow=workflow, title=title.strip(), description=description, opened_by=by,
        owner=owner, due_date=due_date,
    )
    if audits:
        action.audits.set(audits)
    events.coaching_opened.send(sender=CoachingAction, action=action)
    return action


def _locked(action: CoachingAction) -> CoachingAction:
    return CoachingAction.objects.select_for_update().get(pk=action.pk)


@transaction.atomic
def acknowledge(action: CoachingAction, by) -> CoachingAction:
    """The vendor has seen the action and takes it on."""
    if not speaks_for_vendor(by, action):
        raise NotAllowed("Only the vendor (or QA on its behalf) acknowledges.")
    action = _locked(action)
    if action.status != ActionStatus.OPEN:
        raise CoachingError(f"An action {action.get_status_display().lower()} cannot be "
                            "acknowledged.")
    action.status = ActionStatus.ACKNOWLEDGED
    action.acknowledged_at, action.acknowledged_by = timezone.now(), by
    action._change_reason = "acknowledged"
    action.save()
    return action


@transaction.atomic
def complete(action: CoachingAction, by, notes: str) -> CoachingAction:
    """The vendor records the coaching done and marks the action complete. An action not yet
    acknowledged is acknowledged by the same step."""
    if not speaks_for_vendor(by, action):
        raise NotAllowed("Only the vendor (or QA on its behalf) completes.")
    if not notes.strip():
        raise CoachingError("Say what coaching was done.")
    action = _locked(action)
    if action.status not in PENDING_STATUSES:
        raise CoachingError(f"An action {action.get_status_display().lower()} cannot be "
                            "completed.")
    now = timezone.now()
    if action.acknowledged_at is None:
        action.acknowledged_at, action.acknowledged_by = now, by
    action.status = ActionStatus.COMPLETED
    action.completed_at, action.completed_by = now, by
    action.coaching_notes = notes.strip()
    action._change_reason = "completed"
    action.save()
    return action


@transaction.atomic
def verify(action: CoachingAction, by, note: str = "") -> CoachingAction:
    """QA confirms the coaching was done (after completion only)."""
    if not is_qa(by):
        raise NotAllowed("Only QA verifies coaching.")
    action = _locked(action)
    if action.status != ActionStatus.COMPLETED:
        raise CoachingError("Only a completed action can be verified.")
    action.status = ActionStatus.VERIFIED
    action.verified_at, action.verified_by = timezone.now(), by
    action.verification_note = note.strip()
    action._change_reason = "verified"
    action.save()
    return action


@transaction.atomic
def cancel(action: CoachingAction, by, reason: str) -> CoachingAction:
    """QA withdraws an action the vendor has not completed (opened by mistake, superseded)."""
    if not is_qa(by):
        raise NotAllowed("Only QA cancels coaching actions.")
    if not reason.strip():
        raise CoachingError("Say why the action is cancelled.")
    action = _locked(action)
    if action.status not in PENDING_STATUSES:
        raise CoachingError("Only an action not yet completed can be cancelled.")
    action.status = ActionStatus.CANCELLED
    action.cancelled_at, action.cancelled_by = timezone.now(), by
    action.cancel_reason = reason.strip()
    action._change_reason = "cancelled"
    action.save()
    return action


def allowed_steps(action: CoachingAction, user) -> list[str]:
    """The steps ``user`` may take on ``action`` now (the buttons a page shows)."""
    steps = []
    if action.status == ActionStatus.OPEN and speaks_for_vendor(user, action):
        steps.append("acknowledge")
    if action.status in PENDING_STATUSES and speaks_for_vendor(user, action):
        steps.append("complete")
    if action.status == ActionStatus.COMPLETED and is_qa(user):
        steps.append("verify")
    if action.status in PENDING_STATUSES and is_qa(user):
        steps.append("cancel")
    return steps


@dataclass(frozen=True)
class RepeatOffender:
    """An agent coached more than once on the same theme (error category)."""

    agent: Agent
    category: ErrorCategory
    actions: int


def repeat_offenders(queryset: QuerySet | None = None, minimum: int = 2) -> list[RepeatOffender]:
    """Agents with at least ``minimum`` (not cancelled) actions on the same error category,
    most actions first. Three queries."""
    actions = (queryset if queryset is not None else CoachingAction.objects.all()).filter(
        level=Level.AGENT).exclude(status=ActionStatus.CANCELLED)
    rows = list(actions.order_by().values("agent_id", "category_id")
                .annotate(n=Count("pk")).filter(n__gte=minimum))
    agents = Agent.objects.select_related("site", "vendor").in_bulk(
        {row["agent_id"] for row in rows})
    categories = ErrorCategory.objects.in_bulk({row["category_id"] for row in rows})
    found = [RepeatOffender(agents[row["agent_id"]], categories[row["category_id"]], row["n"])
             for row in rows]
    return sorted(found, key=lambda r: (-r.actions, r.agent.external_id, r.category.slug))


__all__ = [
    "DONE_STATUSES", "CoachingError", "NotAllowed", "RepeatOffender", "acknowledge",
    "actions_visible_to", "allowed_steps", "cancel", "complete", "is_qa", "open_action",
    "repeat_offenders", "speaks_for_vendor", "verify",
]
