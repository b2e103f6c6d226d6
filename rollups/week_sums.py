"""Each vendor's and the whole program's estimate sums, week by week (``WeekSums``).

``stats.DomainSums`` are additive over strata, so a page reading a vendor's or the program's
weeks adds a few stored rows instead of totalling tens of thousands of (domain, stratum) rows
per estimate; ``summed_rows`` says when that is exact (otherwise the estimates total the cells).
Additivity also keeps the rows cheap to refresh: each is the sum of its sample runs' parts
(``RunWeekSums``), and a refresh recomputes from the vendor cells only the runs' parts its
audits changed, then adds the touched rows up again. docs/architecture.md ("The rollups") has
the rules and the locking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
from django.db import connection
from django.db.models import F, Max, Min, Q

from .domain_sums import COLUMN_SUMS, SHARED_SUMS, Scope, category_slugs, domain_sum_rows
from .models import RunWeekSums, StratumTotal, VendorCell, WeekSums
from .registry import roomy_aggregates

# The first key of this module's PostgreSQL advisory locks (the second is the week's ordinal).
WEEK_LOCK = 0x5EC5


def refresh_week_sums(parts: Iterable[tuple[int, dt.date, int]],
                      slugs: list[str] | None = None) -> None:
    """Recompute the given (vendor, week, run) parts from the vendor cells, the program's
    parts of the same weeks and runs, then the vendors' and the program's rows of those weeks
    that they add up to, counting the error categories ``slugs`` (None: the categories there
    are). A part or row left without cells is deleted."""
    parts = set(parts)
    if not parts:
        return
    weeks = sorted({week for _vendor, week, _run in parts})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for week in weeks:  # in order: two refreshes never wait on each other in a circle
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                               [WEEK_LOCK, week.toordinal()])
    roomy_aggregates()  # a busy run may have thousands of strata to group
    slugs = category_slugs() if slugs is None else slugs
    # The box of weeks × runs × vendors holding the parts: one cheap filter, however many
    # parts; only the parts themselves are deleted and written.
    box = {"week__in": weeks, "vendor_id__in": sorted({vendor for vendor, _, _ in parts})}
    runs = sorted({run for _vendor, _week, run in parts})
    _delete_parts(RunWeekSums.objects.filter(**box, run__in=runs), parts)
    _insert_vendor_parts(Q(**box, stratum__run__in=runs), slugs, (weeks[0], weeks[-1]), parts)
    _insert_program_parts({(week, run) for _vendor, week, run in parts}, slugs)
    rows = Q(week__in=weeks, vendor__isnull=True)
    for week in weeks:
        rows |= Q(week=week, vendor_id__in=sorted({v for v, w, _ in parts if w == week}))
    _add_up(rows)


def rebuild_week_sums() -> None:
    """Recompute every part and row from the vendor cells."""
    rebuild_run_parts()
    _add_up(Q())


def rebuild_run_parts() -> None:
    """Recompute every run's part from the vendor cells, leaving the rows as they are (they
    already hold the parts' sums; the migration that brought the parts calls this alone)."""
    RunWeekSums.objects.all().delete()
    slugs = category_slugs()
    _insert_vendor_parts(Q(), slugs)
    _insert_program_parts(None, slugs)


def _delete_parts(stored, parts: set[tuple]) -> None:
    """Delete the rows of ``stored`` whose (vendor, week, run) is one of ``parts``."""
    doomed = [pk for pk, *key in stored.values_list("pk", "vendor_id", "week", "run_id")
              if tuple(key) in parts]
    if doomed:
        RunWeekSums.objects.filter(pk__in=doomed).delete()


def _insert_vendor_parts(cells: Q, slugs: list[str],
                         weeks: tuple[dt.date, dt.date] | None = None,
                         parts: set[tuple] | None = None) -> None:
    """Write the (vendor, week, run) parts of the vendor cells ``cells`` (only ``parts``,
    when given)."""
    RunWeekSums.objects.bulk_create(
        [RunWeekSums(vendor_id=vendor, week=week, run_id=run, audits=round(sums[0]),
                     sums=_named(sums, slugs))
         for vendor, week, run, *sums in domain_sum_rows(
             VendorCell, cells, ("vendor", "week", "run"), slugs, weeks)
         if parts is None or (vendor, week, run) in parts],
        batch_size=1000,
    )


def _insert_program_parts(week_runs: set[tuple[dt.date, int]] | None, slugs: list[str]) -> None:
    """Write the program's parts of ``week_runs`` (None: every week and run, none stored yet),
    after the vendors'. Where each of the run's strata has one vendor's cells that week, its
    terms are in exactly one vendor's part, so the program's part is their sum; otherwise it
    is totalled from the cells."""
    if week_runs is not None and not week_runs:
        return
    cells, stored = Q(), RunWeekSums.objects.all()
    if week_runs is not None:
        weeks, runs = sorted({w for w, _ in week_runs}), sorted({r for _, r in week_runs})
        cells = Q(week__in=weeks, stratum__run__in=runs)
        stored = stored.filter(week__in=weeks, run__in=runs)
        _delete_parts(stored.filter(vendor__isnull=True), {(None, w, r) for w, r in week_runs})

    def wanted(week_run: tuple[dt.date, int]) -> bool:
        return week_runs is None or week_run in week_runs

    mixed = {week_run for week_run in (
        VendorCell.objects.filter(cells).order_by().values("week", "stratum__run", "stratum_id")
        .annotate(low=Min("vendor_id"), high=Max("vendor_id")).filter(low__lt=F("high"))
        .values_list("week", "stratum__run")) if wanted(week_run)}
    summed: dict[tuple[dt.date, int], list[dict]] = {}
    for week, run, sums in (stored.filter(vendor__isnull=False)
                            .order_by("week", "run_id", "vendor_id")
                            .values_list("week", "run_id", "sums")):
        if wanted((week, run)) and (week, run) not in mixed:
            summed.setdefault((week, run), []).append(sums)
    program = [RunWeekSums(vendor=None, week=week, run_id=run, **_total(sums))
               for (week, run), sums in summed.items()]
    if mixed:
        totalled = Q(week__in=sorted({w for w, _ in mixed}),
                     stratum__run__in=sorted({r for _, r in mixed}))
        program += [RunWeekSums(vendor=None, week=week, run_id=run, audits=round(sums[0]),
                                sums=_named(sums, slugs))
                    for week, run, *sums in domain_sum_rows(
                        VendorCell, totalled, ("week", "run"), slugs,
                        (min(mixed)[0], max(mixed)[0]))
                    if (week, run) in mixed]
    RunWeekSums.objects.bulk_create(program, batch_size=1000)


def _add_up(rows: Q) -> None:
    """Write the ``rows`` of ``WeekSums`` as the sums of their runs' parts (in run order, so a
    refresh and a rebuild add the same numbers in the same order)."""
    WeekSums.objects.filter(rows).delete()
    summed: dict[tuple[int | None, dt.date], list[dict]] = {}
    for vendor, week, sums in (RunWeekSums.objects.filter(rows)
                               .order_by("week", "vendor_id", "run_id")
                               .values_list("vendor_id", "week", "sums")):
        summed.setdefault((vendor, week), []).append(sums)
    WeekSums.objects.bulk_create(
        [WeekSums(vendor_id=vendor, week=week, **_total(sums))
         for (vendor, week), sums in summed.items()],
        batch_size=1000,
    )


def _total(parts: list[dict]) -> dict:
    """Parts' stored sums added up, name by name, over the categories all of them have (a
    category added since some were computed is left out, as from a row computed then)."""
    slugs = sorted(set.intersection(*(set(sums["categories"]) for sums in parts)))
    total = np.sum([_in_order(sums, slugs) for sums in parts], axis=0)
    named = _named(total.tolist(), slugs)
    return {"audits": round(named["audits"]), "sums": named}


def _named(sums: list, slugs: list[str]) -> dict:
    """A row of ``domain_sum_rows`` (after its key) as stored: every sum under its name."""
    values = iter(float(value) for value in sums)
    named = {name: next(values) for name in SHARED_SUMS}
    for attribute in ["passed", "critical_failed"]:
        named[attribute] = {name: next(values) for name in COLUMN_SUMS}
    named["categories"] = {slug: {name: next(values) for name in COLUMN_SUMS} for slug in slugs}
    return named


def _in_order(sums: dict, slugs: list[str]) -> list[float] | None:
    """A stored row's sums in ``domain_sum_rows``' order for ``slugs`` (None if a slug is not
    among the row's categories: it was added after the row was computed)."""
    if not set(slugs) <= set(sums["categories"]):
        return None
    attributes = [sums["passed"], sums["critical_failed"],
                  *(sums["categories"][slug] for slug in slugs)]
    return [*(sums[name] for name in SHARED_SUMS),
            *(attribute[name] for attribute in attributes for name in COLUMN_SUMS)]


def summed_rows(scope: Scope, dimensions: tuple[str, ...],
                slugs: list[str]) -> list[tuple] | None:
    """``domain_sums.domain_sum_rows`` of the scope's domains, added up from the week rows;
    None when the rows cannot give them (module docstring): the scope names more than a
    vendor, the breakdown more than vendor and week, a domain spans weeks a stratum spans, or
    a category asked for is not in the rows."""
    if type(scope) is not Scope or any(getattr(scope, level) is not None
                                       for level in ("site", "workflow", "agent")):
        return None
    if not set(dimensions) <= {"vendor", "week"}:
        return None
    period = scope.period
    if "week" not in dimensions and _stratum_across_weeks(period.first, period.last):
        return None
    rows = WeekSums.objects.filter(week__gte=period.first, week__lte=period.last)
    if scope.vendor is not None:
        rows = rows.filter(vendor_id=scope.vendor)
    else:
        rows = rows.filter(vendor__isnull="vendor" not in dimensions)
    totals: dict[tuple, np.ndarray] = {}
    for vendor, week, sums in rows.order_by().values_list("vendor_id", "week", "sums"):
        ordered = _in_order(sums, slugs)
        if ordered is None:
            return None
        key = tuple(vendor if name == "vendor" else week for name in dimensions)
        values = np.asarray(ordered, dtype=float)
        totals[key] = totals[key] + values if key in totals else values
    return [(*key, *values.tolist()) for key, values in totals.items()]


def _stratum_across_weeks(first: dt.date, last: dt.date) -> bool:
    """Whether any stratum has cells in two or more of the weeks first…last (as far as its
    first and last week tell: a stratum whose weeks straddle the period counts)."""
    return first < last and StratumTotal.objects.filter(
        Q(first_week__lt=F("last_week")), first_week__lt=last, last_week__gt=first,
    ).exists()
