"""Importing a ticket CSV: every good row or none, every bad row named by row and field."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from tests.factories import AgentFactory
from tests.tickets.conftest import HEADER, good_row
from tickets.importing import import_tickets_from_path as import_file
from tickets.models import Ticket
from tickets.population import sample_key
from vendors.models import Agent

UTC = dt.UTC


def counts() -> tuple[int, int]:
    return Ticket.objects.count(), Agent.objects.count()


def problems(report) -> list[str]:
    return [str(error) for error in report.errors]


def test_a_clean_file_imports_every_ticket_in_utc(program, ticket_csv):
    AgentFactory(site=program["site_a"], external_id="ag-known")
    path = ticket_csv(
        [
            good_row(
                "T-1",
                agent="ag-known",
                policy="hate_speech",
                language="en",
                channel="chat",
                automated="Automated",
                content_url="https://example.com/post/1",
                excerpt="a quoted, multi-line\nexcerpt",
                source="zendesk",
                queue="vip",
            ),
            good_row(
                "T-2",
                vendor="borealis",
                site="bogota",
                agent="ag-9",
                handled_at="2026-03-01T10:00:00+05:30",
                automated="no",
            ),
            good_row("T-3", handled_at="2026-03-01 18:00:00"),  # naive: Manila time, UTC+8
        ]
    )

    report = import_file(path)

    assert report.ok, report.lines()
    assert (report.rows_read, report.created, report.already_present) == (3, 3, 0)
    first = Ticket.objects.get(external_id="T-1")
    assert (first.source, first.policy_label, first.language, first.channel) == (
        "zendesk",
        "hate_speech",
        "en",
        "chat",
    )
    assert first.automated is True
    assert first.content_url == "https://example.com/post/1"
    assert first.excerpt == "a quoted, multi-line\nexcerpt"
    assert first.extra == {"queue": "vip"}
    assert first.agent.external_id == "ag-known"
    assert first.sample_key == sample_key("zendesk", "T-1")
    second = Ticket.objects.get(external_id="T-2")
    assert second.handled_at == dt.datetime(2026, 3, 1, 4, 30, tzinfo=UTC)
    assert second.automated is False and second.vendor == program["vendor_b"]
    third = Ticket.objects.get(external_id="T-3")
    assert third.handled_at == dt.datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_an_unknown_agent_is_created_under_the_rows_vendor_and_site(program, ticket_csv):
    path = ticket_csv(
        [
            good_row("T-1", vendor="borealis", site="bogota", agent="new-agent"),
            good_row("T-2", vendor="borealis", site="bogota", agent="new-agent"),
            good_row("T-3", agent="new-agent"),  # same id at another vendor: another agent
        ]
    )

    report = import_file(path)

    assert report.ok and report.agents_created == 2
    at_borealis = Agent.objects.get(vendor=program["vendor_b"], external_id="new-agent")
    assert at_borealis.site == program["site_b"]
    at_acme = Agent.objects.get(vendor=program["vendor_a"], external_id="new-agent")
    assert at_acme.site == program["site_a"]
    borealis_tickets = Ticket.objects.filter(agent=at_borealis)
    assert set(borealis_tickets.values_list("external_id", flat=True)) == {"T-1", "T-2"}


def test_importing_the_same_file_twice_adds_nothing(program, ticket_csv):
    path = ticket_csv([good_row(f"T-{i}", agent=f"ag-{i % 3}") for i in range(10)])
    first = import_file(path)
    before = counts()

    again = import_file(path)

    assert (first.created, first.agents_created) == (10, 3)
    assert (again.created, again.already_present, again.agents_created) == (0, 10, 0)
    assert counts() == before == (10, 3)


def test_the_same_id_from_another_source_is_another_ticket(program, ticket_csv):
    import_file(ticket_csv([good_row("T-1")]))

    report = import_file(ticket_csv([good_row("T-1")]), default_source="freshdesk")

    assert report.created == 1
    assert sorted(Ticket.objects.values_list("source", flat=True)) == ["", "freshdesk"]


def test_missing_columns_are_named_on_row_1_and_nothing_is_read(program, ticket_csv):
    path = ticket_csv([good_row()], header=["external_id", "vendor", "site", "agent", "decision"])

    report = import_file(path)

    assert not report.ok
    assert [(e.row, e.field) for e in report.errors] == [(1, "workflow"), (1, "handled_at")]
    assert "row 1, field workflow: required column is missing" in problems(report)[0]
    assert counts() == (0, 0)


def test_unknown_vendor_site_and_workflow_are_each_named(program, ticket_csv):
    path = ticket_csv(
        [
            good_row("T-1"),
            good_row("T-2", vendor="acmee"),
            good_row("T-3", site="lagos"),
            good_row("T-4", workflow="spam"),
        ]
    )

    report = import_file(path)

    assert problems(report) == [
        "row 3, field vendor: unknown vendor 'acmee'; did you mean 'acme'?",
        "row 4, field site: unknown site 'lagos' of vendor 'acme'",
        "row 5, field workflow: unknown workflow 'spam'",
    ]
    assert report.bad_rows == 3 and counts() == (0, 0)


def test_a_site_of_another_vendor_is_a_bad_row(program, ticket_csv):
    path = ticket_csv([good_row("T-1", vendor="acme", site="bogota", agent="ag-new")])

    report = import_file(path)

    assert problems(report) == [
        "row 2, field site: site 'bogota' belongs to vendor 'borealis', not 'acme'"
    ]
    assert counts() == (0, 0)  # not even the new agent


@pytest.mark.parametrize(
    "value, problem",
    [
        ("2026-13-01T10:00:00Z", "'2026-13-01T10:00:00Z' is not a date and time"),
        ("yesterday", "'yesterday' is not a date and time"),
        ("", "'' is not a date and time"),
        ("2026-03-01", "'2026-03-01' has no time of day"),
    ],
)
def test_an_unparseable_date_is_a_bad_row(program, ticket_csv, value, problem):
    report = import_file(ticket_csv([good_row("T-1"), good_row("T-2", handled_at=value)]))

    assert len(report.errors) == 1
    assert str(report.errors[0]).startswith(f"row 3, field handled_at: {problem}")
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    "local_time, what",
    [
        ("2026-11-01 01:30:00", "happened twice"),  # New York falls back: 01:30 comes twice
        ("2026-03-08 02:30:00", "never happened"),  # springs forward: 02:00 -> 03:00
    ],
)
def test_a_naive_time_ambiguous_in_the_sites_timezone_is_a_bad_row(
    program, ticket_csv, local_time, what
):
    path = ticket_csv([good_row("T-1", site="new-york", handled_at=local_time)])

    report = import_file(path)

    assert str(report.errors[0]).startswith(
        f"row 2, field handled_at: '{local_time}' has no UTC offset and is ambiguous: "
        f"that local time {what} in America/New_York"
    )
    assert counts() == (0, 0)


def test_the_same_local_time_with_an_offset_is_accepted(program, ticket_csv):
    path = ticket_csv(
        [
            good_row("T-1", site="new-york", handled_at="2026-11-01 01:30:00-05:00"),
            good_row("T-2", site="new-york", handled_at="2026-07-01 09:00:00"),
        ]
    )

    assert import_file(path).ok
    handled = dict(Ticket.objects.values_list("external_id", "handled_at"))
    assert handled["T-1"] == dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert handled["T-2"] == dt.datetime(2026, 7, 1, 13, 0, tzinfo=UTC)  # naive summer: EDT


def test_duplicate_ids_inside_the_file_name_both_rows(program, ticket_csv):
    path = ticket_csv(
        [good_row("T-1"), good_row("T-2"), good_row("T-1"), good_row("T-2"), good_row("T-1")]
    )

    report = import_file(path)

    assert problems(report) == [
        "row 4, field external_id: 'T-1' already appears in row 2",
        "row 5, field external_id: 'T-2' already appears in row 3",
        "row 6, field external_id: 'T-1' already appears in row 2",
    ]
    assert counts() == (0, 0)


def test_a_duplicate_of_a_bad_row_is_still_reported(program, ticket_csv):
    path = ticket_csv([good_row("T-1", vendor="nobody"), good_row("T-1")])

    report = import_file(path)

    assert [(e.row, e.field) for e in report.errors] == [(2, "vendor"), (3, "external_id")]
    assert report.bad_rows == 2


def test_empty_ids_are_bad_rows(program, ticket_csv):
    path = ticket_csv([good_row("T-1"), good_row("  "), good_row("T-3", agent="", decision="")])

    report = import_file(path)

    assert problems(report) == [
        "row 3, field external_id: is empty; a value is required",
        "row 4, field agent: is empty; a value is required",
        "row 4, field decision: is empty; a value is required",
    ]
    assert counts() == (0, 0)


def test_undecodable_bytes_name_the_row_and_field(program, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        (",".join(HEADER) + "\n").encode()
        + b"T-1,acme,manila,ag-1,hate-speech-en,2026-03-01T10:00:00Z,remove\n"
        + b"T-2,acme,manila,ag-1,hate-speech-en,2026-03-01T10:00:00Z,r\xe9voqu\xe9\n"
    )

    report = import_file(path)

    assert problems(report) == [
        "row 3, field decision: has bytes that are not UTF-8: b'r\\xe9voqu\\xe9'"
    ]
    assert counts() == (0, 0)


def test_a_row_with_the_wrong_number_of_cells_is_named(program, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text(",".join(HEADER) + "\nT-1,acme,manila\n", encoding="utf-8")

    assert problems(import_file(path)) == ["row 2, field (row): has 3 cells; the header has 7"]


def test_automated_and_content_url_values_are_checked(program, ticket_csv):
    path = ticket_csv(
        [good_row("T-1", automated="maybe"), good_row("T-2", content_url="javascript:alert(1)")]
    )

    assert problems(import_file(path)) == [
        "row 2, field automated: 'maybe' is not one of true/false, yes/no, 1/0, automated/manual",
        "row 3, field content_url: 'javascript:alert(1)' is not an http(s) URL",
    ]


def test_values_longer_than_the_ticket_fields_are_bad_rows(program, ticket_csv):
    report = import_file(ticket_csv([good_row("T-1", decision="x" * 65)]))

    assert problems(report) == [f"row 2, field decision: '{'x' * 65}' is longer than 64 characters"]


def test_one_bad_row_among_many_writes_nothing(program, ticket_csv):
    import_file(ticket_csv([good_row("OLD-1"), good_row("OLD-2")]))
    before = counts()
    rows = [good_row(f"T-{i}", agent=f"new-{i}") for i in range(500)]
    rows[321]["workflow"] = "no-such-workflow"

    report = import_file(ticket_csv(rows))

    assert (report.rows_read, report.bad_rows, report.created) == (500, 1, 0)
    assert str(report.errors[0]).startswith("row 323, field workflow:")
    assert counts() == before == (2, 1)  # no ticket and none of the 499 new agents


def test_the_report_lists_the_first_thousand_problems_and_counts_the_rest(program, ticket_csv):
    rows = [good_row(f"T-{i}", vendor="nobody") for i in range(1200)]

    report = import_file(ticket_csv(rows))

    assert report.error_count == 1200 and len(report.errors) == 1000
    assert report.lines()[-1] == "… and 200 more problems not listed."


def test_a_spreadsheet_export_with_byte_order_mark_and_crlf_imports(program, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "\ufeffExternal_ID,Vendor,Site,Agent,Workflow,Handled_At,Decision\r\n".encode()
        + b"T-1,acme,manila,ag-1,hate-speech-en,2026-03-01T10:00:00Z,remove\r\n"
    )

    assert import_file(path).created == 1


def test_a_row_that_cannot_be_parsed_as_csv_is_named(program, ticket_csv):
    path = ticket_csv([good_row("T-1", excerpt="x" * 200_000), good_row("T-2", vendor="nobody")])

    assert problems(import_file(path)) == [
        "row 2, field (row): cannot be read as CSV: field larger than field limit (131072)",
        "row 3, field vendor: unknown vendor 'nobody'",
    ]


def test_an_empty_file_is_refused(program, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    assert problems(import_file(path)) == [
        "row 1, field (header): the file is empty; row 1 must name the columns"
    ]


def test_the_command_imports_and_reports(program, ticket_csv, capsys):
    path = ticket_csv([good_row("T-1"), good_row("T-2")])

    call_command("import_tickets", str(path), "--source", "zendesk")

    out = capsys.readouterr().out
    assert "2 rows read; 2 new tickets, 0 already present; 1 agent created." in out
    assert set(Ticket.objects.values_list("source", flat=True)) == {"zendesk"}


def test_the_command_exits_non_zero_naming_every_bad_row(program, ticket_csv, capsys):
    path = ticket_csv(
        [
            good_row("T-1", handled_at="2026-13-01"),
            good_row("T-2"),
            good_row("T-2", vendor="nobody"),
        ]
    )

    with pytest.raises(CommandError, match="3 problems in 2 rows of 3; nothing was imported"):
        call_command("import_tickets", str(path))

    err = capsys.readouterr().err
    assert "row 2, field handled_at: '2026-13-01' is not a date and time" in err
    assert "row 4, field vendor: unknown vendor 'nobody'" in err
    assert "row 4, field external_id: 'T-2' already appears in row 3" in err
    assert counts() == (0, 0)


def test_the_command_exit_status_is_non_zero(program, ticket_csv):
    from django.core.management import execute_from_command_line

    path = ticket_csv([good_row("T-1", vendor="nobody")])

    with pytest.raises(SystemExit) as exit_status:
        execute_from_command_line(["manage.py", "import_tickets", str(path)])

    assert exit_status.value.code == 1


def test_the_command_names_a_missing_file(program, tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("import_tickets", str(tmp_path / "nope.csv"))
