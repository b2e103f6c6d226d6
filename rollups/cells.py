"""Keep ``AuditCell``, ``SiteCell`` and ``VendorCell`` equal to what the audits say,
incrementally and in full.

Both ways compute cells the same way: ONE grouped query per cell table over the completed
sampled audits (``unsampled`` False, status in ``SCORED_STATUSES``), grouped by the table's
key (stratum, vendor, site, workflow, UTC week, and the agent for ``AuditCell``), written with
``INSERT … SELECT`` so no audit or cell passes through Python. Counts are totals, never ±1
deltas: refreshing twice, or out of order, or after a full rebuild, writes the same rows. The
site and vendor cells are counted from the audits, not summed from the agent cells, with the
same query minus the agent (and the site); all tables are written in one transaction, so a
reader never sees one table ahead of another.

``refresh_cells(audit_ids)`` recomputes a *box* of cells per table: strata × agents ×
workflows × weeks spanned by the given audits for the agent cells, and strata × workflows ×
weeks (every agent) for the site cells. Each box is a superset of the cells those audits
touch (and of any other cell with the same key values in the box), and the same predicate
selects the cells to delete and the audits to count, so each box is always exact. Agents are
the most selective key (a ticket index on (agent, handled_at) finds them), so the agent box
stays small; the site box reads every audit of the strata in those weeks, a few dozen each.
Each refresh and rebuild then recounts its strata's totals (``StratumTotal``) and recomputes
the week sums of every week those strata have cells in (``rollups.week_sums``), so every path
that keeps cells keeps those too; ``rollups.writer`` refreshes the auditor-days of the same
audits (``rollups.productivity``) in the same transaction.

Concurrency (PostgreSQL): a refresh takes ROW EXCLUSIVE on every cell table and row locks on
its strata (FOR NO KEY UPDATE, in pk order) *before* reading audits, so two refreshes of the
same strata run one after the other and the later one reads the later data (the site box
covers only the refresh's strata, so the stratum locks order it too); a rebuild takes SHARE
ROW EXCLUSIVE on all, which waits for refreshes in flight and holds new ones back until it
commits. Tables are always locked in the same order (agent, site, then vendor cells). The
week sums take a lock per week after the cells are written (``rollups.week_sums``).
A refresh runs in a flush after the lifecycle steps commit (``rollups.writer``), so it reads
committed audits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, models, transaction
from django.db.models import (
    Count,
    DateField,
    DateTimeField,
    DecimalField,
    F,
    JSONField,
    Max,
    Min,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, JSONObject, TruncWeek
from django.utils import timezone

from audit_forms.models import ErrorCategory
from audits.models import SCORED_STATUSES, VENDOR_WORK, Audit
from sampling.models import SampleStratum

from . import week_sums
from .models import AuditCell, SiteCell, StratumTotal, VendorCell
from .registry import CELL_COUNTS, insert_grouped, lock_tables

# Cell key column → the audit's value for it (the ticket's attributes, the sampled stratum).
KEYS = {
    "stratum_id": F("sampled_ticket__stratum_id"),
    "vendor_id": F("ticket__vendor_id"),
    "site_id": F("ticket__site_id"),
    "agent_id": F("ticket__agent_id"),
    "workflow_id": F("ticket__workflow_id"),
    "week": TruncWeek("ticket__handled_at", output_field=DateField(), tzinfo=dt.UTC),
}
# Each cell table → its unique key's columns, in the order cells are inserted (_insert_cells).
ORDER: dict[type[models.Model], tuple[str, ...]] = {
    AuditCell: ("stratum_id", "agent_id", "workflow_id", "week", "site_id", "vendor_id"),
    SiteCell: ("stratum_id", "workflow_id", "week", "site_id", "vendor_id"),
    VendorCell: ("stratum_id", "workflow_id", "week", "vendor_id"),
}
# Re-audits never count: they grade our auditors, not the vendor (audits.reaudits).
COMPLETED = (
    Q(unsampled=False, sampled_ticket__isnull=False, status__in=SCORED_STATUSES) & VENDOR_WORK
)


def refresh_cells(audit_ids: list[int]) -> int:
    """Recompute the cells the given audits fall in (whatever their status now: an audit
    reopened since leaves its cell, which is then recomputed without it), their strata's
    totals and their weeks' sums; cells left empty are deleted. Returns the number of agent
    cells written. Unknown or ad-hoc audits write no cells. Called by ``rollups.writer``."""
    with transaction.atomic():
        lock_tables(list(ORDER), shared=True)
        return _refresh_box(audit_ids)


def rebuild_cells() -> int:
    """Recompute every cell, stratum total and week sum from the audits in one transaction.
    Returns the agent cell count. Called by ``rollups.writer``."""
    with transaction.atomic():
        lock_tables(list(ORDER), shared=False)
        _roomy_aggregates()
        for model in ORDER:
            model.objects.all().delete()
        written = _insert_cells(AuditCell, Q())
        _insert_cells(SiteCell, Q())
        _insert_cells(VendorCell, Q())
        _total_strata(None)
        week_sums.rebuild_week_sums()
        return written


def _refresh_box(ids: list[int]) -> int:
    """Delete and recount every table's box of the given audits (module docstring)."""
    box = (
        Audit.objects.filter(VENDOR_WORK, pk__in=ids, sampled_ticket__isnull=False)
        .annotate(**{f"key_{name}": expression for name, expression in KEYS.items()})
        .values_list("key_stratum_id", "key_agent_id", "key_workflow_id", "key_week")
    )
    keys = list(box.order_by().distinct())
    if not keys:
        return 0
    strata, agents, workflows, weeks = (set(column) for column in zip(*keys, strict=True))
    # Refreshes of the same strata take turns, so the later one reads the later audits.
    list(SampleStratum.objects.filter(pk__in=strata).order_by("pk")
         .select_for_update(no_key=True).values_list("pk", flat=True))
    first, last = min(weeks), max(weeks)
    cells_box = Q(stratum_id__in=strata, workflow_id__in=workflows,
                  week__gte=first, week__lte=last)
    audits_box = Q(sampled_ticket__stratum_id__in=strata, ticket__workflow_id__in=workflows,
                   ticket__handled_at__gte=_monday_utc(first),
                   ticket__handled_at__lt=_monday_utc(last) + dt.timedelta(days=7))
    AuditCell.objects.filter(cells_box, agent_id__in=agents).delete()
    written = _insert_cells(AuditCell, audits_box & Q(ticket__agent_id__in=agents))
    for model in (SiteCell, VendorCell):
        model.objects.filter(cells_box).delete()
        _insert_cells(model, audits_box)
    _total_strata(strata)
    # Every week of these strata: their n_h changed, so did each domain they touch.
    week_sums.refresh_week_sums(weeks | set(
        VendorCell.objects.filter(stratum_id__in=strata).values_list("week", flat=True)))
    return written


def _total_strata(strata: set[int] | None) -> None:
    """Recount ``StratumTotal`` from the vendor cells (the fewest), for ``strata`` (None:
    every stratum). A stratum left without completed audits loses its row."""
    totals = StratumTotal.objects.all()
    cells = VendorCell.objects.order_by()
    if strata is not None:
        totals = totals.filter(stratum_id__in=strata)
        cells = cells.filter(stratum_id__in=strata)
    totals.delete()
    rows = (cells.values("stratum_id")
            .annotate(total=Sum("audited"), size=Max("stratum__population"),
                      run=Max("stratum__run"), first=Min("week"), last=Max("week"))
            .values_list("stratum_id", "run", "size", "total", "first", "last"))
    StratumTotal.objects.bulk_create(
        (StratumTotal(stratum_id=pk, run_id=run, population=size, audited=total,
                      first_week=first, last_week=last)
         for pk, run, size, total, first, last in rows.iterator(chunk_size=5000)),
        batch_size=5000,
    )


def cell_rows(audits: Q | None = None, keys: Iterable[str] = tuple(KEYS)):
    """The grouped query: one row per cell of the completed sampled audits matching
    ``audits``, grouped by the named ``keys`` (of KEYS; all of them for ``AuditCell``), with
    the cell's columns as names (``key_<column>``, ``cell_<count>``; see ``AuditCell``)."""
    keys = list(keys)
    slugs = list(ErrorCategory.objects.order_by("slug").values_list("slug", flat=True))
    categories = (
        JSONObject(**{slug: Count("pk", filter=Q(error_categories__has_key=slug))
                      for slug in slugs})
        if slugs else Value({}, output_field=JSONField())
    )
    return (
        Audit.objects.filter(COMPLETED & (audits or Q()))
        .annotate(**{f"key_{name}": KEYS[name] for name in keys})
        .order_by()
        .values(*(f"key_{name}" for name in keys))
        .annotate(
            cell_audited=Count("pk"),
            cell_passed=Count("pk", filter=Q(passed=True)),
            cell_critical_failed=Count("pk", filter=Q(critical_failed=True)),
            cell_error_categories=categories,
            cell_scored=Count("score"),
            cell_score_sum=Coalesce(Sum("score"), Value(0),
                                    output_field=DecimalField(max_digits=14, decimal_places=2)),
        )
    )


def _insert_cells(model: type[models.Model], audits: Q) -> int:
    """INSERT … SELECT the grouped rows of ``audits`` into ``model``'s cell table."""
    keys = [name for name in KEYS if name in ORDER[model]]
    rows = cell_rows(audits, keys).annotate(
        cell_updated_at=Value(timezone.now(), output_field=DateTimeField()))
    columns = {**{name: f"key_{name}" for name in keys},
               **{count: f"cell_{count}" for count in CELL_COUNTS},
               "updated_at": "cell_updated_at"}
    return insert_grouped(model, rows, columns, [f"key_{name}" for name in ORDER[model]])


def _roomy_aggregates() -> None:
    """A rebuild groups every audit into hundreds of thousands of cells: let PostgreSQL's
    hash aggregate stay in memory instead of spilling to disk (this transaction only)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")


def _monday_utc(week: dt.date) -> dt.datetime:
    return dt.datetime.combine(week, dt.time.min, tzinfo=dt.UTC)
