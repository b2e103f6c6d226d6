"""Keep ``AuditCell`` equal to what the audits say, incrementally and in full.

Both ways compute cells the same way: ONE grouped query over the completed sampled audits
(``unsampled`` False, status in ``SCORED_STATUSES``), grouped by stratum, vendor, site, agent,
workflow and UTC week, written with ``INSERT … SELECT`` so no audit or cell passes through
Python. Counts are totals, never ±1 deltas: refreshing twice, or out of order, or after a
full rebuild, writes the same rows.

``refresh_cells(audit_ids)`` recomputes a *box* of cells: strata × agents × workflows × weeks
spanned by the given audits. The box is a superset of the cells those audits touch (and of any
other cell with the same stratum, agent, workflow and week), and the same predicate selects
the cells to delete and the audits to count, so the box is always exact. Agents are the most
selective key (a ticket index on (agent, handled_at) finds them), so the box stays small.

Concurrency (PostgreSQL): a refresh takes ROW EXCLUSIVE on the cell table and row locks on
its strata (FOR NO KEY UPDATE, in pk order) *before* reading audits, so two refreshes of the
same strata run one after the other and the later one reads the later data; a rebuild takes
SHARE ROW EXCLUSIVE, which waits for refreshes in flight and holds new ones back until it
commits. Refreshes are queued on commit of the lifecycle step, so they read committed audits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, DateField, DecimalField, F, JSONField, Q, Sum, Value
from django.db.models.functions import Coalesce, JSONObject, TruncWeek
from django.utils import timezone

from audits.models import SCORED_STATUSES, Audit, ErrorCategory
from sampling.models import SampleStratum

from .models import AuditCell

# Cell key column → the audit's value for it (the ticket's attributes, the sampled stratum).
KEYS = {
    "stratum_id": F("sampled_ticket__stratum_id"),
    "vendor_id": F("ticket__vendor_id"),
    "site_id": F("ticket__site_id"),
    "agent_id": F("ticket__agent_id"),
    "workflow_id": F("ticket__workflow_id"),
    "week": TruncWeek("ticket__handled_at", output_field=DateField(), tzinfo=dt.UTC),
}
# The unique key's column order, in which cells are inserted (see _insert_cells).
ORDER = ("stratum_id", "agent_id", "workflow_id", "week", "site_id", "vendor_id")
COMPLETED = Q(unsampled=False, sampled_ticket__isnull=False, status__in=SCORED_STATUSES)


def refresh_cells(audit_ids: Iterable[int]) -> int:
    """Recompute the cells the given audits fall in (whatever their status now: an audit
    reopened since leaves its cell, which is then recomputed without it); cells left empty
    are deleted. Returns the number of cells written. Unknown or ad-hoc audits are ignored."""
    ids = sorted({int(pk) for pk in audit_ids})
    if not ids:
        return 0
    with transaction.atomic():
        _lock_cells(shared=True)
        box = (
            Audit.objects.filter(pk__in=ids, sampled_ticket__isnull=False)
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
        AuditCell.objects.filter(
            stratum_id__in=strata, agent_id__in=agents, workflow_id__in=workflows,
            week__gte=first, week__lte=last,
        ).delete()
        return _insert_cells(
            Q(sampled_ticket__stratum_id__in=strata, ticket__agent_id__in=agents,
              ticket__workflow_id__in=workflows,
              ticket__handled_at__gte=_monday_utc(first),
              ticket__handled_at__lt=_monday_utc(last) + dt.timedelta(days=7))
        )


def rebuild_all() -> int:
    """Recompute every cell from the audits in one transaction (the nightly safety net, and
    after bulk writes that bypass the lifecycle, such as the demo's). Returns the cell count."""
    with transaction.atomic():
        _lock_cells(shared=False)
        AuditCell.objects.all().delete()
        return _insert_cells(Q())


def cell_rows(audits: Q | None = None):
    """The grouped query: one row per cell of the completed sampled audits matching
    ``audits``, with the cell's columns as names (see ``AuditCell``)."""
    slugs = list(ErrorCategory.objects.order_by("slug").values_list("slug", flat=True))
    categories = (
        JSONObject(**{slug: Count("pk", filter=Q(error_categories__has_key=slug))
                      for slug in slugs})
        if slugs else Value({}, output_field=JSONField())
    )
    return (
        Audit.objects.filter(COMPLETED & (audits or Q()))
        .annotate(**{f"key_{name}": expression for name, expression in KEYS.items()})
        .order_by()
        .values(*(f"key_{name}" for name in KEYS))
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


def _insert_cells(audits: Q) -> int:
    """INSERT … SELECT the grouped rows of ``audits`` into the cell table."""
    sql, params = cell_rows(audits).query.sql_with_params()
    columns = [*KEYS, "audited", "passed", "critical_failed", "error_categories", "scored",
               "score_sum"]
    selected = [f"key_{name}" for name in KEYS] + [
        f"cell_{name}" for name in columns[len(KEYS):]
    ]
    quote = connection.ops.quote_name
    ordered = [f"key_{name}" for name in ORDER]
    statement = (
        f"INSERT INTO {quote(AuditCell._meta.db_table)} "
        f"({', '.join(quote(column) for column in [*columns, 'updated_at'])}) "
        f"SELECT {', '.join(f'rows.{quote(name)}' for name in selected)}, %s "
        f"FROM ({sql}) rows "
        # In the unique key's order: index pages fill one after another, not at random.
        f"ORDER BY {', '.join(f'rows.{quote(key)}' for key in ordered)}"
    )
    updated_at = AuditCell._meta.get_field("updated_at").get_db_prep_value(
        timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(statement, (updated_at, *params))  # updated_at comes first in the text
        return cursor.rowcount


def _lock_cells(*, shared: bool) -> None:
    """PostgreSQL table locks that order refreshes against a rebuild (module docstring)."""
    if connection.vendor != "postgresql":
        return  # SQLite runs one writing transaction at a time anyway
    mode = "ROW EXCLUSIVE" if shared else "SHARE ROW EXCLUSIVE"
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {AuditCell._meta.db_table} IN {mode} MODE")
        if not shared:
            # A rebuild groups every audit into hundreds of thousands of cells: let the hash
            # aggregate stay in memory instead of spilling to disk (this transaction only).
            cursor.execute("SET LOCAL work_mem = '256MB'")


def _monday_utc(week: dt.date) -> dt.datetime:
    return dt.datetime.combine(week, dt.time.min, tzinfo=dt.UTC)
