"""Contract targets as managers keep them: one target per vendor, workflow and metric at a
time, every change kept in the target's history (django-simple-history).

Scorecards pick the target in force for a period (``scorecards.targets``); two targets of
the same vendor, workflow and metric in force on the same day would make that choice
arbitrary, so ``save_target`` refuses an overlap. The check runs with the vendor's row
locked, so two managers saving at once cannot both slip an overlapping target in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet

from accounts.formats import day, percent

from .models import ContractTarget, Vendor


class TargetOverlap(ValueError):
    """Another target of the same vendor, workflow and metric is in force on some day of
    the new target's period."""

    def __init__(self, other: ContractTarget):
        self.other = other
        super().__init__(overlap_message(other))


def overlap_message(other: ContractTarget) -> str:
    until = day(other.effective_to) if other.effective_to else "open-ended"
    return (f"These dates overlap another {other.get_metric_display().lower()} target of "
            f"{other.vendor} for {other.workflow or 'all workflows'} "
            f"({day(other.effective_from)} to {until}, {percent(other.target)}). "
            f"End that one first or pick dates that do not overlap.")


def overlapping(target: ContractTarget) -> QuerySet[ContractTarget]:
    """Other targets of ``target``'s vendor, workflow (or all workflows) and metric whose
    periods share at least one day with ``target``'s (an empty end runs forever)."""
    others = ContractTarget.objects.filter(
        vendor_id=target.vendor_id, metric=target.metric,
        workflow_id=target.workflow_id,
    ).exclude(pk=target.pk).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=target.effective_from)
    )
    if target.effective_to is not None:
        others = others.filter(effective_from__lte=target.effective_to)
    return others.select_related("vendor", "workflow").order_by("effective_from")


def save_target(target: ContractTarget, by, reason: str = "") -> ContractTarget:
    """Save a new or edited ``target`` made by ``by``, refusing an overlap.

    The history record names ``by`` and carries ``reason`` when one is given.
    """
    with transaction.atomic():
        Vendor.objects.select_for_update().filter(pk=target.vendor_id).exists()
        clash = overlapping(target).first()
        if clash is not None:
            raise TargetOverlap(clash)
        target._history_user = by
        if reason:
            target._change_reason = reason[:100]
        target.save()
    return target


@dataclass(frozen=True)
class TargetChange:
    """One recorded change of a target: who, when, why, and each field's old → new."""

    when: dt.datetime
    who: object
    kind: str
    reason: str
    changes: list[tuple[str, str, str]]


def _shown(record, field: str) -> str:
    value = getattr(record, field)
    if value is None:  # only the end date and the workflow may be empty
        return "open" if field == "effective_to" else "all workflows"
    if field == "target":
        return percent(value)
    if field in ("metric", "direction"):
        return getattr(record, f"get_{field}_display")()
    if isinstance(value, dt.date):
        return day(value)
    return str(value)


TRACKED = (("vendor", "Vendor"), ("workflow", "Workflow"), ("metric", "Metric"),
           ("direction", "Direction"), ("target", "Target"),
           ("effective_from", "Effective from"), ("effective_to", "Effective to"))


def target_history(target: ContractTarget) -> list[TargetChange]:
    """The target's recorded changes, newest first: its creation with every value, then
    each edit with only the fields it changed."""
    records = list(target.history.select_related("history_user", "vendor", "workflow")
                   .order_by("history_date", "history_id"))
    entries: list[TargetChange] = []
    previous = None
    for record in records:
        if previous is None:
            changes = [(label, "", _shown(record, name)) for name, label in TRACKED]
        else:
            changes = [
                (label, _shown(previous, name), _shown(record, name))
                for name, label in TRACKED
                if _shown(previous, name) != _shown(record, name)
            ]
        if changes:
            entries.append(TargetChange(record.history_date, record.history_user,
                                        record.get_history_type_display(),
                                        record.history_change_reason or "", changes))
        previous = record
    return entries[::-1]
