"""A replacement for a skipped sampled ticket: the next ticket of the same stratum.

The run selected the n_h lowest-ranked tickets of each stratum in its seeded order
(``sampling.selection``). When a lead skips one (non-response: the content is gone, the
ticket is unauditable), the natural substitute is the next ticket in that same order: the
lowest-ranked ticket of the stratum that no run, of this plan or another, has drawn yet (a
ticket is audited at most once across the program, as in the draw). Taking the next one of
the same random order keeps the completed audits a simple random sample of the stratum when
skips are unrelated to the outcome; when they are not, the run report's per-stratum skipped
counts are there to say so.

A risk-weighted stratum gets no replacement: its skips stay non-response (the run report
adjusts its weights for them). The replacement keeps the stratum's inclusion probability and
is written with the next draw rank of the stratum; the stratum's planned n_h (``allocated``)
and ``drawn`` are unchanged.
"""

from __future__ import annotations

import copy
import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .assignment import assign_tickets
from .drawing import hold_draws_lock_in_transaction
from .models import SampledTicket, SampleRun
from .population import Window, filtered_tickets, not_yet_drawn, plan_filter
from .selection import select_sample


def draw_replacement(skipped: SampledTicket, *, now: dt.datetime | None = None
                     ) -> SampledTicket | None:
    """A new sampled ticket in ``skipped``'s stratum, assigned, or None when the stratum has
    no ticket left to draw.

    The auditor is the skipped assignment's, unless they are conflicted with the new
    ticket's vendor; then the plan's least-loaded eligible auditor (``assign_tickets``);
    with none, the replacement stays unassigned and the run counts it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # One replacement at a time per run, so two leads cannot draw the same next ticket.
        run = SampleRun.objects.select_for_update().select_related("plan").get(
            pk=skipped.run_id
        )
        if run.plan.is_reaudit or skipped.stratum.risk_weighted:
            # A re-audit run drew audits, not tickets: there is no next ticket to take. A
            # risk-weighted (Poisson) stratum has no "next" ticket either: each ticket was drawn
            # on its own, and a substitute would carry no known π; the skip stays non-response.
            return None
        # And none while any draw is writing: it could take the same ticket.
        hold_draws_lock_in_transaction()
        stratum = skipped.stratum
        keys = list(run.parameters.get("strata_keys") or [])
        found = _next_ticket(run, stratum, keys)
        if found is None:
            return None
        ticket_id, vendor_id = found
        auditor_id = _auditor_for(run, skipped, ticket_id, vendor_id)
        last_rank = stratum.sampled_tickets.aggregate(last=Max("draw_rank"))["last"] or 0
        replacement = SampledTicket.objects.create(
            run=run, stratum=stratum, ticket_id=ticket_id, draw_rank=last_rank + 1,
            inclusion_probability=skipped.inclusion_probability, auditor_id=auditor_id,
            assigned_at=now if auditor_id else None,
            due_at=(now + dt.timedelta(days=run.plan.audit_due_days)) if auditor_id else None,
        )
        if auditor_id is None:
            SampleRun.objects.filter(pk=run.pk).update(
                unassigned_count=SampledTicket.objects.filter(run=run, auditor__isnull=True)
                .count()
            )
    return replacement


def _next_ticket(run: SampleRun, stratum, keys: list[str]) -> tuple[int, int] | None:
    """(ticket id, vendor id) of the stratum's lowest-ranked ticket not drawn yet by any run
    over an overlapping window, of any plan (this run included), or None."""
    window = Window(run.window_start, run.window_end)
    frozen = run.parameters.get("filter") or plan_filter(run.plan)
    tickets = not_yet_drawn(filtered_tickets(**frozen, window=window), window)
    # The stratum itself, asking for one ticket: the same seeded order the draw used.
    wanted = copy.copy(stratum)
    wanted.allocated = 1
    try:
        selected = select_sample(tickets, keys, [wanted], run.seed)
    except RuntimeError:  # the stratum has no undrawn ticket left
        return None
    if not selected:
        return None
    return selected[0].ticket_id, selected[0].vendor_id


def _auditor_for(run: SampleRun, skipped: SampledTicket, ticket_id: int, vendor_id: int
                 ) -> int | None:
    auditor = skipped.auditor
    if auditor is not None and auditor.is_active and not auditor.conflicted_vendors.filter(
        pk=vendor_id
    ).exists():
        return auditor.pk
    chosen, _ = assign_tickets(run.plan, run.seed, [(ticket_id, vendor_id)])
    return chosen.get(ticket_id)
