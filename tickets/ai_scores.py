"""Writing a model's scores onto tickets, many at a time: the one place that sets
``Ticket.ai_score`` and ``Ticket.ai_model`` in bulk (the built-in risk model's scoring calls it;
the import and push write theirs through the staging table). One statement per call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection

from .models import AI_MODEL_MAX_LENGTH, Ticket


def write_ai_scores(ticket_ids: Sequence[int], scores: Sequence[float], model: str) -> int:
    """Set ``ai_score`` to each score and ``ai_model`` to ``model`` on these tickets, in one
    UPDATE; returns the rows changed. Scores must be probabilities (the table's check refuses
    anything else, and the whole statement with it)."""
    if len(ticket_ids) != len(scores):
        raise ValueError(f"{len(scores)} scores for {len(ticket_ids)} tickets")
    if not model or len(model) > AI_MODEL_MAX_LENGTH:
        raise ValueError(f"a model name of 1 to {AI_MODEL_MAX_LENGTH} characters is needed")
    if not ticket_ids:
        return 0
    if connection.vendor == "postgresql":
        # UPDATE … FROM unnest(): one pass joining the chunk's ids to their scores (a CASE
        # per row, as bulk_update writes it, is quadratic in the chunk's size).
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Ticket._meta.db_table} AS t SET ai_score = s.score, ai_model = %s "
                "FROM unnest(%s::bigint[], %s::double precision[]) AS s(id, score) "
                "WHERE t.id = s.id",
                [model, list(map(int, ticket_ids)), list(map(float, scores))],
            )
            return cursor.rowcount
    if connection.vendor == "sqlite":
        # SQLite 3.33+ has UPDATE … FROM: the pairs go in as one JSON array, joined in one pass.
        pairs = json.dumps(
            [[int(pk), float(score)] for pk, score in zip(ticket_ids, scores, strict=True)]
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Ticket._meta.db_table} SET ai_score = s.score, ai_model = %s "
                "FROM (SELECT json_extract(value, '$[0]') AS id, "
                "json_extract(value, '$[1]') AS score FROM json_each(%s)) AS s "
                f"WHERE {Ticket._meta.db_table}.id = s.id",
                [model, pairs],
            )
            return cursor.rowcount
    # Other databases: bulk_update's CASE, one statement for the chunk.
    tickets = [
        Ticket(pk=pk, ai_score=float(score), ai_model=model)
        for pk, score in zip(ticket_ids, scores, strict=True)
    ]
    return Ticket.objects.bulk_update(tickets, ["ai_score", "ai_model"], batch_size=len(tickets))
