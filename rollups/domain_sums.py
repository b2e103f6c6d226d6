"""The sums a domain's estimates are made of, totalled per domain by the database over the rollup
cells and each stratum's ``StratumTotal``: one row per domain, not one per stratum. Shared by
``rollups.estimates`` and ``rollups.week_sums``. The sums: docs/statistics.md#domain-estimates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, models
from django.db.models import Case, F, FloatField, IntegerField, Q, Sum, Value, When
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Coalesce

from audit_forms.models import ErrorCategory
from sampling.models import SampleStratum

from .models import StratumTotal
from .periods import Period

# What a breakdown can group by → the cell column (or the stratum's, through it).
DIMENSIONS = {
    "vendor": "vendor_id",
    "site": "site_id",
    "workflow": "workflow_id",
    "agent": "agent_id",
    "week": "week",
    "run": "stratum__run",
}


@dataclass(frozen=True)
class Scope:
    """Which cells a page reads: any of vendor, site, workflow, agent (ids), and a period."""

    period: Period
    vendor: int | None = None
    site: int | None = None
    workflow: int | None = None
    agent: int | None = None

    def cells(self) -> Q:
        condition = Q(week__gte=self.period.first, week__lte=self.period.last)
        for name in ("vendor", "site", "workflow", "agent"):
            if (value := getattr(self, name)) is not None:
                condition &= Q(**{f"{name}_id": value})
        return condition

    def audits(self) -> Q:
        """The audits behind ``cells()``, whatever their status: of the scope's tickets handled
        in the period's weeks (``Period.handled_span``)."""
        start, stop = self.period.handled_span()
        condition = Q(ticket__handled_at__gte=start, ticket__handled_at__lt=stop)
        for name in ("vendor", "site", "workflow", "agent"):
            if (value := getattr(self, name)) is not None:
                condition &= Q(**{f"ticket__{name}_id": value})
        return condition


def category_slugs() -> list[str]:
    return list(ErrorCategory.objects.order_by("slug").values_list("slug", flat=True))


# The per (domain, stratum) sums the SQL below reads → the cell column each totals (``AuditCell``).
CELL_SUMS = {
    "m": "audited", "x": "passed", "c": "critical_failed",
    "scored_n": "scored", "score_total": "score_sum",
    "m_w": "weight_sum", "m_q": "weight_sq_sum", "m_v": "spread_sum",
    "scored_w": "scored_weight", "score_w": "score_weight",
    "x_w": "passed_weight", "x_v": "passed_spread",
    "c_w": "critical_weight", "c_v": "critical_spread",
}
# ``stats.DomainSums``' per-stratum terms over one (group, stratum) row: m, N_h as big_n, n_h as n.
PER_STRATUM = {
    "w": "big_n / n",
    "f": "CASE WHEN n > 1 THEN big_n * big_n * (1 - n / big_n) / (n * n * (n - 1)) ELSE 0 END",
    "lone": "CASE WHEN n = 1 THEN big_n * big_n * (1 - n / big_n) * 0.25 ELSE 0 END",
    "o": "n - m",
}
# The sums by name (``WeekSums`` stores them so): audits, strata, the score's, DomainSums' shared …
SHARED_SUMS = {
    "audits": "SUM(m)",
    "strata": "COUNT(*)",
    "weighted_scored": "SUM(w * scored_n)",
    "weighted_score": "SUM(w * score_total)",
    "weighted_audits": "SUM(w * m)",
    "lone_units": "SUM(lone)",
    "squared_weights": "SUM(w * w * m)",
    "sampled_strata": "SUM(CASE WHEN n < big_n THEN 1 ELSE 0 END)",
}
# ... and per attribute {x} (passed, critical, each error category) its own sums.
COLUMN_SUMS = {
    "hits": "SUM(w * {x})",
    "within": "SUM(f * {x} * (m - {x}))",
    "hits_outside": "SUM(f * {x} * o)",
    "misses_outside": "SUM(f * (m - {x}) * o)",
    "with_hits": "SUM(CASE WHEN {x} > 0 THEN 1 ELSE 0 END)",
    "with_misses": "SUM(CASE WHEN {x} <> m THEN 1 ELSE 0 END)",
}
# The sums the database computes, row by row: a risk-weighted stratum's (r = 1) audits weigh
# g/π_i each, with g = N_h / Σ 1/π over its completed audits, and its variance is Poisson
# sampling's, g² Σ (1 − π)/π² (y − p)², split into hits and misses like the terms above (no
# within and no lone-unit term). The cells' weighted sums: m_w = Σ 1/π, m_q = Σ 1/π²,
# m_v = Σ (1 − π)/π², and {x}_w, {x}_v over the audits with the attribute. An
# equal-probability stratum's row takes the expression above unchanged, so its numbers are
# exactly those of SHARED_SUMS and COLUMN_SUMS, whose names the week sums are stored under.
# Audits drawn but not (yet) completed are non-response, as in the run report: each completed
# audit stands for its stratum's drawn ones with π* = π · n/d (d tickets drawn, n completed).
# The weights g*/π* equal g/π, and the variance's (1 − π*) = (1 − π) + π (1 − n/d) adds
# g² k Σ (y − p)²/π with k = 1 − n/d, read from {x}_w and m_w.
WEIGHTED_PER_STRATUM = {
    "g": "CASE WHEN r = 1 THEN big_n / wt ELSE 0 END",
    "k": "CASE WHEN r = 1 AND d > n THEN 1 - n / d ELSE 0 END",
}
WEIGHTED_SHARED_SUMS = {
    **SHARED_SUMS,
    "weighted_scored": "SUM(CASE WHEN r = 1 THEN g * scored_w ELSE w * scored_n END)",
    "weighted_score": "SUM(CASE WHEN r = 1 THEN g * score_w ELSE w * score_total END)",
    "weighted_audits": "SUM(CASE WHEN r = 1 THEN g * m_w ELSE w * m END)",
    "lone_units": "SUM(CASE WHEN r = 1 THEN 0 ELSE lone END)",
    "squared_weights": "SUM(CASE WHEN r = 1 THEN g * g * m_q ELSE w * w * m END)",
    # A stratum is sampled (not a census) when it audited fewer tickets than it holds, also
    # when a domain's audits in it were all certain (π = 1): its other tickets were not.
}
WEIGHTED_COLUMN_SUMS = {
    **COLUMN_SUMS,
    "hits": "SUM(CASE WHEN r = 1 THEN g * {x}_w ELSE w * {x} END)",
    "within": "SUM(CASE WHEN r = 1 THEN 0 ELSE f * {x} * (m - {x}) END)",
    "hits_outside": "SUM(CASE WHEN r = 1 THEN g * g * ({x}_v + k * {x}_w) "
                    "ELSE f * {x} * o END)",
    "misses_outside": "SUM(CASE WHEN r = 1 THEN g * g * (m_v - {x}_v + k * (m_w - {x}_w)) "
                      "ELSE f * (m - {x}) * o END)",
}


def domain_sum_rows(model: type[models.Model], cells: Q, dimensions: tuple[str, ...],
                    slugs: list[str], weeks: tuple[dt.date, dt.date] | None = None) -> list[tuple]:
    """One row per domain of ``model``'s ``cells``: the key values, then SHARED_SUMS and COLUMN_SUMS
    for passed, critical and each of ``slugs``. ``weeks`` (first, last Monday) bounds the cells,
    so only the totals of strata with cells in them are read."""
    through = {name: F(DIMENSIONS[name]) for name in dimensions if "__" in DIMENSIONS[name]}
    group = [name if name in through else DIMENSIONS[name] for name in dimensions]
    sums = {
        **{name: Sum(column) for name, column in CELL_SUMS.items()},
        # Scores as floats: every number below is a float anyway, and a decimal sum per
        # (domain, stratum) costs PostgreSQL several times a float one.
        "score_total": Sum(Cast("score_sum", FloatField())),
        **{f"cat_{i}": Sum(Coalesce(Cast(KeyTextTransform(slug, "error_categories"),
                                         IntegerField()), 0))
           for i, slug in enumerate(slugs)},
    }
    # The weighted sums of risk-weighted strata; an equal-probability stratum's cells hold
    # zeros, so their categories' JSON is not even read (weight_sum = 0).
    risky = Q(weight_sum__gt=0)
    sums.update({
        **{f"cat_{i}_{part}": Sum(Case(
            When(risky, then=Coalesce(Cast(KeyTextTransform(
                name, KeyTransform(slug, "category_weights")), FloatField()), 0.0)),
            default=Value(0.0), output_field=FloatField()))
           for i, slug in enumerate(slugs)
           for part, name in (("w", "weight"), ("v", "spread"))},
    })
    counts = (model.objects.filter(cells).order_by().annotate(**through)
              .values(*group, "stratum_id").annotate(**sums))
    return totalled_per_domain(
        counts, group, ["x", "c", *(f"cat_{i}" for i in range(len(slugs)))], weeks)


def totalled_per_domain(counts, group: list[str], columns: list[str],
                        weeks: tuple[dt.date, dt.date] | None = None) -> list[tuple]:
    """The SQL of ``domain_sum_rows``: ``counts`` (a query of rows per group and stratum with
    CELL_SUMS' names, and ``columns``' own) joined to each stratum's N_h and n_h (over all its
    cells: all weeks and domains), totalled per group."""
    sql, params = counts.query.sql_with_params()
    quote = connection.ops.quote_name
    real = "DOUBLE PRECISION"
    keys = [quote(name) for name in group]
    names = ["m", "scored_n", "score_total", *columns, "m_w", "m_q", "m_v", "scored_w",
             "score_w", *(f"{column}_{part}" for column in columns for part in ("w", "v"))]
    values = [f"CAST(counts.{quote(name)} AS {real}) AS {name}" for name in names]
    values += [f"CASE WHEN totals.{quote('risk_weighted')} THEN 1 ELSE 0 END AS r",
               f"CAST(totals.{quote('weight_total')} AS {real}) AS wt"]
    joined = (
        f"SELECT {', '.join([*(f'counts.{key}' for key in keys), *values])}, "
        f"CAST(totals.{quote('population')} AS {real}) AS big_n, "
        f"CAST(totals.{quote('audited')} AS {real}) AS n, "
        f"CAST(drawn.{quote('drawn')} AS {real}) AS d FROM ({sql}) counts "
        f"INNER JOIN {quote(StratumTotal._meta.db_table)} totals "
        f"ON totals.{quote('stratum_id')} = counts.{quote('stratum_id')} "
        f"INNER JOIN {quote(SampleStratum._meta.db_table)} drawn "
        f"ON drawn.{quote('id')} = counts.{quote('stratum_id')}"
    )
    if weeks is not None:
        joined += (f" AND totals.{quote('last_week')} >= %s"
                   f" AND totals.{quote('first_week')} <= %s")
        params = (*params, *(connection.ops.adapt_datefield_value(week) for week in weeks))
    per_stratum = {**PER_STRATUM, **WEIGHTED_PER_STRATUM}
    terms = ", ".join(f"{expression} AS {name}" for name, expression in per_stratum.items())
    # PostgreSQL would inline the per-stratum terms into every sum that uses them (f into
    # three sums per attribute); OFFSET 0 keeps the subquery, so each is worked out once a row.
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    aggregates = [*WEIGHTED_SHARED_SUMS.values(),
                  *(term.format(x=column) for column in columns
                    for term in WEIGHTED_COLUMN_SUMS.values())]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join([*keys, *aggregates])} "
            f"FROM (SELECT joined.*, {terms} FROM ({joined}) joined{fence}) strata"
            f"{' GROUP BY ' + ', '.join(keys) if keys else ''}", params)
        return [row for row in cursor.fetchall() if row[len(group) + 1]]  # COUNT(*) > 0
