"""The draw: count, allocate, select and assign a run's sample, all or nothing.

A run is drawn inside one transaction: its strata, sampled tickets (with their inclusion
probabilities and auditors) and its ``done`` status are written together or not at all. A retry
of a done run does nothing; a failed, queued or crashed run is redrawn from scratch; an error
rolls back and marks the run failed with the reason. Draws run one at a time across the program
(``draws_serialised``), so each sees every ticket the draws before it took, and no ticket is
drawn twice, by one plan or two (``sampling.population.plan_population``). How tickets are
chosen, and why that is a reproducible simple random sample per stratum, is in
``sampling.selection``. Asking for a run and queueing its draw (``request_run``) is in
``sampling.tasks``, which builds on this module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import Counter
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone

from accounts.progress import PERCENT, ProgressReporter
from tickets.models import Ticket

from . import ai_snapshot, events, kinds
from .allocation import Design, RunAllocation, allocate_strata, past_error_rates
from .assignment import assign_tickets
from .models import (
    PROGRESS_KIND,
    STRATUM_FIELDS,
    SampledTicket,
    SampleRun,
    SampleStratum,
    SamplingPlan,
)
from .population import (
    StratumCount,
    plan_filter,
    plan_population,
    population_counts,
)
from .population import Window as SampleWindow
from .risk_selection import WeightedSelected, select_risk_weighted
from .selection import MAX_SEED, Selected, seed_coefficients, select_sample, ticket_rank

__all__ = [
    "MAX_SEED",
    "default_seed",
    "draw_sample",
    "seed_coefficients",
    "ticket_rank",
]

logger = logging.getLogger(__name__)

_LOCK_NAMESPACE = 0x5A17  # first key of the advisory lock that serialises draws of one run
# The program-wide advisory lock every draw, and every replacement, holds while it reads the
# tickets drawn so far and writes its own (see draws_serialised).
DRAWS_LOCK = (0x5A18, 0)
WRITE_CHUNK = 1000  # rows per INSERT (two parameters each, well under SQLite's limit)
DRAW_WORK_MEM = "64MB"  # per sort or hash node of the draw's queries (_draw_work_mem)


def default_seed(plan: SamplingPlan, window: SampleWindow) -> int:
    """A seed fixed by (plan, window), so asking twice for a plan's window finds one run."""
    text = f"{plan.pk}|{window.start.isoformat()}|{window.end.isoformat()}"
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 2**31


def draw_sample(run_id: int) -> SampleRun:
    """Draw run ``run_id``: count, allocate, select, assign, all or nothing.

    Idempotent: a done run is returned untouched; a queued, running (crashed) or failed run is
    redrawn from scratch inside one transaction (earlier partial rows are deleted first, though
    the transaction means there should be none). Any error rolls back and marks the run failed
    with the reason; the run is returned either way. Two draws of one run at once (a retry
    racing the original) are serialised; the second finds the run done. Draws of different
    runs wait for each other too (``draws_serialised``): each must see the tickets the others
    drew.
    """
    with _run_lock(run_id):
        run = SampleRun.objects.get(pk=run_id)
        if run.status == SampleRun.Status.DONE:
            return run
        SampleRun.objects.filter(pk=run_id).update(
            status=SampleRun.Status.RUNNING,
            started_at=timezone.now(),
            progress=5,
            progress_message="Counting the population per stratum",
            failure_reason="",
        )
        progress = _Progress(run_id)
        outermost = not connection.in_atomic_block
        try:
            with draws_serialised(progress), transaction.atomic():
                if outermost:
                    _single_snapshot()
                _draw(SampleRun.objects.select_related("plan").get(pk=run_id), progress)
            progress(100, "Drawn")
        except Exception as error:  # noqa: BLE001 — any failure is recorded on the run
            logger.exception("Sample run %s failed", run_id)
            reason = str(error) or error.__class__.__name__
            SampleRun.objects.filter(pk=run_id).exclude(status=SampleRun.Status.DONE).update(
                status=SampleRun.Status.FAILED,
                failure_reason=f"{error.__class__.__name__}: {reason}"[:2000],
                finished_at=timezone.now(),
                progress_message="Failed",
            )
    run = SampleRun.objects.select_related("plan").get(pk=run_id)
    if run.status == SampleRun.Status.DONE:
        # Sent once the draw has committed, not inside it: what subscribers do (audits opens
        # the assigned tickets as audits) is their own transaction, and cannot undo the draw.
        events.run_drawn.send(sender=SampleRun, run=run)
    return run


def _draw(run: SampleRun, progress: _Progress) -> None:
    plan = run.plan
    if plan.kind != SamplingPlan.Kind.TICKETS:
        # A re-audit plan draws audits, which the audits app owns (sampling.kinds).
        kinds.drawer_for(plan.kind)(run, progress)
        return
    window = SampleWindow(run.window_start, run.window_end)
    design = Design.from_plan(plan)
    keys = list(plan.strata_keys or [])
    _draw_work_mem()
    SampledTicket.objects.filter(run=run).delete()
    SampleStratum.objects.filter(run=run).delete()

    tickets = plan_population(plan, window, run=run)
    counts, excluded = population_counts(plan, window, keys, run=run)
    population = sum(stratum.population for stratum in counts)
    progress(25, f"Allocating audits over {len(counts)} strata of {population} tickets")
    rates = past_error_rates(plan, counts, as_of=run.window_start)
    allocation = allocate_strata(design, counts, rates)

    progress(40, f"Selecting {allocation.total} tickets")
    weighted = plan.selection == SamplingPlan.Selection.RISK_WEIGHTED
    strata = _write_strata(run, keys, counts, allocation, risk_weighted=weighted)
    if weighted:
        selected = select_risk_weighted(tickets, keys, strata, run.seed, float(plan.risk_floor))
        _count_drawn(strata, selected)
    else:
        selected = select_sample(tickets, keys, strata, run.seed)

    progress(70, f"Assigning {len(selected)} tickets to auditors")
    position = {stratum.pk: stratum.position for stratum in strata}
    order = sorted(selected, key=lambda row: (row.draw_rank, position[row.stratum_id]))
    auditor_for, assigned = assign_tickets(
        plan, run.seed, [(row.ticket_id, row.vendor_id) for row in order]
    )
    progress(85, f"Saving {len(selected)} assignments")
    _write_sample(run, plan, strata, selected, auditor_for)
    # The model's scores as they are now: the run's AI-assisted estimates use these, so a
    # later rescoring never changes them (docs/statistics.md#ai-assisted-domain-estimates).
    ai_snapshot.keep_population_scores(tickets, keys, strata)
    if connection.vendor != "postgresql":  # there _write_sample wrote each ŷ with its row
        ai_snapshot.keep_sampled_scores(run.pk)

    finish_run(run, design, allocation, assigned, population=population, drawn=len(selected),
               strata=len(strata), message=f"Drew {len(selected)} of {population} tickets",
               excluded=excluded, strata_keys=keys, selection=plan.selection,
               **({"risk_floor": float(plan.risk_floor)} if weighted else {}))


def finish_run(run: SampleRun, design: Design, allocation, assigned, *, population: int,
               drawn: int, strata: int, message: str, excluded=None, **parameters) -> None:
    """Save ``run`` as done with what its draw decided: the plan's design and filter, the
    allocation's margins and notes, the assignment's unassigned count, the counts, and any
    draw-specific ``parameters`` (a re-audit run's kind and stratification)."""
    plan = run.plan
    run.parameters = {
        **parameters,
        "filter": plan_filter(plan),
        "window_kind": plan.window_kind,
        "window_timezone": plan.window_timezone,
        **design.as_parameters(),
        "seed_coefficients": list(seed_coefficients(run.seed)),
        "notes": allocation.notes + assigned.notes,
    }
    run.population_size = population
    run.excluded_same_plan = excluded.same_plan if excluded else 0
    run.excluded_other_plans = excluded.other_plans if excluded else 0
    run.sample_size = drawn
    run.strata_count = strata
    run.planned_margin = allocation.planned_margin
    run.achieved_margin = allocation.achieved_margin
    run.unassigned_count = assigned.unassigned
    run.status = SampleRun.Status.DONE
    run.progress = 100
    run.progress_message = message
    run.failure_reason = ""
    run.finished_at = timezone.now()
    run.save()


def _write_strata(
    run: SampleRun, keys: list[str], counts: list[StratumCount], allocation: RunAllocation,
    *, risk_weighted: bool = False,
) -> list[SampleStratum]:
    rows = []
    for position, stratum in enumerate(counts):
        planned = allocation.per_stratum[stratum.key]
        columns = {STRATUM_FIELDS[key]: value for key, value in stratum.values.items()}
        rows.append(
            SampleStratum(
                run=run,
                position=position,
                label=stratum.label[:400],
                population=stratum.population,
                allocated=planned.allocated,
                # select_sample fails the run if any stratum falls short; a Poisson sample's
                # size is counted once drawn (_count_drawn).
                drawn=0 if risk_weighted else planned.allocated,
                risk_weighted=risk_weighted,
                expected_rate=planned.expected_rate,
                stddev=planned.stddev,
                cost=planned.cost,
                **columns,
            )
        )
    return SampleStratum.objects.bulk_create(rows, batch_size=500)


def _count_drawn(strata: list[SampleStratum], selected: list[WeightedSelected]) -> None:
    """Save each risk-weighted stratum's drawn size (random; its expectation is ``allocated``)."""
    drawn = Counter(row.stratum_id for row in selected)
    for stratum in strata:
        stratum.drawn = drawn[stratum.pk]
    SampleStratum.objects.bulk_update(strata, ["drawn"], batch_size=500)


def _write_sample(
    run: SampleRun,
    plan: SamplingPlan,
    strata: list[SampleStratum],
    selected: list[Selected] | list[WeightedSelected],
    auditor_for: dict[int, int],
) -> None:
    """Write the selected tickets, auditor included, each row once (assigning afterwards
    would rewrite every row and its indexes).

    On PostgreSQL one ``INSERT … SELECT`` from arrays (``unnest``): the sample travels as five
    array parameters, whatever its size, and each row takes its ticket's model score ŷ as it is
    in the draw's snapshot (``sampling.ai_snapshot``; rewriting the rows afterwards cost as much
    as writing them). Elsewhere multi-row INSERTs of ``WRITE_CHUNK`` rows.
    Either way no model instances: building tens of thousands of them costs more than the
    database spends writing them. Every value is an int or float produced here, except the two
    timestamps, which go as parameters. A risk-weighted ticket keeps its own π_i; any other its
    stratum's n_h / N_h.
    """
    now = timezone.now()
    due = now + dt.timedelta(days=plan.audit_due_days)
    probability = {s.pk: s.inclusion_probability for s in strata if s.population}
    stamps = [
        connection.ops.adapt_datetimefield_value(now),
        connection.ops.adapt_datetimefield_value(due),
    ]
    qn = connection.ops.quote_name
    columns = ", ".join(
        qn(name)
        for name in (
            "run_id", "stratum_id", "ticket_id", "draw_rank", "inclusion_probability",
            "auditor_id", "assigned_at", "due_at",
        )
    )
    table = qn(SampledTicket._meta.db_table)

    def pi(row) -> float:
        return float(row.probability if isinstance(row, WeightedSelected)
                     else probability[row.stratum_id])

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if not selected:
                return
            auditors = [auditor_for.get(row.ticket_id) for row in selected]
            cursor.execute(
                f"INSERT INTO {table} ({columns}, {qn('ai_score')}) "
                "SELECT %s, u.s, u.t, u.r, u.p, u.a, "
                "CASE WHEN u.a IS NULL THEN NULL ELSE %s::timestamptz END, "
                "CASE WHEN u.a IS NULL THEN NULL ELSE %s::timestamptz END, "
                f"k.{qn('ai_score')} "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::integer[], %s::float8[], "
                "%s::bigint[]) AS u (s, t, r, p, a) "
                f"INNER JOIN {qn(Ticket._meta.db_table)} k ON k.{qn('id')} = u.t",
                [
                    int(run.pk), *stamps,
                    [int(row.stratum_id) for row in selected],
                    [int(row.ticket_id) for row in selected],
                    [int(row.draw_rank) for row in selected],
                    [pi(row) for row in selected],
                    [None if auditor is None else int(auditor) for auditor in auditors],
                ],
            )
            return
        insert = f"INSERT INTO {table} ({columns}) VALUES "
        for start in range(0, len(selected), WRITE_CHUNK):
            rows, params = [], []
            for row in selected[start : start + WRITE_CHUNK]:
                known = (
                    f"{int(run.pk)}, {int(row.stratum_id)}, {int(row.ticket_id)}, "
                    f"{int(row.draw_rank)}, {pi(row)!r}"
                )
                auditor = auditor_for.get(row.ticket_id)
                if auditor is None:
                    rows.append(f"({known}, NULL, NULL, NULL)")
                else:
                    rows.append(f"({known}, {int(auditor)}, %s, %s)")
                    params.extend(stamps)
            cursor.execute(insert + ", ".join(rows), params)


def _draw_work_mem() -> None:
    """On PostgreSQL, give the draw's transaction ``DRAW_WORK_MEM`` per sort or hash: the
    tickets earlier runs drew (hundreds of thousands over a busy window) are hashed once per
    parallel worker, and at the server's default 4 MB that hash spills to disk in batches
    (docs/benchmarks.md). SET LOCAL: back to the default when the draw commits."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{DRAW_WORK_MEM}'")


def _single_snapshot() -> None:
    """On PostgreSQL, count and draw from one snapshot (REPEATABLE READ), so N_h and the
    tickets drawn agree even while an import commits tickets into the window. Must be the
    transaction's first statement, so it is only issued when the draw's transaction is the
    outermost one (not inside a test's). Nothing else writes the run's row meanwhile: progress
    goes to the cache, the task id is saved before the task is sent."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")


@contextmanager
def draws_serialised(progress: _Progress | None = None):
    """Hold the program-wide draw lock (a PostgreSQL session advisory lock) for the block.

    A draw reads which tickets earlier runs drew and writes its own; two draws at once (two
    plans scheduled at 06:00 on two workers) would each miss the other's tickets and could
    both take one ticket. So every draw, of any plan, holds this lock from before its snapshot
    until its transaction has committed; a replacement draw holds it inside its transaction
    (``sampling.replacement``). A draw takes seconds (docs/benchmarks.md), so waiting is short;
    while it waits, its progress says so. Released on exit, or by the server if the worker
    dies. SQLite serialises writers by itself: a draw that loses the race fails and is redrawn.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", list(DRAWS_LOCK))
        if not cursor.fetchone()[0]:
            if progress is not None:
                progress(5, "Waiting for another draw to finish")
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", list(DRAWS_LOCK))
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", list(DRAWS_LOCK))


def hold_draws_lock_in_transaction() -> None:
    """Take the program-wide draw lock until the current transaction ends (a replacement
    draw, inside its skip's transaction, at READ COMMITTED: its next statements see every
    draw committed before the lock was granted). No-op on SQLite."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(DRAWS_LOCK))


@contextmanager
def _run_lock(run_id: int):
    """A PostgreSQL session advisory lock on the run, taken before the draw's snapshot so a
    second drawer waits and then sees the first one's result. Released on exit, or by the
    server if the worker dies. SQLite serialises writers by itself."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, run_id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, run_id])


class _Progress:
    """Live progress of a draw whose writes are still one open transaction: kept in the cache
    (Redis when configured, shared by web and workers) as an ``accounts.progress`` record
    under the run's key, read back by ``SampleRun.live_progress``. A draw is a few set-based
    steps, so it counts in percent; the run's row holds the start (5%) and the end (100%). The
    last record is left to expire: after a failure it says how far the draw got."""

    def __init__(self, run_id: int) -> None:
        self.reporter = ProgressReporter(PROGRESS_KIND, run_id)
        self.reporter.phase("Counting the population per stratum", 100, PERCENT)

    def __call__(self, percent: int, message: str) -> None:
        self.reporter.update(percent, step=message[:200])
