"""The import's checks in the database (PostgreSQL's COPY road, tickets.import_sql) say and
keep exactly what the row checker says and keeps: a bad row is named by row and field and
nothing is written; an unusual but good value is read as the checker reads it; a file that
COPY may read differently from Python's csv module is read row by row instead.

The same tests run on SQLite, where every row takes the row checker's road.
"""

import datetime as dt
import logging

import pytest
from django.db import connection

from tests.tickets.conftest import HEADER, good_row
from tickets.importing import import_tickets_from_path as import_file
from tickets.models import Ticket
from vendors.models import Agent

pytestmark = pytest.mark.django_db

UTC = dt.UTC
ROW_BY_ROW = "read row by row"


def problems(report) -> list[str]:
    return [str(error) for error in report.errors]


def nothing_written() -> bool:
    return not Ticket.objects.exists() and not Agent.objects.exists()


def road(caplog) -> str:
    """Which road the last import took: "row by row" or "copy" (always the former off
    PostgreSQL)."""
    if connection.vendor != "postgresql":
        return "row by row"
    return "row by row" if ROW_BY_ROW in caplog.text else "copy"


@pytest.fixture(autouse=True)
def _import_log(caplog):
    caplog.set_level(logging.INFO, logger="tickets.importing")


def test_a_bad_time_among_many_good_rows_is_named_and_nothing_written(program, ticket_csv, caplog):
    rows = [good_row(f"T-{i}", agent=f"ag-{i % 7}") for i in range(300)]
    rows[206]["handled_at"] = "2026-02-30T10:00:00Z"  # no 30 February

    report = import_file(ticket_csv(rows))

    assert problems(report) == [
        "row 208, field handled_at: '2026-02-30T10:00:00Z' is not a date and time (use ISO "
        "8601, e.g. 2026-03-01T14:05:00Z)"
    ]
    assert (report.rows_read, report.bad_rows, report.created) == (300, 1, 0)
    assert nothing_written()
    assert road(caplog) == ("copy" if connection.vendor == "postgresql" else "row by row")


def test_an_unknown_site_is_named_and_nothing_written(program, ticket_csv):
    rows = [good_row("T-1"), good_row("T-2", site="cebu", agent="new-agent"), good_row("T-3")]

    report = import_file(ticket_csv(rows))

    assert problems(report) == ["row 3, field site: unknown site 'cebu' of vendor 'acme'"]
    assert nothing_written()


def test_a_duplicate_id_in_the_file_is_named_and_nothing_written(program, ticket_csv):
    rows = [good_row("T-1"), good_row("T-2"), good_row("T-1", decision="approve")]

    report = import_file(ticket_csv(rows))

    assert problems(report) == ["row 4, field external_id: 'T-1' already appears in row 2"]
    assert nothing_written()


def test_a_row_with_too_many_cells_is_named_and_nothing_written(program, tmp_path, caplog):
    path = tmp_path / "wide.csv"
    good = "acme,manila,ag-1,hate-speech-en,2026-03-01T10:00:00Z,remove"
    path.write_text(
        ",".join(HEADER) + f"\nT-1,{good}\nT-2,{good},surplus\nT-3,{good}\n", encoding="utf-8"
    )

    report = import_file(path)

    assert problems(report) == ["row 3, field (row): has 8 cells; the header has 7"]
    assert nothing_written()
    assert road(caplog) == "row by row"  # COPY refuses the row; the checker names it


def test_values_the_sql_leaves_to_the_checker_are_read_as_the_checker_reads_them(
    program, ticket_csv, caplog
):
    path = ticket_csv(
        [
            good_row("T-1"),  # plain: checked in the database
            good_row(" T-2 ", vendor=" acme", agent="ag-2\u00a0"),  # trimmed by str.strip()
            good_row("T-3", ai_score="1e-1", ai_model="m"),  # an exponent
            good_row("T-4", content_url="https://exämple.org/post"),  # a non-ASCII link
            # 01:30 happened twice in New York on 1 Nov 2026; with an offset it is one time.
            good_row("T-5", site="new-york", handled_at="2026-11-01 01:30:00-04:00"),
            good_row("T-6", site="new-york", handled_at="2026-11-02 01:30:00"),  # a day after
            good_row("T-7", handled_at="2026-03-01T10:00:00.1234567Z"),  # 7 decimals
            good_row("T-8", automated="YES", decision="Décision"),
        ]
    )

    report = import_file(path)

    assert report.ok, report.lines()
    assert road(caplog) == ("copy" if connection.vendor == "postgresql" else "row by row")
    tickets = {t.external_id: t for t in Ticket.objects.select_related("agent", "vendor")}
    assert set(tickets) == {f"T-{i}" for i in range(1, 9)}
    assert (tickets["T-2"].vendor.slug, tickets["T-2"].agent.external_id) == ("acme", "ag-2")
    assert (tickets["T-3"].ai_score, tickets["T-3"].ai_model) == (0.1, "m")
    assert tickets["T-4"].content_url == "https://exämple.org/post"
    assert tickets["T-5"].handled_at == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert tickets["T-6"].handled_at == dt.datetime(2026, 11, 2, 6, 30, tzinfo=UTC)  # EST
    assert tickets["T-7"].handled_at == dt.datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert (tickets["T-8"].automated, tickets["T-8"].decision) == (True, "Décision")


def test_a_time_that_happened_twice_is_refused_on_either_road(program, ticket_csv):
    rows = [good_row(f"T-{i}") for i in range(50)]
    rows[10].update(site="new-york", handled_at="2026-11-01 01:30:00")

    report = import_file(ticket_csv(rows))

    assert [(e.row, e.field) for e in report.errors] == [(12, "handled_at")]
    assert "happened twice" in report.errors[0].problem
    assert nothing_written()


def test_a_stray_quote_is_read_as_python_csv_reads_it(program, tmp_path, caplog):
    path = tmp_path / "quotes.csv"
    path.write_text(
        ",".join([*HEADER, "excerpt"])
        + '\nT-1,acme,manila,ag-1,hate-speech-en,2026-03-01T10:00:00Z,remove,he said "no" twice\n',
        encoding="utf-8",
    )

    report = import_file(path)

    assert report.ok, report.lines()
    assert Ticket.objects.get().excerpt == 'he said "no" twice'
    assert road(caplog) == "row by row"


def test_a_line_holding_only_backslash_dot_does_not_end_the_file(program, tmp_path, caplog):
    """COPY takes such a line for the end of its data; the rows after it still count."""
    path = tmp_path / "end-marker.csv"
    good = "acme,manila,ag-1,hate-speech-en,2026-03-01T10:00:00Z,remove"
    path.write_text(
        ",".join(HEADER) + f"\nT-1,{good}\n\\.\nT-3,{good.replace('acme', 'nobody')}\n",
        encoding="utf-8",
    )

    report = import_file(path)

    assert problems(report) == [
        "row 3, field (row): has 1 cells; the header has 7",
        "row 4, field vendor: unknown vendor 'nobody'",
    ]
    assert nothing_written()
    assert road(caplog) == "row by row"


def test_a_quoted_backslash_dot_line_inside_an_excerpt_is_kept(program, ticket_csv):
    path = ticket_csv([good_row("T-1", excerpt="first line\n\\.\nlast line")])

    report = import_file(path)

    assert report.ok, report.lines()
    assert Ticket.objects.get().excerpt == "first line\n\\.\nlast line"


def test_every_problem_of_many_bad_rows_is_counted_and_the_first_shown_in_row_order(
    program, ticket_csv
):
    rows = [good_row(f"T-{i}", vendor="nobody" if i % 2 else "acme") for i in range(2400)]
    rows[4]["handled_at"] = "soon"

    report = import_file(ticket_csv(rows))

    assert (report.error_count, report.bad_rows, len(report.errors)) == (1201, 1201, 1000)
    assert [(e.row, e.field) for e in report.errors[:3]] == [
        (3, "vendor"),
        (5, "vendor"),
        (6, "handled_at"),
    ]
    assert [e.row for e in report.errors] == sorted(e.row for e in report.errors)
    assert report.lines()[-1] == "… and 201 more problems not listed."
    assert nothing_written()
