"""Turning drawn tickets into audit assignments across a plan's auditor pool.

Each ticket goes to the eligible auditor with the fewest open assignments at that moment
(greedy least-loaded, which keeps the final loads within one ticket of each other whenever
conflicts allow). An auditor is never given a ticket of a vendor they are marked conflicted
with; a ticket no one in the pool may take stays unassigned and the run says how many.

Deterministic given the run: tickets are taken round-robin across strata in draw order, and
ties between equally loaded auditors are broken by a hash of (seed, auditor), so a redraw
assigns the same way and no auditor is always first in line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.utils import timezone

from accounts.models import Role

from .models import SampledTicket, SampleRun, SamplingPlan

UPDATE_CHUNK = 500  # ids per UPDATE, under SQLite's bound-parameter limit


@dataclass
class AssignmentResult:
    assigned: int
    unassigned: int
    notes: list[str] = field(default_factory=list)


# Who may score a plan's audits: auditors; a re-audit may also go to a lead.
POOL_ROLES = {
    SamplingPlan.Kind.TICKETS: (Role.QA_AUDITOR,),
    SamplingPlan.Kind.REAUDIT: (Role.QA_AUDITOR, Role.PROGRAM_MANAGER),
}


def eligible_auditors(plan: SamplingPlan) -> QuerySet:
    """The plan's pool, minus anyone no longer active in a role that may score its audits
    (auditors; for a re-audit plan, auditors and leads)."""
    roles = POOL_ROLES.get(plan.kind, (Role.QA_AUDITOR,))
    return plan.auditors.filter(is_active=True, role__in=roles)


def open_assignment_counts(auditor_ids: Iterable[int]) -> dict[int, int]:
    """Open (not yet completed) assignments per auditor, across all plans, in one query."""
    ids = list(auditor_ids)
    counts = {pk: 0 for pk in ids}
    rows = (
        SampledTicket.objects.filter(auditor_id__in=ids, completed_at__isnull=True)
        .order_by()
        .values("auditor_id")
        .annotate(open=Count("pk"))
    )
    counts.update({row["auditor_id"]: row["open"] for row in rows})
    return counts


def assign_tickets(
    plan: SamplingPlan, seed: int, tickets: list[tuple[int, int] | tuple[int, int, int]]
) -> tuple[dict[int, int], AssignmentResult]:
    """Choose an auditor for each (ticket key, vendor id), taken in the given order.

    An item may carry a third value, an auditor who must not take it: a re-audit never goes
    to the auditor whose audit it scores again. Returns {ticket key: auditor id} (keys
    without an eligible auditor are absent) and the counts. Reads the pool, its conflicts and
    its open load; writes nothing.
    """
    if not tickets:
        return {}, AssignmentResult(0, 0)
    auditors = list(eligible_auditors(plan).values_list("pk", flat=True))
    if not auditors:
        return {}, AssignmentResult(
            0, len(tickets), [f"The plan has no active auditors: {len(tickets)} unassigned."]
        )
    conflicts = _conflicts(auditors)
    load = open_assignment_counts(auditors)
    heap = [(load[pk], _tiebreak(seed, pk), pk) for pk in auditors]
    heapq.heapify(heap)
    chosen_for: dict[int, int] = {}
    for key, vendor_id, *barred in tickets:
        skipped, chosen = [], None
        while heap:
            entry = heapq.heappop(heap)
            if vendor_id in conflicts.get(entry[2], ()) or entry[2] in barred:
                skipped.append(entry)
                continue
            chosen = entry
            break
        for entry in skipped:
            heapq.heappush(heap, entry)
        if chosen is None:
            continue
        chosen_for[key] = chosen[2]
        heapq.heappush(heap, (chosen[0] + 1, chosen[1], chosen[2]))
    unassigned = len(tickets) - len(chosen_for)
    notes = []
    if unassigned:
        notes.append(
            f"{unassigned} tickets are unassigned: every auditor in the pool is conflicted "
            "with their vendor"
            + (" or is the auditor being re-audited." if plan.is_reaudit else ".")
        )
    return chosen_for, AssignmentResult(len(chosen_for), unassigned, notes)


def assign_run(run: SampleRun, *, now: dt.datetime | None = None) -> AssignmentResult:
    """Assign a finished run's still-unassigned tickets (e.g. after the pool changed).

    The draw assigns as it writes; this is for the leftovers, in the same order and by the
    same rule, one UPDATE per auditor and chunk. Not for re-audit runs: their audits are
    opened with the draw, so a lead assigns a leftover on its audit page (reassign).
    """
    if run.plan.is_reaudit:
        raise ValueError("A re-audit run's unassigned audits are assigned on their audit page.")
    now = now or timezone.now()
    rows = list(
        SampledTicket.objects.filter(run=run, auditor__isnull=True)
        .order_by("draw_rank", "stratum__position")
        .values_list("pk", "ticket__vendor_id")
    )
    chosen_for, result = assign_tickets(run.plan, run.seed, rows)
    by_auditor: dict[int, list[int]] = defaultdict(list)
    for pk, auditor_pk in chosen_for.items():
        by_auditor[auditor_pk].append(pk)
    due = now + dt.timedelta(days=run.plan.audit_due_days)
    for auditor_pk, pks in by_auditor.items():
        for start in range(0, len(pks), UPDATE_CHUNK):
            SampledTicket.objects.filter(pk__in=pks[start : start + UPDATE_CHUNK]).update(
                auditor_id=auditor_pk, assigned_at=now, due_at=due
            )
    SampleRun.objects.filter(pk=run.pk).update(
        unassigned_count=SampledTicket.objects.filter(run=run, auditor__isnull=True).count()
    )
    return result


def _conflicts(auditor_ids: list[int]) -> dict[int, set[int]]:
    through = get_user_model().conflicted_vendors.through
    conflicts: dict[int, set[int]] = defaultdict(set)
    for user_id, vendor_id in through.objects.filter(user_id__in=auditor_ids).values_list(
        "user_id", "vendor_id"
    ):
        conflicts[user_id].add(vendor_id)
    return conflicts


def _tiebreak(seed: int, auditor_pk: int) -> bytes:
    return hashlib.blake2b(f"{seed}:{auditor_pk}".encode(), digest_size=8).digest()
