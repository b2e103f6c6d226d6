"""Keep ``AuditCell``, ``SiteCell`` and ``VendorCell``, and each stratum's ``StratumTotal``,
equal to what the completed sampled audits say.

A refresh and a rebuild count cells the same way: one grouped query per table over the
completed sampled audits, written with ``INSERT … SELECT`` (``cell_rows``), totals and never
deltas. A refresh recounts exactly the cells its audits fall in, at each table's grain, then
its strata's totals and the week sums that those change; any other row stays as it is.
docs/architecture.md ("The rollups") has the mechanism and the locking.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.db import connection, models, transaction
from django.db.models import (
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    JSONField,
    Max,
    Min,
    Q,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, JSONObject, TruncWeek
from django.utils import timezone

from audits.models import SCORED_STATUSES, VENDOR_WORK, Audit
from sampling.models import SampleStratum

from . import week_sums
from .domain_sums import category_slugs
from .models import AuditCell, SiteCell, StratumTotal, VendorCell
from .registry import CELL_COUNTS, grouped_insert, lock_tables, roomy_aggregates

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
# An audit's weight 1/π_i and its variance term (1 − π_i)/π_i² under Poisson sampling, for the
# cells' weighted sums (read for risk-weighted strata: docs/statistics.md#domain-estimates).
_PI = F("sampled_ticket__inclusion_probability")
WEIGHT = ExpressionWrapper(Value(1.0) / _PI, output_field=FloatField())
SPREAD = ExpressionWrapper((Value(1.0) - _PI) / (_PI * _PI), output_field=FloatField())


RISK_WEIGHTED = Q(sampled_ticket__stratum__risk_weighted=True)
SCORE = F("sampled_ticket__ai_score")  # the audited ticket's ŷ at draw


def _weighted(term, condition: Q | None = None):
    """Σ ``term`` over the cell's audits of a risk-weighted stratum (matching ``condition``),
    0.0 over none: an equal-probability stratum's cells keep zeros, which is how the estimates
    skip their weighted sums cheaply (``rollups.domain_sums``)."""
    wanted = RISK_WEIGHTED & condition if condition is not None else RISK_WEIGHTED
    return Coalesce(Sum(term, filter=wanted), Value(0.0), output_field=FloatField())


class CellKey(NamedTuple):
    """An audit's agent cell: its values of KEYS, in that order."""

    stratum_id: int
    vendor_id: int
    site_id: int
    agent_id: int
    workflow_id: int
    week: dt.date

    def of(self, model: type[models.Model]) -> tuple:
        """The key of the ``model`` cell this agent cell lies in, in ``ORDER[model]``."""
        return tuple(getattr(self, name) for name in ORDER[model])


def refresh_cells(audit_ids: list[int]) -> int:
    """Recount the cells the given audits fall in, whatever their status now (an audit
    reopened since leaves its cell, which is recounted without it; an emptied cell is
    deleted), then their strata's totals and the week sums those change. Unknown and ad-hoc
    audits write nothing. Returns the number of agent cells written."""
    with transaction.atomic():
        lock_tables(list(ORDER), shared=True)
        keys = _cell_keys(audit_ids)
        if not keys:
            return 0
        strata = sorted({key.stratum_id for key in keys})
        # Refreshes of the same strata take turns, so the later one reads the later audits.
        runs = dict(SampleStratum.objects.filter(pk__in=strata).order_by("pk")
                    .select_for_update(no_key=True).values_list("pk", "run_id"))
        audits = _audits_in_cells(keys, strata)
        slugs = category_slugs()  # once: every statement below counts the same categories
        written = {model: _recount(model, keys, audits, slugs) for model in ORDER}
        changed = _total_strata(strata)
        week_sums.refresh_week_sums(_changed_parts(keys, changed, runs), slugs)
        return written[AuditCell]


REBUILD_STEPS = 5  # the calls of ``step`` in rebuild_cells


def rebuild_cells(step: Callable[[str], None] = lambda name: None) -> int:
    """Recompute every cell, stratum total and week sum from the audits in one transaction.
    Returns the agent cell count. ``step`` hears each of the ``REBUILD_STEPS`` statements'
    names as it starts (the rebuild's progress, ``rollups.writer``)."""
    with transaction.atomic():
        lock_tables(list(ORDER), shared=False)
        roomy_aggregates()
        for model in ORDER:
            model.objects.all().delete()
        step("counting agents' audits")
        written = _insert_cells(AuditCell, None)
        step("counting sites' audits")
        _insert_cells(SiteCell, None)
        step("counting vendors' audits")
        _insert_cells(VendorCell, None)
        step("totalling the strata")
        _total_strata(None)
        step("adding up the weeks")
        week_sums.rebuild_week_sums()
        return written


def _keyed_audits(audits: Q):
    """The sampled audits matching ``audits``, each with its cell key (``key_<column>``)."""
    return (Audit.objects.filter(audits, sampled_ticket__isnull=False)
            .annotate(**{f"key_{name}": expression for name, expression in KEYS.items()})
            .order_by())


def _cell_keys(audit_ids: list[int]) -> set[CellKey]:
    """The agent cells the given audits fall in. A ticket's attributes and an audit's stratum
    never change, so this is the cell each was ever counted in."""
    rows = (_keyed_audits(Q(VENDOR_WORK, pk__in=audit_ids))
            .values_list(*(f"key_{name}" for name in KEYS)))
    return {CellKey(*row) for row in rows.distinct()}


def _audits_in_cells(keys: set[CellKey], strata: list[int]) -> list[tuple[int, CellKey]]:
    """Every audit, whatever its status, of the vendor cells ``keys`` lie in (those hold the
    site and agent cells too), with its cell key: read once, through the strata's index (a
    re-audit is in a re-audit run's stratum, never among them)."""
    vendor_cells = {key.of(VendorCell) for key in keys}
    handled = Q()
    for week in sorted({key.week for key in keys}):
        monday = dt.datetime.combine(week, dt.time.min, tzinfo=dt.UTC)
        handled |= Q(ticket__handled_at__gte=monday,
                     ticket__handled_at__lt=monday + dt.timedelta(days=7))
    rows = _keyed_audits(Q(sampled_ticket__stratum_id__in=strata) & handled).values_list(
        "pk", *(f"key_{name}" for name in KEYS))
    return [(pk, key) for pk, *values in rows
            if (key := CellKey(*values)).of(VendorCell) in vendor_cells]


def _recount(model: type[models.Model], keys: set[CellKey],
             audits: list[tuple[int, CellKey]], slugs: list[str]) -> int:
    """Delete ``model``'s cells at the keys' grain and count them again from ``audits``."""
    names = ORDER[model]
    touched = {key.of(model) for key in keys}
    # The strata's cells, through the unique key (it leads with the stratum).
    near = model.objects.filter(stratum_id__in=sorted({key.stratum_id for key in keys}))
    stale = [pk for pk, *key in near.values_list("pk", *names) if tuple(key) in touched]
    if stale:
        model.objects.filter(pk__in=stale).delete()
    ids = [pk for pk, key in audits if key.of(model) in touched]
    # By id: the planner then reads the audits through their primary key, never in full.
    return _insert_cells(model, ids, slugs) if ids else 0


def _total_strata(strata: list[int] | None) -> set[int]:
    """Recount ``StratumTotal`` from the vendor cells (the fewest), for ``strata`` (None:
    every stratum); a stratum left without completed audits loses its row. Returns the
    refreshed strata whose N_h, n_h or Σ 1/π changed (none for a rebuild)."""
    totals = StratumTotal.objects.all()
    cells = VendorCell.objects.order_by()
    if strata is not None:
        totals = totals.filter(stratum_id__in=strata)
        cells = cells.filter(stratum_id__in=strata)
    before = ({} if strata is None else
              {pk: (size, total, weight) for pk, size, total, weight
               in totals.values_list("stratum_id", "population", "audited", "weight_total")})
    totals.delete()
    rows = (cells.values("stratum_id", "stratum__risk_weighted")
            .annotate(total=Sum("audited"), size=Max("stratum__population"),
                      run=Max("stratum__run"), first=Min("week"), last=Max("week"),
                      weight=Sum("weight_sum"))
            .values_list("stratum_id", "run", "size", "total", "first", "last",
                         "stratum__risk_weighted", "weight"))
    after = {}

    def new_totals():
        for pk, run, size, total, first, last, risky, weight in rows.iterator(chunk_size=5000):
            # An equal-probability stratum's audits weigh N_h / n_h: no weight total to keep.
            weight = weight if risky else 0.0
            if strata is not None:
                after[pk] = (size, total, weight)
            yield StratumTotal(stratum_id=pk, run_id=run, population=size, audited=total,
                               first_week=first, last_week=last, risk_weighted=risky,
                               weight_total=weight)

    StratumTotal.objects.bulk_create(new_totals(), batch_size=5000)
    return {pk for pk in before.keys() | after.keys() if before.get(pk) != after.get(pk)}


def _changed_parts(keys: set[CellKey], strata: set[int],
                   runs: dict[int, int]) -> set[tuple[int, dt.date, int]]:
    """The (vendor, week, run) parts of the week sums to recompute: those of the recounted
    cells, and every one with cells of a stratum whose N_h or n_h changed (its weight did)."""
    parts = {(key.vendor_id, key.week, runs[key.stratum_id]) for key in keys}
    if strata:
        parts |= {(vendor, week, runs[stratum]) for vendor, week, stratum
                  in VendorCell.objects.filter(stratum_id__in=strata).order_by()
                  .values_list("vendor_id", "week", "stratum_id").distinct()}
    return parts


def cell_rows(audits: Q | None = None, keys: Iterable[str] = tuple(KEYS),
              slugs: Iterable[str] | None = None):
    """The grouped query: one row per cell of the completed sampled audits matching
    ``audits``, grouped by the named ``keys`` (of KEYS; all of them for ``AuditCell``), with
    the cell's columns as names (``key_<column>``, ``cell_<count>``; see ``AuditCell``), a
    count per error category of ``slugs`` (None: the categories there are)."""
    keys = list(keys)
    if slugs is None:
        slugs = category_slugs()
    slugs = list(slugs)
    categories = (
        JSONObject(**{slug: Count("pk", filter=Q(error_categories__has_key=slug))
                      for slug in slugs})
        if slugs else Value({}, output_field=JSONField())
    )
    category_weights = (
        JSONObject(**{slug: JSONObject(
            weight=_weighted(WEIGHT, Q(error_categories__has_key=slug)),
            spread=_weighted(SPREAD, Q(error_categories__has_key=slug)),
        ) for slug in slugs})
        if slugs else Value({}, output_field=JSONField())
    )
    return (
        Audit.objects.filter(COMPLETED & (audits or Q()))
        .annotate(**{f"key_{name}": KEYS[name] for name in keys})
        .order_by()
        .values(*(f"key_{name}" for name in keys))
        .annotate(
            **{f"cell_{name}": total for name, total in counted_sums().items()},
            cell_error_categories=categories,
            cell_category_weights=category_weights,
            **_ai_score_sums(),
        )
    )


def counted_sums() -> dict:
    """A cell's counts and weighted sums (its columns without ``cell_``) as aggregates over
    its audits; error categories and model scores aside."""
    passed, critical, scored = Q(passed=True), Q(critical_failed=True), Q(score__isnull=False)
    return {
        "audited": Count("pk"),
        "passed": Count("pk", filter=passed),
        "critical_failed": Count("pk", filter=critical),
        "scored": Count("score"),
        "score_sum": Coalesce(Sum("score"), Value(0),
                              output_field=DecimalField(max_digits=14, decimal_places=2)),
        "weight_sum": _weighted(WEIGHT),
        "weight_sq_sum": _weighted(WEIGHT * WEIGHT),
        "spread_sum": _weighted(SPREAD),
        "passed_weight": _weighted(WEIGHT, passed),
        "passed_spread": _weighted(SPREAD, passed),
        "critical_weight": _weighted(WEIGHT, critical),
        "critical_spread": _weighted(SPREAD, critical),
        "scored_weight": _weighted(WEIGHT, scored),
        "score_weight": _weighted(WEIGHT * Cast("score", FloatField()), scored),
    }


def _ai_score_sums() -> dict:
    """The cell's AI_SCORE_SUMS over its audits' ŷ at draw (0.0 over none)."""
    def power(k: int):
        term = Value(1.0, output_field=FloatField())
        for _ in range(k):
            term = ExpressionWrapper(term * SCORE, output_field=FloatField())
        return term

    def total(k: int, condition: Q | None = None):
        wanted = Q(sampled_ticket__ai_score__isnull=False) & (condition or Q())
        return Coalesce(Sum(power(k), filter=wanted), Value(0.0), output_field=FloatField())

    sums = {"cell_ai_scored": Count("pk", filter=Q(sampled_ticket__ai_score__isnull=False))}
    for k, suffix in ((1, ""), (2, "2"), (3, "3"), (4, "4")):
        sums[f"cell_ai_score{suffix}_sum"] = total(k)
    for name, condition in (("passed", Q(passed=True)), ("critical", Q(critical_failed=True))):
        for k, suffix in ((1, ""), (2, "2"), (3, "3")):
            sums[f"cell_{name}_ai_score{suffix}_sum"] = total(k, condition)
    return sums


def _insert_cells(model: type[models.Model], ids: list[int] | None,
                  slugs: list[str] | None = None) -> int:
    """INSERT … SELECT the grouped rows of the audits ``ids`` (None: every audit) into
    ``model``'s cell table, counting the error categories ``slugs`` (None: the categories
    there are). The statement is composed once per process for each table,
    error-category list and database (``_cell_statement``): Django takes longer to compose its
    two dozen sums, and three more per category, than the database takes to run a refresh's.
    The audit ids go in as one parameter, and the cells' ``updated_at`` as another."""
    slugs = tuple(category_slugs() if slugs is None else slugs)
    key = (model, slugs, ids is None, connection.vendor)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = _cell_statement(model, slugs, every_audit=ids is None)
    statement, template = _STATEMENTS[key]
    stamp = model._meta.get_field("updated_at").get_db_prep_save(timezone.now(), connection)
    listed = list(ids or ()) if connection.vendor == "postgresql" else json.dumps(ids or [])
    params = [stamp, *(listed if param is _AUDITS else param for param in template)]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


_STATEMENTS: dict[tuple, tuple[str, tuple]] = {}
_AUDITS = object()  # where a statement's audit ids go


def _cell_statement(model: type[models.Model], slugs: tuple[str, ...], *,
                    every_audit: bool) -> tuple[str, tuple]:
    """``model``'s INSERT … SELECT over ``cell_rows`` with its parameters, the audit ids
    standing as ``_AUDITS``: an array on PostgreSQL, a JSON list on SQLite."""
    keys = [name for name in KEYS if name in ORDER[model]]
    listed = ("SELECT unnest(%s::bigint[])" if connection.vendor == "postgresql"
              else "SELECT value FROM json_each(%s)")
    audits = Q() if every_audit else Q(pk__in=RawSQL(listed, (_AUDITS,)))
    sql, params = cell_rows(audits, keys, slugs).query.sql_with_params()
    columns = {**{name: f"key_{name}" for name in keys},
               **{count: f"cell_{count}" for count in CELL_COUNTS}}
    order = [f"key_{name}" for name in ORDER[model]]
    return grouped_insert(model, sql, columns, order, stamped="updated_at"), tuple(params)
