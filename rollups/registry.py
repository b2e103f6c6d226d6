"""Every derived table, declared once: what it holds, at what grain, from what, and who keeps it.

The rollups are derived from the audits and never edited by hand: ``rollups.writer`` keeps all
of them, one batch of audits at a time, and rebuilds them all at night with the same code.
docs/architecture.md ("The rollups") says how they are locked and refreshed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, models

from .models import (
    AuditCell,
    AuditorDay,
    FinalisedDay,
    RunWeekSums,
    SiteCell,
    StratumTotal,
    VendorCell,
    WeekSums,
)

# The labelled sums of the AI-assisted estimates (CellCounts.ai_*): Σ ŷ^k, and per attribute.
AI_SCORE_SUMS = ("ai_scored", "ai_score_sum", "ai_score2_sum", "ai_score3_sum", "ai_score4_sum",
                 "passed_ai_score_sum", "passed_ai_score2_sum", "passed_ai_score3_sum",
                 "critical_ai_score_sum", "critical_ai_score2_sum", "critical_ai_score3_sum")
CELL_COUNTS = ("audited", "passed", "critical_failed", "error_categories", "scored", "score_sum",
               "weight_sum", "weight_sq_sum", "spread_sum", "passed_weight", "passed_spread",
               "critical_weight", "critical_spread", "scored_weight", "score_weight",
               "category_weights", *AI_SCORE_SUMS)


@dataclass(frozen=True)
class Rollup:
    model: type[models.Model]
    grain: str
    source: str
    columns: tuple[str, ...]
    keeper: str  # the module that computes it, called by rollups.writer


ROLLUPS = (
    Rollup(AuditCell, "stratum × vendor × site × agent × workflow × handling week (UTC)",
           "completed sampled audits", CELL_COUNTS, "rollups.cells"),
    Rollup(SiteCell, "stratum × vendor × site × workflow × handling week",
           "completed sampled audits", CELL_COUNTS, "rollups.cells"),
    Rollup(VendorCell, "stratum × vendor × workflow × handling week",
           "completed sampled audits", CELL_COUNTS, "rollups.cells"),
    Rollup(StratumTotal, "stratum", "the stratum's vendor cells and its drawn population",
           ("population", "audited", "first_week", "last_week"), "rollups.cells"),
    Rollup(RunWeekSums, "sample run × vendor (or the whole program) × handling week",
           "the run's vendor cells that week and their strata's totals", ("audits", "sums"),
           "rollups.week_sums"),
    Rollup(WeekSums, "vendor (or the whole program) × handling week",
           "the week's runs' parts (RunWeekSums), added up", ("audits", "sums"),
           "rollups.week_sums"),
    Rollup(AuditorDay, "auditor × audit form × submission day (UTC)",
           "audits in a scored status", ("audits", "seconds"), "rollups.productivity"),
    Rollup(FinalisedDay, "auditor × vendor × finalisation day (UTC)", "finalised audits",
           ("audits",), "rollups.productivity"),
)


def lock_tables(tables: list[type[models.Model]], *, shared: bool) -> None:
    """PostgreSQL table locks that order refreshes against a rebuild: a refresh takes ROW
    EXCLUSIVE, a rebuild SHARE ROW EXCLUSIVE (it waits for refreshes in flight and holds new
    ones back). Always in ``ROLLUPS`` order, so two writers never wait on each other in a
    circle. SQLite runs one writing transaction at a time anyway."""
    if connection.vendor != "postgresql":
        return
    order = [rollup.model for rollup in ROLLUPS]
    names = ", ".join(model._meta.db_table for model in sorted(tables, key=order.index))
    mode = "ROW EXCLUSIVE" if shared else "SHARE ROW EXCLUSIVE"
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {names} IN {mode} MODE")


def analyze_tables() -> None:
    """Refresh PostgreSQL's statistics of every rollup table (after a rebuild rewrote them
    all), so the next refreshes are planned on today's row counts, not on whatever autovacuum
    last saw."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for rollup in ROLLUPS:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(rollup.model._meta.db_table)}")


def roomy_aggregates() -> None:
    """Let PostgreSQL's hash aggregates and sorts stay in memory for the rest of this
    transaction: a rebuild groups hundreds of thousands of cells, a refresh's week sums
    thousands of strata, and spilling to disk costs several times more."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")


def insert_grouped(model: type[models.Model], rows, columns: dict[str, str],
                   order: list[str]) -> int:
    """INSERT … SELECT the grouped query ``rows`` into ``model``'s table: ``columns`` maps each
    table column to the query's column holding it; rows go in ``order`` (query columns: the
    unique key's, so index pages fill one after another, not at random). No row passes
    through Python. Returns the number of rows written."""
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(grouped_insert(model, sql, columns, order), params)
        return cursor.rowcount


def grouped_insert(model: type[models.Model], sql: str, columns: dict[str, str],
                   order: list[str], *, stamped: str | None = None) -> str:
    """The statement of ``insert_grouped`` for the query ``sql``; the column ``stamped`` is
    set to one more parameter, placed before the query's."""
    quote = connection.ops.quote_name
    targets = [quote(column) for column in columns] + ([quote(stamped)] if stamped else [])
    values = [f"rows.{quote(name)}" for name in columns.values()] + (["%s"] if stamped else [])
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(targets)}) "
        f"SELECT {', '.join(values)} "
        f"FROM ({sql}) rows ORDER BY {', '.join(f'rows.{quote(name)}' for name in order)}"
    )
