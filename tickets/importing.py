"""Importing the ticket population from CSV: all of a file or none of it.

On PostgreSQL the file's bytes go by COPY into a table of text cells and are checked there,
set-based (``tickets.import_sql``); the rows the SQL cannot vouch for, and any file COPY may
read differently from Python's csv module, go to the row checker of ``tickets.import_rows``.
Elsewhere (SQLite) one streaming pass reads and checks every row with that checker. Either
way the good rows are staged in a temporary table (``tickets.import_staging``) and
duplicate ids are then found in that table. Only when no row is bad are the file's unknown
agents created and its tickets inserted, in the same transaction. A ticket already present
(same source and external id) is left exactly as it is, so importing a file twice adds
nothing the second time.

Memory does not grow with the file: Python holds one batch of rows, the program's
reference data and at most ``ERROR_REPORT_LIMIT`` errors; the rest lives in the database.

Row numbers in reports count the header as row 1, as a spreadsheet shows the file; a
quoted value that spans several lines still counts as one row.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from typing import BinaryIO

from django.db import connection, transaction
from django.utils import timezone

from accounts.progress import ProgressReporter
from vendors.models import Agent

from .import_report import ERROR_REPORT_LIMIT, ImportReport, RowError
from .import_rows import (
    UNSTORABLE,
    ProgramReference,
    StagedTicket,
    TicketIdentity,
    TicketRowChecker,
)
from .import_sql import FileOutsideFastRoad, RawTicketRows
from .import_staging import TicketStaging
from .models import TicketImport

logger = logging.getLogger(__name__)


def import_tickets(
    stream: BinaryIO,
    *,
    file_name: str = "",
    default_source: str = "",
    progress: ProgressReporter | None = None,
) -> ImportReport:
    """Import a ticket CSV read from the binary ``stream``; returns what happened.

    The file must be UTF-8 (a byte-order mark is fine). ``default_source`` is the ticket
    source for rows without a ``source`` value. When the report is not ``ok``, nothing
    was written: not a ticket, not an agent. ``progress`` hears the rows read, checked and
    imported, a chunk at a time (``accounts.progress``).
    """
    progress = progress or ProgressReporter()
    report = ImportReport(file_name=file_name)
    total = _data_lines(stream)
    if connection.vendor == "postgresql" and stream.seekable():
        start = stream.tell()
        try:
            _import_by_copy(stream, report, default_source, progress, total)
        except FileOutsideFastRoad as reason:
            logger.info("ticket import: %s read row by row (%s)", file_name, reason)
            stream.seek(start)
            report = ImportReport(file_name=file_name)
        else:
            logger.info("ticket import: %s", report.summary())
            return report
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        _import_rows(csv.reader(text), report, default_source, progress, total)
    finally:
        text.detach()  # leave the caller's stream open: the caller owns it
    logger.info("ticket import: %s", report.summary())
    return report


# Rows between two progress reports of the row checker (the reporter bounds the writes).
PROGRESS_ROWS = 2_000


def _data_lines(stream: BinaryIO) -> int | None:
    """The file's lines after the header, counted by bytes (fast, no CSV parsing): the total
    the progress bar shows. A quoted value over several lines makes it a slight overcount,
    which the end corrects. None for a stream that cannot be read twice."""
    if not stream.seekable():
        return None
    start = stream.tell()
    lines, last = 0, b"\n"
    while chunk := stream.read(1 << 20):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    stream.seek(start)
    if last != b"\n":
        lines += 1  # the last line has no line end
    return max(lines - 1, 0)


class _CountedLines:
    """The binary stream COPY reads, telling ``progress`` how many data lines it has read."""

    def __init__(self, stream: BinaryIO, progress: ProgressReporter) -> None:
        self.stream, self.progress, self.lines = stream, progress, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.lines += chunk.count(b"\n")
        self.progress.update(max(self.lines - 1, 0))  # less the header line
        return chunk

    readline = read


def _import_rows(
    reader, report: ImportReport, default_source: str, progress: ProgressReporter, total
) -> None:
    header = _read_header(reader, report)
    if header is None:
        return
    reference = ProgramReference.load()
    checker = TicketRowChecker(header, reference, default_source)
    staging = TicketStaging.for_connection()
    progress.phase("checking rows", total, "rows checked")
    try:
        with transaction.atomic():
            staging.create()
            staging.add(_checked_rows(reader, checker, report, progress))
            progress.update(report.rows_read, total=report.rows_read)
            _write_if_clean(staging, reference, report, progress)
    finally:
        staging.drop()


# The longest header line the COPY road reads for itself (a longer one takes the other road).
HEADER_BYTES = 1 << 16


def _import_by_copy(
    stream: BinaryIO,
    report: ImportReport,
    default_source: str,
    progress: ProgressReporter,
    total: int | None,
) -> None:
    """The import on PostgreSQL: COPY, then checks in SQL (see tickets.import_sql).
    Raises FileOutsideFastRoad, having written nothing, for a file to read row by row."""
    start = stream.tell()
    first = stream.readline(HEADER_BYTES)
    if first and (not first.endswith(b"\n") or first.count(b'"') % 2):
        raise FileOutsideFastRoad("a header over one line")
    try:
        line = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileOutsideFastRoad("a header that is not UTF-8") from None
    header = _read_header(csv.reader([line] if line else []), report)
    if header is None:
        return
    stream.seek(start)
    reference = ProgramReference.load()
    checker = TicketRowChecker(header, reference, default_source)
    staging = TicketStaging.for_connection()
    raw = RawTicketRows(checker, reference, staging)
    try:
        with transaction.atomic():
            staging.create()
            raw.create()
            progress.phase("reading rows", total, "rows read")
            report.rows_read = raw.copy_file(_CountedLines(stream, progress))
            progress.update(report.rows_read, total=report.rows_read)
            # The plain rows are checked by a few set-based statements (the bar moves when
            # they are done), the rest by the row checker, a chunk at a time.
            progress.phase("checking rows", report.rows_read, "rows checked")
            plain = raw.stage_plain_rows()
            if plain < report.rows_read:
                progress.update(plain)
                raw.check_the_rest(report, lambda checked: progress.update(plain + checked))
            progress.update(report.rows_read)
            _write_if_clean(staging, reference, report, progress)
    finally:
        raw.drop()
        staging.drop()


def _write_if_clean(
    staging: TicketStaging,
    reference: ProgramReference,
    report: ImportReport,
    progress: ProgressReporter,
) -> None:
    """After every row is staged: report duplicate ids; then, unless a row was bad, create
    the new agents and insert the tickets not already present (else roll back)."""
    report.merge_errors(*staging.duplicates(ERROR_REPORT_LIMIT))
    if not report.ok:
        transaction.set_rollback(True)
        return
    progress.phase("importing", report.rows_read, "rows imported")
    report.agents_created = add_agents(staging, reference)
    report.created = staging.insert_tickets(timezone.now())
    progress.update(report.rows_read)
    # A clean file staged every row it read.
    report.already_present = report.rows_read - report.created


def add_agents(staging: TicketStaging, reference: ProgramReference) -> int:
    """Map the staged rows' agents to ids, creating those first seen here; returns how
    many were created."""
    staging.add_agent_map(reference.agents)
    reference.new_agents = staging.new_agents()
    created = _create_agents(reference)
    staging.add_agent_map({key: reference.agents[key] for key in reference.new_agents})
    return created


def _read_header(reader, report: ImportReport) -> list[str] | None:
    """The header's column names (trimmed, lower case), or None when it is unusable."""
    try:
        cells = next(reader)
    except StopIteration:
        report.add_errors(
            [RowError(1, "(header)", "the file is empty; row 1 must name the columns")]
        )
        return None
    except csv.Error as exc:
        report.add_errors([RowError(1, "(header)", f"cannot be read as CSV: {exc}")])
        return None
    if UNSTORABLE.search("".join(cells)):
        report.add_errors(
            [RowError(1, "(header)", "has bytes that are not UTF-8 (save the file as UTF-8)")]
        )
        return None
    header = [cell.strip().lower() for cell in cells]
    errors = TicketRowChecker.header_errors(header)
    if errors:
        report.add_errors(errors)
        return None
    return header


def _checked_rows(
    reader, checker: TicketRowChecker, report: ImportReport, progress: ProgressReporter
) -> Iterator[StagedTicket | TicketIdentity]:
    """Check each data row, record its problems in ``report``, yield what to stage."""
    row = 1
    while True:
        row += 1
        if row % PROGRESS_ROWS == 0:
            progress.update(report.rows_read)
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.rows_read += 1
            report.add_errors([RowError(row, "(row)", f"cannot be read as CSV: {exc}")])
            continue
        if not cells:
            continue  # a blank line
        report.rows_read += 1
        errors, staged = checker.check(row, cells)
        report.add_errors(errors)
        if staged is not None:
            yield staged


def _create_agents(reference: ProgramReference) -> int:
    """Create the agents first seen in this file, under the vendor and site of the first
    row that names them, and add their ids to ``reference.agents``."""
    if not reference.new_agents:
        return 0
    Agent.objects.bulk_create(
        [
            Agent(vendor_id=vendor_id, external_id=external_id, site_id=site_id)
            for (vendor_id, external_id), site_id in reference.new_agents.items()
        ],
        batch_size=1000,
        ignore_conflicts=True,  # a concurrent import may have created the same agent
    )
    vendor_ids = {vendor_id for vendor_id, _ in reference.new_agents}
    for pk, vendor_id, external_id in Agent.objects.filter(vendor_id__in=vendor_ids).values_list(
        "id", "vendor_id", "external_id"
    ):
        reference.agents[(vendor_id, external_id)] = pk
    return len(reference.new_agents)


def import_tickets_from_path(
    path: str, *, default_source: str = "", progress: ProgressReporter | None = None
) -> ImportReport:
    """Import the CSV file at ``path`` (what ``manage.py import_tickets`` does)."""
    with open(path, "rb") as stream:
        return import_tickets(
            stream, file_name=str(path), default_source=default_source, progress=progress
        )


PROGRESS_KIND = "ticket-import"  # accounts.progress key of an upload's import


def run_ticket_import(import_id: int) -> TicketImport:
    """Import an uploaded file and record the outcome on its TicketImport.

    Safe to run twice (a redelivered task): a finished upload is left alone, and a
    rerun of an interrupted one is harmless because the import is all-or-nothing and
    skips tickets already present.
    """
    upload = TicketImport.objects.get(pk=import_id)
    if upload.finished:
        return upload
    upload.status = TicketImport.Status.RUNNING
    upload.started_at = timezone.now()
    upload.save(update_fields=["status", "started_at"])
    # The status page polls this record (the import is one transaction: the row cannot say).
    progress = ProgressReporter(PROGRESS_KIND, upload.pk)
    try:
        with upload.file.open("rb") as stream:
            report = import_tickets(
                stream,
                file_name=upload.original_name,
                default_source=upload.source,
                progress=progress,
            )
    except Exception as exc:
        logger.exception("ticket import %s stopped", import_id)
        upload.status = TicketImport.Status.ERROR
        upload.report = {
            "file_name": upload.original_name,
            "failure": f"{type(exc).__name__}: {exc}",
        }
        upload.finished_at = timezone.now()
        upload.save(update_fields=["status", "report", "finished_at"])
        raise
    upload.status = TicketImport.Status.SUCCEEDED if report.ok else TicketImport.Status.REJECTED
    upload.rows_read = report.rows_read
    upload.created_count = report.created
    upload.existing_count = report.already_present
    upload.agents_created = report.agents_created
    upload.error_count = report.error_count
    upload.report = report.as_dict()
    upload.finished_at = timezone.now()
    upload.save()
    return upload
