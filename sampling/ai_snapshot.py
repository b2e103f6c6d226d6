"""The model's scores a run's AI-assisted estimates use, kept when the run is drawn: per stratum
and per rollup cell key the population's tickets, scored tickets, Σ ŷ and Σ ŷ² (ŷ = the ticket's
``ai_score``) and the one model that scored them, and each sampled ticket's ŷ. A later
rescoring changes the tickets, never a drawn run's numbers. Called by ``sampling.drawing``
inside the draw's transaction and snapshot. Docs: docs/statistics.md#ai-assisted-domain-estimates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection
from django.db.models import Count, DateField, F, FloatField, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek

from tickets.models import Ticket

from .models import STRATUM_FIELDS, PopulationScoreCell, SampledTicket, SampleStratum

# The rollups' cell key of a ticket (rollups.cells.KEYS, without the stratum).
CELL_KEY = {
    "vendor_id": F("vendor_id"),
    "site_id": F("site_id"),
    "agent_id": F("agent_id"),
    "workflow_id": F("workflow_id"),
    "week": TruncWeek("handled_at", output_field=DateField(), tzinfo=dt.UTC),
}


def keep_population_scores(tickets: QuerySet[Ticket], keys: list[str],
                           strata: list[SampleStratum]) -> None:
    """Write each stratum's population cells and its totals from the drawn population
    ``tickets``, in one grouped query (one row per stratum and cell key). A stratum gets its
    model's name only when that one model scored all N_h tickets. A population no model
    scored keeps no cells (no stratum of it can have an AI-assisted estimate): its strata
    only record that none of their tickets had a score."""
    totals, models = {}, {}
    if tickets.filter(ai_score__isnull=False).exists():
        totals, models = _keep_cells(tickets, keys, strata)
    for stratum in strata:
        scored_n, total, total_sq = totals.get(stratum.pk, (0, 0.0, 0.0))
        names = models.get(stratum.pk, set())
        stratum.ai_scored, stratum.ai_score_sum, stratum.ai_score_sq_sum = (
            scored_n, total, total_sq)
        stratum.ai_model = (next(iter(names))
                            if len(names) == 1 and scored_n == stratum.population else "")
    SampleStratum.objects.bulk_update(
        strata, ["ai_scored", "ai_score_sum", "ai_score_sq_sum", "ai_model"], batch_size=500)


def _keep_cells(tickets: QuerySet[Ticket], keys: list[str],
                strata: list[SampleStratum]) -> tuple[dict, dict]:
    """Write the population cells; return each stratum's [scored tickets, Σ ŷ, Σ ŷ²] and the
    models that scored them, by stratum id."""
    columns = [STRATUM_FIELDS[key] for key in keys]
    scored = Q(ai_score__isnull=False)
    rows = (
        tickets.order_by()
        .annotate(**{f"cell_{name}": expression for name, expression in CELL_KEY.items()})
        .values(*columns, *(f"cell_{name}" for name in CELL_KEY))
        .annotate(
            n=Count("pk"), scored_n=Count("ai_score"),
            total=Sum("ai_score", output_field=FloatField()),
            total_sq=Sum(F("ai_score") * F("ai_score"), output_field=FloatField()),
            first_model=Min("ai_model", filter=scored), last_model=Max("ai_model", filter=scored),
        )
    )
    by_key = {tuple(stratum.key_values(keys)): stratum for stratum in strata}
    cells, models = [], defaultdict(set)
    totals = defaultdict(lambda: [0, 0.0, 0.0])
    for row in rows.iterator(chunk_size=5000):
        stratum = by_key[tuple(row[column] for column in columns)]
        cells.append(PopulationScoreCell(
            stratum_id=stratum.pk, tickets=row["n"], scored=row["scored_n"],
            score_sum=row["total"] or 0.0, score_sq_sum=row["total_sq"] or 0.0,
            **{name: row[f"cell_{name}"] for name in CELL_KEY},
        ))
        total = totals[stratum.pk]
        total[0] += row["scored_n"]
        total[1] += row["total"] or 0.0
        total[2] += row["total_sq"] or 0.0
        models[stratum.pk].update(m for m in (row["first_model"], row["last_model"]) if m)
    PopulationScoreCell.objects.bulk_create(cells, batch_size=5000)
    return totals, models


def keep_sampled_scores(run_id: int) -> None:
    """Copy each of the run's sampled tickets' ``ai_score`` as it is now (at draw)."""
    sampled = SampledTicket._meta.db_table
    ticket = Ticket._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(sampled)} SET {quote('ai_score')} = ("
            f"SELECT t.{quote('ai_score')} FROM {quote(ticket)} t "
            f"WHERE t.{quote('id')} = {quote(sampled)}.{quote('ticket_id')}) "
            f"WHERE {quote('run_id')} = %s", [run_id])


def ai_assisted_reason(stratum: SampleStratum) -> str | None:
    """Why a stratum has no AI-assisted estimate, or None when it may have one."""
    if stratum.ai_scored is None:
        return "drawn before the model's scores were kept at draw"
    if stratum.risk_weighted:
        return "risk-weighted strata use the classical (Hájek) estimate"
    if stratum.ai_scored < stratum.population:
        return (f"{stratum.population - stratum.ai_scored} of its {stratum.population} tickets "
                "had no model score at draw")
    if not stratum.ai_model:
        return "its tickets were scored by more than one model"
    return None
