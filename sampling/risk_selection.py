"""Which tickets a risk-weighted run selects: inside each stratum, Poisson sampling with
probability proportional to (floor + AI score), capped at 1, on the same permanent random numbers
as ``sampling.selection`` (ticket i is drawn when u_i = hash_rank/P < π_i; Ohlsson 1995, Brewer,
Early & Joyce 1972), in one SQL statement. A ticket without a score counts at its stratum's mean
score. The probabilities equal ``sampling.stats.inclusion_probabilities``; why Poisson rather
than a fixed-size design: docs/statistics.md#risk-weighted-samples-ht_proportion.
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import connection
from django.db.models import QuerySet

from tickets.models import Ticket

from ._risk import CAP_TOLERANCE
from .models import STRATUM_FIELDS, SampleStratum
from .selection import PRIME, ranked_population, strata_table, tie_break


class WeightedSelected(NamedTuple):
    ticket_id: int
    stratum_id: int
    draw_rank: int
    vendor_id: int
    probability: float


def select_risk_weighted(
    tickets: QuerySet[Ticket],
    keys: list[str],
    strata: list[SampleStratum],
    seed: int,
    floor: float,
) -> list[WeightedSelected]:
    """Each stratum's Poisson sample with expected size ``allocated``, every ticket with its π_i;
    ``draw_rank`` orders a stratum's drawn tickets by their random number. The sample's size
    is random (its expectation is n_h); a stratum may draw none."""
    wanted = [stratum for stratum in strata if stratum.allocated]
    if not wanted:
        return []
    if not 0 < floor <= 1:
        raise ValueError(f"the risk floor must lie in (0, 1], got {floor!r}")
    columns = [STRATUM_FIELDS[key] for key in keys]
    inner, inner_params = ranked_population(tickets, columns, seed, "ai_score")
    with_strata, value_params, join = strata_table(
        wanted, columns, lambda s: (["stratum_id", "expected"], [s.pk, s.allocated])
    )
    qn = connection.ops.quote_name
    stratum, size, rank = qn("stratum_id"), qn("size"), qn("hash_rank")
    ranked = f"PARTITION BY {stratum} ORDER BY {size} DESC, {rank}, {qn('id')}"
    # The same order reversed: the running sum in it from the first row is the tail sum, which
    # PostgreSQL adds up row by row (a frame "from the current row to the end" would be summed
    # again for every row of a float column: quadratic in the stratum's size).
    reversed_order = f"PARTITION BY {stratum} ORDER BY {size}, {rank} DESC, {qn('id')} DESC"
    # pop: each ticket's size x = floor + score (the stratum's mean score when it has none);
    # ordered: its place by decreasing x and the sum of x from there on (tail); cut: per stratum
    # the fewest tickets capped at π = 1 so that the largest one left has c·x <= 1, with
    # c = (n - capped) / tail (the same rule as inclusion_probabilities); then π and the draw.
    sql = (
        f"{with_strata}, pop AS (SELECT t.{qn('id')}, t.{qn('vendor_id')}, t.{qn('source')}, "
        f"t.{qn('external_id')}, t.{rank}, s.{stratum}, s.{qn('expected')}, "
        f"{float(floor)!r} + COALESCE(t.{qn('ai_score')}, AVG(t.{qn('ai_score')}) OVER "
        f"(PARTITION BY s.{stratum}), 0.0) AS {size} "
        f"FROM ({inner}) t INNER JOIN s ON 1 = 1{join}), "
        f"ordered AS (SELECT pop.*, ROW_NUMBER() OVER ({ranked}) - 1 AS {qn('place')}, "
        f"SUM({size}) OVER ({reversed_order} ROWS UNBOUNDED PRECEDING) "
        f"AS {qn('tail')} FROM pop), "
        f"cut AS (SELECT {stratum}, MIN({qn('place')}) AS {qn('capped')} FROM ordered "
        f"WHERE ({qn('expected')} - {qn('place')}) * {size} <= {qn('tail')} * "
        f"{1 + CAP_TOLERANCE!r} GROUP BY {stratum}), "
        f"scale AS (SELECT o.{stratum}, c.{qn('capped')}, "
        f"(o.{qn('expected')} - c.{qn('capped')}) / o.{qn('tail')} AS {qn('c')} "
        f"FROM ordered o INNER JOIN cut c ON c.{stratum} = o.{stratum} "
        f"AND c.{qn('capped')} = o.{qn('place')}), "
        f"probable AS (SELECT o.*, CASE WHEN o.{qn('place')} < sc.{qn('capped')} "
        f"OR sc.{qn('c')} * o.{size} >= 1 THEN 1.0 ELSE sc.{qn('c')} * o.{size} END AS {qn('pi')} "
        f"FROM ordered o INNER JOIN scale sc ON sc.{stratum} = o.{stratum}) "
        f"SELECT t.{qn('id')}, t.{stratum}, ROW_NUMBER() OVER (PARTITION BY t.{stratum} "
        f"ORDER BY t.{rank}, {tie_break()}), t.{qn('vendor_id')}, t.{qn('pi')} "
        f"FROM probable t WHERE t.{rank} < t.{qn('pi')} * {PRIME}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*value_params, *inner_params])
        return [WeightedSelected(*row[:4], float(row[4])) for row in cursor.fetchall()]
