"""The draw of a re-audit run: finalised audits, stratified by auditor, each opened as a blind
re-audit for someone else.

Registered with ``sampling.kinds`` for re-audit plans, so it runs inside ``draw_sample``'s
transaction, under its program-wide draw lock and its failure handling: strata, sampled
tickets, re-audits and the run's ``done`` state are written together or not at all.

The population of a run over window [start, end) (docs/statistics.md, Re-audits):

* audits in status *final* whose ``finalised_at`` falls in the window (a finalised audit is
  the verdict that counted; the window is of finalisation, not of handling, so a run covers
  the judgments QA settled in that period, wherever the ticket's handling week lies);
* sampled audits (an ad-hoc audit was chosen by a person, not drawn) by an auditor who is
  still active, of tickets matching the plan's population filter;
* never a re-audit, and never an audit already re-audited by any earlier run of any re-audit
  plan: an audit is re-audited at most once (the one-to-one ``reaudit_of`` also refuses a
  second in the database).

The "ticket drawn once" rule of ticket samples does not apply: every ticket here was drawn by
the run that sampled it, by design (``sampling.population.drawn_in_window`` ignores re-audit
runs for the same reason).

Each auditor is a stratum, sized on its own to the plan's margin at its confidence and expected
disagreement rate (``allocate_strata`` with ``each_stratum``: n_h = sample_size(e, conf, p,
N_h)), so each auditor's alignment comes with about the planned precision. Within a stratum
the audits are taken in the seeded order of their tickets' permanent random numbers (as ticket
samples are: ``sampling.selection``), ties by audit id.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db.models import BigIntegerField, Count, ExpressionWrapper, F, QuerySet, Value, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from sampling.allocation import Design, allocate_strata
from sampling.assignment import assign_tickets
from sampling.drawing import finish_run
from sampling.models import SampledTicket, SampleRun, SampleStratum, SamplingPlan
from sampling.population import StratumCount, filtered_tickets, plan_filter
from sampling.population import Window as SampleWindow
from sampling.selection import PRIME, seed_coefficients

from ..models import VENDOR_WORK, Audit, AuditEvent, AuditStatus

STRATUM_KEY = "auditor"


def reaudit_population(plan: SamplingPlan, window: SampleWindow) -> QuerySet[Audit]:
    """The audits a re-audit run of ``plan`` over ``window`` may draw (module docstring)."""
    tickets = filtered_tickets(**plan_filter(plan))
    return Audit.objects.filter(
        VENDOR_WORK,
        status=AuditStatus.FINAL,
        finalised_at__gte=window.start,
        finalised_at__lt=window.end,
        unsampled=False,
        auditor__isnull=False,
        auditor__is_active=True,
        reaudit__isnull=True,
        ticket__in=tickets,
    ).order_by()


def auditor_counts(audits: QuerySet[Audit]) -> list[StratumCount]:
    """N_h per auditor, in one grouped query, labelled and sorted by the auditor's email."""
    rows = audits.values("auditor_id").annotate(population=Count("pk")).order_by()
    counts = {row["auditor_id"]: row["population"] for row in rows}
    emails = dict(
        get_user_model().objects.filter(pk__in=counts).values_list("pk", "email")
    )
    strata = [
        StratumCount({STRATUM_KEY: pk}, population, emails.get(pk, f"auditor #{pk}"))
        for pk, population in counts.items()
    ]
    return sorted(strata, key=lambda stratum: (stratum.label, stratum.key))


def reaudit_design(plan: SamplingPlan) -> Design:
    """The plan's confidence, margin, expected (disagreement) rate, minimum and cap, with the
    margin applying to each auditor on their own."""
    return dataclasses.replace(
        Design.from_plan(plan),
        margin_applies_to=SamplingPlan.MarginScope.EACH_STRATUM,
        costs={},
    )


def select_audits(
    audits: QuerySet[Audit], allocated: dict[int, int], seed: int
) -> list[tuple[int, int, int, int, int]]:
    """(audit, auditor, ticket, vendor, draw rank) of the first ``allocated[auditor]`` audits
    of each auditor in the seeded order: ONE query with a window function, reading at most
    the largest n_h rows per auditor."""
    wanted = {pk: n for pk, n in allocated.items() if n}
    if not wanted:
        return []
    a, b = seed_coefficients(seed)
    rank = ExpressionWrapper(
        (F("ticket__sample_key") * Value(a) + Value(b)) % Value(PRIME),
        output_field=BigIntegerField(),
    )
    ranked = (
        audits.filter(auditor_id__in=list(wanted))
        .annotate(
            hash_rank=rank,
            draw_rank=Window(RowNumber(), partition_by=[F("auditor_id")],
                             order_by=[F("hash_rank").asc(), F("pk").asc()]),
        )
        .filter(draw_rank__lte=max(wanted.values()))
        .values_list("pk", "auditor_id", "ticket_id", "ticket__vendor_id", "draw_rank")
    )
    chosen = [row for row in ranked if row[4] <= wanted[row[1]]]
    return sorted(chosen, key=lambda row: (row[4], row[1]))


def draw_reaudit_run(run: SampleRun, progress: Callable[[int, str], None]) -> None:
    """Draw re-audit run ``run`` (module docstring): count, allocate, select, assign, open."""
    plan = run.plan
    window = SampleWindow(run.window_start, run.window_end)
    Audit.objects.filter(sampled_ticket__run=run).delete()  # none: the draw is all or nothing
    SampledTicket.objects.filter(run=run).delete()
    SampleStratum.objects.filter(run=run).delete()

    audits = reaudit_population(plan, window)
    counts = auditor_counts(audits)
    population = sum(stratum.population for stratum in counts)
    progress(25, f"Allocating re-audits over {len(counts)} auditors' {population} audits")
    design = reaudit_design(plan)
    allocation = allocate_strata(design, counts)
    strata = SampleStratum.objects.bulk_create([
        SampleStratum(
            run=run, position=position, label=stratum.label[:400],
            auditor_id=stratum.values[STRATUM_KEY], population=stratum.population,
            allocated=allocation.per_stratum[stratum.key].allocated,
            drawn=allocation.per_stratum[stratum.key].allocated,
            expected_rate=allocation.per_stratum[stratum.key].expected_rate,
            stddev=allocation.per_stratum[stratum.key].stddev,
        )
        for position, stratum in enumerate(counts)
    ])
    stratum_of = {stratum.auditor_id: stratum for stratum in strata}

    progress(40, f"Selecting {allocation.total} audits")
    selected = select_audits(
        audits, {pk: stratum.allocated for pk, stratum in stratum_of.items()}, run.seed
    )
    if len(selected) != allocation.total:
        raise RuntimeError("The audits changed under the draw; nothing was saved.")

    progress(70, f"Assigning {len(selected)} re-audits, never to their own auditor")
    re_auditor, assigned = assign_tickets(
        plan, run.seed, [(pk, vendor, auditor) for pk, auditor, _, vendor, _ in selected]
    )
    progress(85, f"Opening {len(selected)} re-audits")
    _open_reaudits(run, plan, stratum_of, selected, re_auditor)

    finish_run(run, design, allocation, assigned, population=population, drawn=len(selected),
               strata=len(strata),
               message=f"Drew {len(selected)} of {population} finalised audits to re-audit",
               kind=plan.kind, strata_keys=[], stratified_by=STRATUM_KEY)


def _open_reaudits(run, plan, stratum_of, selected, re_auditor: dict[int, int]) -> None:
    """Write the sampled tickets and, for each, the re-audit: same ticket and form version as
    the original (so every question compares), in the re-auditor's queue, or unassigned when
    nobody in the pool may take it (a lead assigns it on its page)."""
    now = timezone.now()
    due = now + dt.timedelta(days=plan.audit_due_days)
    versions = dict(
        Audit.objects.filter(pk__in=[row[0] for row in selected])
        .values_list("pk", "form_version_id")
    )
    rows = []
    for pk, auditor, ticket, _vendor, rank in selected:
        stratum = stratum_of[auditor]
        chosen = re_auditor.get(pk)
        rows.append(SampledTicket(
            run=run, stratum=stratum, ticket_id=ticket, draw_rank=rank,
            inclusion_probability=stratum.allocated / stratum.population,
            auditor_id=chosen, assigned_at=now if chosen else None,
            due_at=due if chosen else None,
        ))
    sampled = SampledTicket.objects.bulk_create(rows, batch_size=500)
    if sampled and sampled[0].pk is None:  # backends that return no ids on bulk insert
        by_ticket = dict(SampledTicket.objects.filter(run=run).values_list("ticket_id", "pk"))
        for row in sampled:
            row.pk = by_ticket[row.ticket_id]
    reaudits = Audit.objects.bulk_create([
        Audit(
            ticket_id=row.ticket_id, form_version_id=versions[original],
            auditor_id=row.auditor_id, sampled_ticket_id=row.pk, reaudit_of_id=original,
            status=AuditStatus.ASSIGNED, assigned_at=row.assigned_at or now,
            due_at=row.due_at,
        )
        for row, (original, *_rest) in zip(sampled, selected, strict=True)
    ], batch_size=500)
    if reaudits and reaudits[0].pk is None:
        reaudits = list(Audit.objects.filter(sampled_ticket__run=run))
    AuditEvent.objects.bulk_create([
        AuditEvent(audit=audit, at=now, kind=AuditEvent.Kind.ASSIGNED,
                   to_status=AuditStatus.ASSIGNED,
                   details={"run": run.pk, "reaudit_of": audit.reaudit_of_id})
        for audit in reaudits
    ], batch_size=500)
