"""The population a plan samples from: its tickets in a window, and their count per stratum.

Everything here is a queryset or one grouped query: the population is counted and later drawn
in the database, never loaded into Python (10 million tickets a month is the scale planned).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.formats import moment
from tickets.models import Ticket
from vendors.models import Agent, Site, Vendor, Workflow

from .models import STRATUM_FIELDS, SampledTicket, SampleRun, SamplingPlan

WindowKind = SamplingPlan.WindowKind


@dataclass(frozen=True)
class Window:
    """A half-open interval [start, end) of handling time, as aware UTC datetimes."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if timezone.is_naive(self.start) or timezone.is_naive(self.end):
            raise ValueError("A sampling window needs timezone-aware start and end.")
        if self.end <= self.start:
            raise ValueError("A sampling window must end after it starts.")

    @property
    def label(self) -> str:
        return f"{moment(self.start)} → {moment(self.end)} UTC"


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    # zoneinfo resolves a local wall time to the right offset (fold=0 on the rare ambiguous
    # midnight), so a window over a DST change is 23 or 25 hours long, as the day was.
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def resolve_window(kind: str, tz_name: str, now: dt.datetime | None = None) -> Window:
    """The concrete window a plan's window kind means at ``now``, in the plan's timezone.

    Every kind ends at a local midnight on or before ``now`` so a scheduled draw only ever
    covers whole, finished days: "yesterday" is the last full local day, "last 7/30 days" the
    7/30 full days ending today at 00:00, "last week" the previous Monday-to-Sunday week and
    "last month" the previous calendar month.
    """
    zone = ZoneInfo(tz_name)
    now = now or timezone.now()
    today = now.astimezone(zone).date()
    if kind == WindowKind.YESTERDAY:
        first, last = today - dt.timedelta(days=1), today
    elif kind == WindowKind.LAST_7_DAYS:
        first, last = today - dt.timedelta(days=7), today
    elif kind == WindowKind.LAST_30_DAYS:
        first, last = today - dt.timedelta(days=30), today
    elif kind == WindowKind.LAST_WEEK:
        this_monday = today - dt.timedelta(days=today.weekday())
        first, last = this_monday - dt.timedelta(days=7), this_monday
    elif kind == WindowKind.LAST_MONTH:
        last = today.replace(day=1)
        first = (last - dt.timedelta(days=1)).replace(day=1)
    else:
        choices = ", ".join(WindowKind.values)
        raise ValueError(f"Unknown window kind {kind!r}; use one of {choices}.")
    return Window(_local_midnight(first, zone), _local_midnight(last, zone))


def filtered_tickets(
    *,
    vendor_ids: Iterable[int] = (),
    site_ids: Iterable[int] = (),
    workflow_ids: Iterable[int] = (),
    decisions: Iterable[str] = (),
    automation: str = SamplingPlan.Automation.ANY,
    window: Window | None = None,
) -> QuerySet[Ticket]:
    """Tickets matching a population filter given as plain values (empty = no restriction).

    Shared by the plan's draw and the planner page, so both count the same population.
    """
    tickets = Ticket.objects.all()
    if vendor_ids := list(vendor_ids):
        tickets = tickets.filter(vendor_id__in=vendor_ids)
    if site_ids := list(site_ids):
        tickets = tickets.filter(site_id__in=site_ids)
    if workflow_ids := list(workflow_ids):
        tickets = tickets.filter(workflow_id__in=workflow_ids)
    if decisions := list(decisions):
        tickets = tickets.filter(decision__in=decisions)
    if automation == SamplingPlan.Automation.MANUAL:
        tickets = tickets.filter(automated=False)
    elif automation == SamplingPlan.Automation.AUTOMATED:
        tickets = tickets.filter(automated=True)
    if window is not None:
        tickets = tickets.filter(handled_at__gte=window.start, handled_at__lt=window.end)
    return tickets.order_by()


def plan_filter(plan: SamplingPlan) -> dict:
    """The plan's population filter as plain values (also frozen into each run)."""
    return {
        "vendor_ids": sorted(plan.vendors.values_list("pk", flat=True)),
        "site_ids": sorted(plan.sites.values_list("pk", flat=True)),
        "workflow_ids": sorted(plan.workflows.values_list("pk", flat=True)),
        "decisions": sorted(plan.decision_types or []),
        "automation": plan.automation,
    }


def drawn_in_window(window: Window, *, except_run: SampleRun | None = None
                    ) -> QuerySet[SampledTicket]:
    """The sampled tickets of every run, of any plan, whose window overlaps ``window``
    (``except_run`` left out): the tickets no later draw over ``window`` may take again.

    A ticket sits in the window of each run that drew it, so only overlapping runs can hold a
    ticket of ``window``; restricting to them keeps the set small however long the history.
    Every run counts whatever its status: a draw writes its sampled tickets and its ``done``
    status in one transaction, and a failed or requeued run holds none.

    Only ticket samples count. A re-audit run's sampled tickets are the tickets of the
    finalised audits it drew to score again: the original run drew them, by design, and they
    neither block a later ticket sample nor are blocked by the original (a re-audit run's
    window is of finalisation, not handling). Re-audits have their own rule, an audit is
    re-audited at most once (``audits.reaudits.drawing``).
    """
    drawn = SampledTicket.objects.filter(
        run__window_start__lt=window.end,
        run__window_end__gt=window.start,
        run__plan__kind=SamplingPlan.Kind.TICKETS,
    )
    if except_run is not None:
        drawn = drawn.exclude(run=except_run)
    return drawn


def not_yet_drawn(
    tickets: QuerySet[Ticket], window: Window, *, except_run: SampleRun | None = None
) -> QuerySet[Ticket]:
    """``tickets`` less those any run over an overlapping window drew: one NOT EXISTS (an
    anti-join in the database), never a list of ids in Python."""
    drawn = drawn_in_window(window, except_run=except_run).filter(ticket_id=OuterRef("pk"))
    return tickets.filter(~Exists(drawn))


def plan_population(
    plan: SamplingPlan, window: Window, *, run: SampleRun | None = None
) -> QuerySet[Ticket]:
    """The tickets a run of ``plan`` over ``window`` may draw.

    Tickets already drawn by any other run, of this plan or of any other, are left out, so a
    ticket is audited at most once across the program: a second seed over the same window is
    a supplementary sample, and two plans whose populations overlap (a whole-vendor plan and a
    workflow deep dive over the same week) share the overlap instead of auditing it twice.
    The run reports how many tickets were left out, and why (``window_exclusions``).
    """
    tickets = filtered_tickets(**plan_filter(plan), window=window)
    return not_yet_drawn(tickets, window, except_run=run)


@dataclass(frozen=True)
class Exclusions:
    """Tickets of a plan's filtered window left out of a run's population because an earlier
    run drew them: by another run of the same plan, or only by other plans."""

    same_plan: int = 0
    other_plans: int = 0


def window_exclusions(
    plan: SamplingPlan, window: Window, *, run: SampleRun | None = None
) -> Exclusions:
    """How many tickets of ``plan``'s filter in ``window`` ``plan_population`` leaves out, and
    why, in ONE aggregate query over the drawn tickets (PostgreSQL looks each up in the window
    by its key, so the cost follows the tickets drawn rather than the window): the distinct
    tickets some other run drew, and those a run of this plan drew; the rest only other plans
    drew."""
    tickets = filtered_tickets(**plan_filter(plan), window=window)
    counts = drawn_in_window(window, except_run=run).filter(ticket__in=tickets).aggregate(
        total=Count("ticket_id", distinct=True),
        same_plan=Count("ticket_id", distinct=True, filter=Q(run__plan=plan)),
    )
    return Exclusions(counts["same_plan"], counts["total"] - counts["same_plan"])


@dataclass(frozen=True)
class StratumCount:
    """One stratum of a population: its value for each strata key and its size N_h."""

    values: dict[str, object]
    population: int
    label: str = ""
    key: tuple = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", tuple(self.values.items()))


def stratum_counts(tickets: QuerySet[Ticket], strata_keys: list[str]) -> list[StratumCount]:
    """N_h for every stratum present in ``tickets``, in ONE grouped query, sorted by label.

    With no strata keys the whole population is one stratum. Labels are looked up in bulk
    (one query per key kind), so the cost grows with the number of strata, not tickets.
    """
    columns = [STRATUM_FIELDS[key] for key in strata_keys]
    if not columns:
        total = tickets.count()
        return [StratumCount({}, total, "All tickets")] if total else []
    rows = tickets.order_by().values(*columns).annotate(population=Count("pk"))
    return _labelled(strata_keys, [
        ({key: row[STRATUM_FIELDS[key]] for key in strata_keys}, row["population"])
        for row in rows
    ])


def population_counts(
    plan: SamplingPlan, window: Window, strata_keys: list[str], *, run: SampleRun | None = None
) -> tuple[list[StratumCount], Exclusions]:
    """What ``stratum_counts(plan_population(…))`` and ``window_exclusions`` give, from ONE
    pass over the plan's filtered window: each ticket is joined to the tickets other runs over
    an overlapping window drew (grouped by ticket, with whether a run of this plan drew it),
    and counted per stratum as in the population, left out for this plan, or left out for
    another plan. The draw's cost then follows one scan of the window, not two plus a lookup
    per drawn ticket (docs/benchmarks.md)."""
    columns = [STRATUM_FIELDS[key] for key in strata_keys]
    tickets = filtered_tickets(**plan_filter(plan), window=window).values("pk", *columns)
    drawn = drawn_in_window(window, except_run=run).order_by().values("ticket_id", "run__plan_id")
    tickets_sql, tickets_params = tickets.query.sql_with_params()
    drawn_sql, drawn_params = drawn.query.sql_with_params()
    qn = connection.ops.quote_name
    group = ", ".join(f"t.{qn(column)}" for column in columns)
    # Raw SQL only joins the ORM's two compiled queries; it reads no other table.
    sql = (
        f"SELECT {group + ', ' if group else ''}"
        f"COUNT(*) FILTER (WHERE d.{qn('ticket_id')} IS NULL), "
        f"COUNT(*) FILTER (WHERE d.{qn('same_plan')}), "
        f"COUNT(*) FILTER (WHERE NOT d.{qn('same_plan')}) "
        f"FROM ({tickets_sql}) t LEFT JOIN ("
        f"SELECT x.{qn('ticket_id')}, MAX(CASE WHEN x.{qn('run__plan_id')} = %s THEN 1 ELSE 0 END)"
        f" = 1 AS {qn('same_plan')} FROM ({drawn_sql}) x GROUP BY x.{qn('ticket_id')}"
        f") d ON d.{qn('ticket_id')} = t.{qn('pk')}"
        + (f" GROUP BY {group}" if group else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*tickets_params, int(plan.pk), *drawn_params])
        rows = cursor.fetchall()
    width = len(columns)
    same_plan = sum(row[width + 1] for row in rows)
    other_plans = sum(row[width + 2] for row in rows)
    present = [row for row in rows if row[width]]
    if not columns:
        total = present[0][0] if present else 0
        counts = [StratumCount({}, total, "All tickets")] if total else []
    else:
        counts = _labelled(strata_keys, [
            (dict(zip(strata_keys, row[:width], strict=True)), row[width]) for row in present
        ])
    return counts, Exclusions(same_plan, other_plans)


def _labelled(strata_keys: list[str], raw: list[tuple[dict, int]]) -> list[StratumCount]:
    """StratumCounts of (values, N_h) pairs with readable labels, sorted by label."""
    names = _names(strata_keys, [values for values, _ in raw])
    counts = [
        StratumCount(values, population, " · ".join(names[k](v) for k, v in values.items()))
        for values, population in raw
    ]
    return sorted(counts, key=lambda stratum: (stratum.label, str(stratum.key)))


_MODELS = {"vendor": Vendor, "site": Site, "workflow": Workflow, "agent": Agent}


def _names(strata_keys: list[str], rows: list[dict]) -> dict:
    """For each key, a function from stratum value to a readable name."""
    namers = {}
    for key in strata_keys:
        if key in _MODELS:
            ids = {values[key] for values in rows}
            objects = _MODELS[key].objects.select_related(
                *(["vendor"] if key in ("site", "agent") else [])
            ).in_bulk(ids)
            short = key == "site" and "vendor" in strata_keys
            namers[key] = lambda value, objects=objects, key=key, short=short: _object_name(
                key, objects.get(value), value, short
            )
        else:
            namers[key] = lambda value: str(value) if value else "(none)"
    return namers


def _object_name(key: str, obj, value, short: bool) -> str:
    if obj is None:
        return f"{key} #{value}"
    if key == "site" and not short:
        return f"{obj.vendor.name} {obj.name}"
    if key == "agent":
        return f"agent {obj.external_id}"
    return obj.name
