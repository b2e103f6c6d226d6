"""Each vendor's and the whole program's estimate sums, week by week (``WeekSums``).

A program-wide page totals every stratum of its period: a quarter of a large program is tens
of thousands of (domain, stratum) rows to group, join and sum for each estimate, and the
overview, the trends and the error themes each ask for several. ``stats.DomainSums`` are
additive over strata, so the rollups keep them per vendor and week and per week for the
whole program, and those pages add a few rows instead:

* a domain within one week (a trend's point, a p-chart's, a vendor's week) is its row;
* a vendor's or the program's longer period is the sum of its weeks' rows when no stratum
  has cells in two of those weeks (each stratum's terms are then in exactly one row). That
  holds for weekly sample runs; ``StratumTotal`` keeps each stratum's first and last week, so
  one indexed lookup tells. Otherwise, and for any other scope or breakdown (a site, a
  workflow, an agent), ``estimates.domain_outcomes`` totals the cells as before.

The rows are ``domain_sums.domain_sum_rows`` of the vendor cells, the very sums the cells would
give (tested against them), over every error category known when they were computed; a
category added since is not in them, and a page asking for it totals the cells until the next
refresh or rebuild recomputes the rows.

Kept by ``rollups.cells``: a refresh recomputes the weeks of its strata's cells (their
n_h changed, so every domain they touch did), a rebuild all weeks. On PostgreSQL a refresh
takes a transaction-level advisory lock per week, in order, before it reads the cells, so two
refreshes of the same week run one after the other and the later one reads the later cells.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
from django.db import connection
from django.db.models import F, Q

from .domain_sums import COLUMN_SUMS, SHARED_SUMS, Scope, category_slugs, domain_sum_rows
from .models import StratumTotal, VendorCell, WeekSums

# The first key of this module's PostgreSQL advisory locks (the second is the week's ordinal).
WEEK_LOCK = 0x5EC5


def refresh_week_sums(weeks: Iterable[dt.date]) -> None:
    """Recompute the rows of ``weeks`` (Mondays) from the vendor cells."""
    weeks = sorted(set(weeks))
    if not weeks:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for week in weeks:  # in order: two refreshes never wait on each other in a circle
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                               [WEEK_LOCK, week.toordinal()])
    WeekSums.objects.filter(week__in=weeks).delete()
    _insert(Q(week__in=weeks), (weeks[0], weeks[-1]))


def rebuild_week_sums() -> None:
    """Recompute every row from the vendor cells."""
    WeekSums.objects.all().delete()
    _insert(Q())


def _insert(cells: Q, weeks: tuple[dt.date, dt.date] | None = None) -> None:
    slugs = category_slugs()
    rows = [
        WeekSums(vendor_id=vendor, week=week, audits=int(sums[0]), sums=_named(sums, slugs))
        for vendor, week, *sums in domain_sum_rows(VendorCell, cells, ("vendor", "week"), slugs,
                                                   weeks)
    ]
    rows += [
        WeekSums(vendor_id=None, week=week, audits=int(sums[0]), sums=_named(sums, slugs))
        for week, *sums in domain_sum_rows(VendorCell, cells, ("week",), slugs, weeks)
    ]
    WeekSums.objects.bulk_create(rows, batch_size=1000)


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
