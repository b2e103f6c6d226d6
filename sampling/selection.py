"""Which tickets a run selects: the first n_h of each stratum in a seeded hash order, in one SQL
statement, which is a simple random sample within each stratum (permanent random numbers: Brewer,
Early & Joyce 1972; Ohlsson 1995). Called by ``sampling.drawing``.
Derivation, ties and the candidate threshold: docs/statistics.md#selecting-the-tickets.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from typing import NamedTuple

from django.db import connection
from django.db.models import BigIntegerField, ExpressionWrapper, F, QuerySet, Value

from tickets.models import Ticket

from .models import STRATUM_FIELDS, SampleStratum

PRIME = 2_147_483_647  # 2**31 - 1
MAX_SEED = 2**63 - 1
THRESHOLD_FACTOR, THRESHOLD_SLACK = 1.5, 40


class Selected(NamedTuple):
    ticket_id: int
    stratum_id: int
    draw_rank: int
    vendor_id: int


def seed_coefficients(seed: int) -> tuple[int, int]:
    """(A, B) of the seeded rank for ``seed``: A in [1, P-1], B in [0, P-1]."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"A seed is an integer from 0 to {MAX_SEED}, not {seed!r}.")
    digest = hashlib.blake2b(
        seed.to_bytes(8, "big"), digest_size=16, person=b"qa-sample-draw"
    ).digest()
    a = 1 + int.from_bytes(digest[:8], "big") % (PRIME - 1)
    b = int.from_bytes(digest[8:], "big") % PRIME
    return a, b


def ticket_rank(sample_key: int, seed: int) -> int:
    """The rank the database gives a ticket under ``seed`` (lower ranks are drawn first)."""
    a, b = seed_coefficients(seed)
    return (sample_key * a + b) % PRIME


def select_sample(
    tickets: QuerySet[Ticket],
    keys: list[str],
    strata: list[SampleStratum],
    seed: int,
) -> list[Selected]:
    """The first ``allocated`` tickets of each saved stratum in seeded rank order, selected in the
    database from the ``tickets`` queryset. RuntimeError if a stratum falls short (the population
    changed under the draw), so nothing short is ever saved.
    """
    wanted = [stratum for stratum in strata if stratum.allocated]
    if not wanted:
        return []
    rows = _run_selection(tickets, keys, wanted, seed, threshold=True)
    if _short(rows, wanted):
        rows = _run_selection(tickets, keys, wanted, seed, threshold=False)
        if short := _short(rows, wanted):
            raise RuntimeError(
                f"{short} strata have fewer tickets than counted a moment ago; nothing was saved."
            )
    return rows


def candidate_threshold(allocated: int, population: int) -> int:
    """Rank below which a stratum's tickets enter the sort: the module docstring's pointer."""
    bound = (THRESHOLD_FACTOR * allocated + THRESHOLD_SLACK) * PRIME / population
    return min(PRIME, math.ceil(bound))


def _short(rows: list[Selected], wanted: list[SampleStratum]) -> int:
    got = Counter(row.stratum_id for row in rows)
    return sum(1 for stratum in wanted if got[stratum.pk] != stratum.allocated)


def ranked_population(tickets: QuerySet[Ticket], columns: list[str], seed: int,
                      *extra: str) -> tuple[str, tuple]:
    """The compiled ticket query with each ticket's seeded ``hash_rank`` (its permanent random
    number times P), the stratum columns, the tie-breaking (source, external_id) and ``extra``
    fields: what both selections join to their strata."""
    a, b = seed_coefficients(seed)
    hash_rank = ExpressionWrapper(
        (F("sample_key") * Value(a) + Value(b)) % Value(PRIME), output_field=BigIntegerField()
    )
    fields = dict.fromkeys(
        ["id", "vendor_id", "source", "external_id", *columns, *extra, "hash_rank"]
    )
    return tickets.annotate(hash_rank=hash_rank).values(*fields).query.sql_with_params()


def strata_table(strata: list[SampleStratum], columns: list[str],
                 cells_of) -> tuple[str, list, str]:
    """The strata as a ``WITH s (...) AS (VALUES ...)`` clause, its string parameters, and the
    join condition of a ticket ``t`` to its stratum ``s``. ``cells_of(stratum)`` gives the
    leading integer cells (stratum id first) and their names.

    The strata travel with the statement as a VALUES list: the planner then knows their number
    and hash-joins the population to them in one pass. Integers are written inline (they come
    from the database and int()), strings as parameters.
    """
    qn = connection.ops.quote_name
    values, value_params, names = [], [], []
    for stratum in strata:
        names, leading = cells_of(stratum)
        cells = [str(int(cell)) for cell in leading]
        for column in columns:
            value = getattr(stratum, column)
            if isinstance(value, int):
                cells.append(str(int(value)))
            else:
                cells.append("%s")
                value_params.append(value)
        values.append(f"({', '.join(cells)})")
    header = ", ".join(qn(name) for name in [*names, *columns])
    join = "".join(f" AND s.{qn(c)} = t.{qn(c)}" for c in columns)
    return f"WITH s ({header}) AS (VALUES {', '.join(values)}) ", value_params, join


def tie_break() -> str:
    """The ORDER BY tail that breaks equal hash ranks by (source, external_id), bytewise."""
    qn = connection.ops.quote_name
    collate = f"COLLATE {qn('C') if connection.vendor == 'postgresql' else qn('BINARY')}"
    return f"t.{qn('source')} {collate}, t.{qn('external_id')} {collate}"


def _run_selection(
    tickets: QuerySet[Ticket],
    keys: list[str],
    strata: list[SampleStratum],
    seed: int,
    *,
    threshold: bool,
) -> list[Selected]:
    columns = [STRATUM_FIELDS[key] for key in keys]
    inner, inner_params = ranked_population(tickets, columns, seed)
    qn = connection.ops.quote_name

    def cells_of(stratum: SampleStratum):
        cut = candidate_threshold(stratum.allocated, stratum.population) if threshold else PRIME
        return ["stratum_id", "allocated", "cut"], [stratum.pk, stratum.allocated, cut]

    with_strata, value_params, join = strata_table(strata, columns, cells_of)
    # Raw SQL only wraps the ORM's compiled ticket query: it reads no other table, writes nothing.
    sql = (
        f"{with_strata}"
        f"SELECT r.{qn('id')}, r.{qn('stratum_id')}, r.{qn('draw_rank')}, r.{qn('vendor_id')} "
        f"FROM (SELECT t.{qn('id')}, t.{qn('vendor_id')}, s.{qn('stratum_id')}, "
        f"s.{qn('allocated')}, ROW_NUMBER() OVER (PARTITION BY s.{qn('stratum_id')} ORDER BY "
        f"t.{qn('hash_rank')}, {tie_break()}) "
        f"AS {qn('draw_rank')} "
        f"FROM ({inner}) t INNER JOIN s ON t.{qn('hash_rank')} < s.{qn('cut')}{join}) r "
        f"WHERE r.{qn('draw_rank')} <= r.{qn('allocated')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*value_params, *inner_params])
        return [Selected(*row) for row in cursor.fetchall()]
