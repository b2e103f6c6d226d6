"""Importing shows how far it got: rows read, checked and imported out of the file's rows, as
an accounts.progress record the upload's page polls, and as a bar on the command's terminal
(one quiet summary line when piped or under CI)."""

import io
import os
import threading

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.progress import ProgressReporter, read_progress
from tests.tickets.conftest import good_row
from tickets import import_sql
from tickets.importing import PROGRESS_KIND, import_tickets, import_tickets_from_path
from tickets.models import Ticket, TicketImport


def watched_import(path, pk, stream=None, min_interval=0.5):
    """Import with a reporter whose listener reads back, after each report, the record the
    status page would read: what a page polling at that moment saw."""
    seen = []

    def look(_snapshot):
        record = read_progress(PROGRESS_KIND, pk)
        seen.append((record.phase, record.done, record.total))

    progress = ProgressReporter(PROGRESS_KIND, pk, listener=look, min_interval=min_interval)
    if stream is None:
        report = import_tickets_from_path(str(path), progress=progress)
    else:
        report = import_tickets(stream, file_name=path.name, progress=progress)
    return report, seen


def test_an_import_reports_rows_read_checked_and_imported(program, ticket_csv):
    path = ticket_csv([good_row(f"T-{n}") for n in range(5)])

    report, seen = watched_import(path, 9_001)

    assert report.ok and report.created == 5
    phases = list(dict.fromkeys(phase for phase, _, _ in seen))
    assert phases[-2:] == ["checking rows", "importing"]
    assert all(total == 5 for _, _, total in seen)  # the file's rows, counted up front
    assert seen[-1] == ("importing", 5, 5)
    assert read_progress(PROGRESS_KIND, 9_001).text == "5 of 5 rows imported"


class OneWayStream(io.RawIOBase):
    """A file that can be read once (an upload streamed from elsewhere): no total up front."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_stream_read_once_counts_rows_without_a_total_until_the_end(program, ticket_csv):
    path = ticket_csv([good_row(f"T-{n}") for n in range(3)])

    report, seen = watched_import(path, 9_002, stream=OneWayStream(path.read_bytes()))

    assert report.ok
    assert seen[0] == ("checking rows", 0, None)
    assert ("checking rows", 3, 3) in seen and seen[-1] == ("importing", 3, 3)


@pytest.mark.postgres
def test_rows_the_sql_cannot_vouch_for_are_counted_as_the_row_checker_goes(
    program, ticket_csv, monkeypatch
):
    monkeypatch.setattr(import_sql, "PROGRESS_ROWS", 1)  # a report per row, to see each
    rows = [good_row("T-1"), *(good_row(f"T-{n}", vendor="nobody") for n in range(2, 5))]
    path = ticket_csv(rows)

    report, seen = watched_import(path, 9_004, min_interval=0)

    assert not report.ok
    checking = [done for phase, done, _ in seen if phase == "checking rows"]
    assert checking == [0, 1, 2, 3, 4, 4]  # none, the plain row, each row checked, the end


def test_a_rejected_file_stops_its_progress_at_the_checks(program, ticket_csv):
    path = ticket_csv([good_row("T-1"), good_row("T-2", handled_at="2026-13-01T00:00:00")])

    report, seen = watched_import(path, 9_003)

    assert not report.ok
    assert "importing" not in {phase for phase, _, _ in seen}
    assert seen[-1] == ("checking rows", 2, 2)


def test_the_status_json_follows_the_record_and_is_for_managers_only(
    client_as, manager, auditor, poc_a, program
):
    upload = TicketImport.objects.create(
        file="ticket_imports/x.csv", original_name="x.csv", status="running"
    )
    clock = iter([100.0, 110.0])
    reporter = ProgressReporter(PROGRESS_KIND, upload.pk, clock=lambda: next(clock))
    reporter.phase("checking rows", 4_000, "rows checked")
    reporter.update(1_000)
    url = reverse("audits:ticket_import_progress", args=[upload.pk])

    status = client_as(manager).get(url).json()

    assert status["status"] == "running" and status["finished"] is False
    assert (status["percent"], status["phase"]) == (25, "checking rows")
    assert status["text"] == "1,000 of 4,000 rows checked, about 30 s left"
    page = client_as(manager).get(reverse("audits:ticket_import_status", args=[upload.pk]))
    html = page.content.decode()
    assert '<progress id="job-bar" max="100" value="25"' in html
    assert "1,000 of 4,000 rows checked, about 30 s left" in html
    assert "js/progress.js" in html
    # Exactly the page's people: the upload page refuses auditors and vendor users.
    assert client_as(auditor).get(url).status_code == 403
    assert client_as(poc_a).get(url).status_code == 403
    missing = reverse("audits:ticket_import_progress", args=[upload.pk + 1])
    assert client_as(manager).get(missing).status_code == 404
    reporter.clear()


def test_a_finished_upload_says_so_and_stops_polling(client_as, manager, program):
    upload = TicketImport.objects.create(
        file="ticket_imports/x.csv", original_name="x.csv", status="succeeded"
    )
    url = reverse("audits:ticket_import_progress", args=[upload.pk])

    status = client_as(manager).get(url).json()

    assert status["finished"] is True and status["progress"] is None
    page = client_as(manager).get(reverse("audits:ticket_import_status", args=[upload.pk]))
    assert "js/progress.js" not in page.content.decode()


def test_piped_the_command_prints_one_quiet_line(program, ticket_csv, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    path = ticket_csv([good_row("T-1"), good_row("T-2")])
    out, err = io.StringIO(), io.StringIO()

    call_command("import_tickets", str(path), stdout=out, stderr=err)

    assert out.getvalue() == (
        f"{path}: 2 rows read; 2 new tickets, 0 already present; 1 agent created.\n"
    )
    assert err.getvalue() == ""  # no bar, no carriage returns, no colours
    assert Ticket.objects.count() == 2


def read_all(fd: int, into: list) -> None:
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the other end closed
            return
        if not chunk:
            return
        into.append(chunk)


@pytest.mark.parametrize("ci", [None, "true"])
def test_on_a_terminal_the_command_draws_a_bar_unless_under_ci(
    program, ticket_csv, monkeypatch, ci
):
    if ci:
        monkeypatch.setenv("CI", ci)
    else:
        monkeypatch.delenv("CI", raising=False)
    path = ticket_csv([good_row(f"T-{n}") for n in range(3)])
    leader, follower = os.openpty()
    received: list[bytes] = []
    reader = threading.Thread(target=read_all, args=(leader, received), daemon=True)
    reader.start()
    out = io.StringIO()
    with os.fdopen(follower, "w", closefd=True) as terminal:
        call_command("import_tickets", str(path), stdout=out, stderr=terminal)
    reader.join(timeout=10)
    os.close(leader)
    drawn = b"".join(received).decode("utf-8", "replace")

    assert out.getvalue().startswith(f"{path}: 3 rows read; 3 new tickets")
    if ci:
        assert drawn == ""
    else:
        assert "3/3" in drawn and "rows" in drawn  # the bar's M of N and unit
