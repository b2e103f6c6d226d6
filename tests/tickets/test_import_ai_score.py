"""An outside model's score arrives with the tickets: ``ai_score`` with ``ai_model`` naming it.

These run on the default test database (PostgreSQL with DATABASE_URL, its COPY staging) and
the same file runs on SQLite (batched inserts) with DATABASE_URL unset.
"""

import pytest
from django.db import IntegrityError, transaction

from tests.factories import TicketFactory
from tests.tickets.conftest import good_row
from tickets.importing import import_tickets_from_path as import_file
from tickets.models import Ticket


def problems(report) -> list[str]:
    return [str(error) for error in report.errors]


def scores() -> dict[str, tuple]:
    return {
        external_id: (score, model)
        for external_id, score, model in Ticket.objects.values_list(
            "external_id", "ai_score", "ai_model"
        )
    }


def test_scores_and_their_model_are_imported_and_blank_scores_stay_empty(program, ticket_csv):
    path = ticket_csv([
        good_row("T-1", ai_score="0.82", ai_model="llm-grader-v3"),
        good_row("T-2", ai_score=" 0 ", ai_model=" clf-2026 "),
        good_row("T-3", ai_score="1", ai_model="clf-2026"),
        good_row("T-4", ai_score="1e-3", ai_model="clf-2026"),
        good_row("T-5", ai_score="", ai_model=""),
        good_row("T-6", ai_score="", ai_model="clf-2026"),  # a name without a score is not kept
    ])

    report = import_file(path)

    assert report.ok, report.lines()
    assert scores() == {
        "T-1": (0.82, "llm-grader-v3"),
        "T-2": (0.0, "clf-2026"),
        "T-3": (1.0, "clf-2026"),
        "T-4": (0.001, "clf-2026"),
        "T-5": (None, ""),
        "T-6": (None, ""),
    }
    # Known columns now: they do not also land in extra.
    assert not Ticket.objects.exclude(extra={}).exists()


def test_a_file_without_the_columns_imports_unscored_tickets(program, ticket_csv):
    report = import_file(ticket_csv([good_row("T-1")]))

    assert report.ok, report.lines()
    assert scores() == {"T-1": (None, "")}


@pytest.mark.parametrize(
    ("score", "model", "expected"),
    [
        ("high", "m", "row 2, field ai_score: 'high' is not a number (a probability from 0 to "
         "1, e.g. 0.82)"),
        ("0,82", "m", "row 2, field ai_score: '0,82' is not a number (use a dot for decimals, "
         "e.g. 0.82)"),
        ("1_0", "m", "row 2, field ai_score: '1_0' is not a number (a probability from 0 to 1, "
         "e.g. 0.82)"),
        ("NaN", "m", "row 2, field ai_score: 'NaN' is not a finite number"),
        ("-inf", "m", "row 2, field ai_score: '-inf' is not a finite number"),
        ("Infinity", "m", "row 2, field ai_score: 'Infinity' is not a finite number"),
        ("1.01", "m", "row 2, field ai_score: '1.01' is outside 0 to 1 (the probability that "
         "the ticket fails QA)"),
        ("-0.1", "m", "row 2, field ai_score: '-0.1' is outside 0 to 1 (the probability that "
         "the ticket fails QA)"),
        ("1e999", "m", "row 2, field ai_score: '1e999' is outside 0 to 1 (the probability "
         "that the ticket fails QA)"),
        ("82", "m", "row 2, field ai_score: '82' is outside 0 to 1 (the probability that the "
         "ticket fails QA)"),
        ("0.5", "", "row 2, field ai_model: is empty; name the model that gave ai_score (e.g. "
         "llm-grader-v3)"),
        ("0.5", "x" * 65, f"row 2, field ai_model: '{'x' * 65}' is longer than 64 characters"),
        ("0.5", "llm\tgrader", "row 2, field ai_model: 'llm\\tgrader' has a control character"),
        ("0.5", "llm\x85grader", "row 2, field ai_model: 'llm\\x85grader' has a control "
         "character"),
    ],
)
def test_a_bad_score_or_model_is_a_bad_row_and_nothing_is_written(
    program, ticket_csv, score, model, expected
):
    path = ticket_csv([good_row("T-1", ai_score=score, ai_model=model), good_row("T-2")])

    report = import_file(path)

    assert problems(report) == [expected]
    assert (report.created, Ticket.objects.count()) == (0, 0)


def test_every_bad_score_is_named_by_its_row_among_good_ones(program, ticket_csv):
    rows = [good_row(f"T-{i}", ai_score=f"0.{i}", ai_model="m") for i in range(1, 6)]
    rows[1]["ai_score"] = "2"
    rows[3]["ai_model"] = ""

    report = import_file(ticket_csv(rows))

    assert problems(report) == [
        "row 3, field ai_score: '2' is outside 0 to 1 (the probability that the ticket fails QA)",
        "row 5, field ai_model: is empty; name the model that gave ai_score (e.g. llm-grader-v3)",
    ]
    assert Ticket.objects.count() == 0


def test_reimporting_with_new_scores_leaves_present_tickets_as_they_are(program, ticket_csv):
    import_file(ticket_csv([good_row("T-1", ai_score="0.2", ai_model="clf-1"), good_row("T-2")]))

    again = import_file(ticket_csv([
        good_row("T-1", ai_score="0.9", ai_model="clf-2"),
        good_row("T-2", ai_score="0.7", ai_model="clf-2"),
        good_row("T-3", ai_score="0.4", ai_model="clf-2"),
    ]))

    assert (again.created, again.already_present) == (1, 2)
    assert scores() == {"T-1": (0.2, "clf-1"), "T-2": (None, ""), "T-3": (0.4, "clf-2")}


@pytest.mark.parametrize(
    ("score", "model"),
    [(1.5, "m"), (-0.01, "m"), (float("nan"), "m"), (0.5, ""), (None, "m")],
)
def test_the_database_refuses_a_score_that_is_not_a_probability_with_its_model(
    program, score, model
):
    ticket = TicketFactory(agent__site=program["site_a"])
    Ticket.objects.filter(pk=ticket.pk).update(ai_score=None, ai_model="")

    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(ai_score=score, ai_model=model)
