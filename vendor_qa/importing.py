"""Importing vendor-reported QA: all of a file (or API call) or none of it.

Every row is checked (``vendor_qa.rows``), then the per-ticket rows' tickets are looked up
among the tickets of the chosen vendor that the uploader may see
(``accounts.scoping.visible_to``): a ticket id of another vendor is simply "no ticket X for
this vendor", the same words as an id that exists nowhere, so a file cannot probe another
vendor's tickets. Only when no row is bad is anything written, in one transaction: the upload
record, then each row's value, replacing what was reported before for the same ticket (or
workflow and week). Importing the same file twice changes nothing but the record of who sent
it last.

Row numbers count a CSV's header as row 1, as a spreadsheet shows the file; the API numbers
its rows from 1.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone

from accounts.scoping import visible_to
from tickets.import_report import RowError, RowErrors, counted, shown
from tickets.models import Ticket
from vendors.models import Vendor, Workflow

from .models import UploadKind, VendorQAUpload, VendorRate, VendorTicketResult
from .rows import KINDS, RateChecker, TicketRow, check_ticket_row, kind_of, unstorable

logger = logging.getLogger(__name__)

# A vendor's QA reports a few thousand verdicts a week; a file beyond this is a mistake (or
# an attempt to tie up the web process) and is refused whole, asking for smaller files.
MAX_ROWS = 100_000
LOOKUP_BATCH = 2000


class UploadRefused(PermissionError):
    """The user may not upload vendor QA for this vendor (the caller answers 404 or 403)."""


@dataclass
class VendorQAReport(RowErrors):
    """What one import found and did. ``ok`` False: nothing was written."""

    kind: str = ""
    created: int = 0
    replaced: int = 0
    upload_id: int | None = None

    def done(self) -> str:
        what = "ticket result" if self.kind == UploadKind.TICKETS else "weekly rate"
        return (f"{counted(self.rows_read, 'row')} read; "
                f"{counted(self.created, 'new ' + what)}, {self.replaced:,} replaced.")

    def as_dict(self) -> dict:
        data = asdict(self)
        data["errors"] = [str(error) for error in self.errors]
        data["ok"] = self.ok
        data["summary"] = self.summary()
        return data


def may_upload(user, vendor: Vendor) -> bool:
    """Program managers and admins for any vendor; a vendor's POC and QA analysts for their
    own (read through ``visible_to``: another vendor does not exist for them)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_manager:
        return True
    return user.is_vendor_user and visible_to(user, Vendor.objects.filter(pk=vendor.pk)).exists()


def import_file(stream: BinaryIO, *, user, vendor: Vendor, file_name: str = "") -> VendorQAReport:
    """Import a vendor-QA CSV read from the binary ``stream`` (UTF-8, a BOM is fine)."""
    report = VendorQAReport(file_name=file_name)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        reader = csv.reader(text)
        header = _header(reader, report)
        if header is not None:
            rows = _csv_rows(reader, header, report)
            _import(rows, report, user=user, vendor=vendor, channel=VendorQAUpload.Channel.FILE)
    finally:
        text.detach()  # the caller owns the stream
    logger.info("vendor QA import for %s: %s", vendor.slug, report.summary())
    return report


def import_rows(items: list, *, user, vendor: Vendor, kind: str,
                file_name: str = "") -> VendorQAReport:
    """Import rows given as JSON objects (the API): the same columns and rules as a file of
    ``kind``, each value as text (``true``/``false`` and numbers are read as written)."""
    report = VendorQAReport(file_name=file_name, kind=kind)
    required, optional = KINDS[kind]
    known = set(required + optional)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for number, item in enumerate(items, start=1):
            report.rows_read += 1
            if not isinstance(item, dict):
                report.add_errors([RowError(number, "(row)", "is not an object of "
                                            f"{', '.join(required + optional)}")])
                continue
            unknown = [RowError(number, str(name)[:40], "is not a field of "
                                f"{UploadKind(kind).label.lower()}")
                       for name in item if name not in known]
            missing = [RowError(number, name, "is missing; a value is required")
                       for name in required if item.get(name) is None]
            if unknown or missing:
                report.add_errors(unknown + missing)
                continue
            yield number, {name: _text(item[name]) for name in item}

    if len(items) > MAX_ROWS:
        report.rows_read = len(items)
        report.add_errors([RowError(MAX_ROWS + 1, "(row)", f"more than {MAX_ROWS:,} rows; "
                                    "send them in smaller parts")])
        return report
    _import(rows(), report, user=user, vendor=vendor, channel=VendorQAUpload.Channel.API)
    logger.info("vendor QA API import for %s: %s", vendor.slug, report.summary())
    return report


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _header(reader, report: VendorQAReport) -> list[str] | None:
    try:
        cells = next(reader)
    except StopIteration:
        report.add_errors([RowError(1, "(header)", "the file is empty; row 1 must name the "
                                    "columns")])
        return None
    except csv.Error as exc:
        report.add_errors([RowError(1, "(header)", f"cannot be read as CSV: {exc}")])
        return None
    if unstorable(1, {"(header)": "".join(cells)}):
        report.add_errors([RowError(1, "(header)", "has bytes that are not UTF-8 or a NUL "
                                    "character (save the file as UTF-8)")])
        return None
    header = [cell.strip().lower() for cell in cells]
    kind, errors = kind_of(header)
    if kind is None:
        report.add_errors(errors)
        return None
    report.kind = kind
    return header


def _csv_rows(reader, header: list[str], report: VendorQAReport
              ) -> Iterator[tuple[int, dict[str, str]]]:
    row = 1
    while True:
        row += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.rows_read += 1
            report.add_errors([RowError(row, "(row)", f"cannot be read as CSV: {exc}")])
            continue
        if not cells:
            continue
        report.rows_read += 1
        if report.rows_read > MAX_ROWS:
            report.add_errors([RowError(row, "(row)", f"the file has more than {MAX_ROWS:,} "
                                        "rows; split it into smaller files")])
            return
        if len(cells) != len(header):
            report.add_errors([RowError(row, "(row)", f"has {len(cells)} cells; the header has "
                                        f"{len(header)}")])
            continue
        yield row, dict(zip(header, cells, strict=True))


def _import(rows: Iterable[tuple[int, dict[str, str]]], report: VendorQAReport, *, user,
            vendor: Vendor, channel: str) -> None:
    if not may_upload(user, vendor):
        raise UploadRefused(f"{user} may not upload vendor QA for {vendor}")
    if report.kind == UploadKind.TICKETS:
        checked = _checked_tickets(rows, report, user, vendor)
    else:
        checked = _checked_rates(rows, report)
    if not report.ok:
        return
    with transaction.atomic():
        upload = VendorQAUpload.objects.create(
            vendor=vendor, kind=report.kind, channel=channel, file_name=report.file_name[:255],
            rows=len(checked), uploaded_by=user if user.is_authenticated else None)
        now = timezone.now()
        if report.kind == UploadKind.TICKETS:
            _save_results(checked, upload, vendor, now, report)
        else:
            _save_rates(checked, upload, vendor, now, report)
        report.upload_id = upload.pk


def _checked_tickets(rows, report: VendorQAReport, user, vendor: Vendor) -> list:
    """The good rows as (TicketRow, ticket id); every problem recorded in ``report``."""
    good: list[TicketRow] = []
    first_row: dict[tuple, int] = {}
    for number, values in rows:
        errors, checked = check_ticket_row(number, values)
        if checked is not None:
            key = (checked.source, checked.external_id)
            if key in first_row:
                errors, checked = [RowError(number, "ticket", f"{shown(checked.external_id)} "
                                            f"is also on row {first_row[key]}")], None
            else:
                first_row[key] = number
        report.add_errors(errors)
        if checked is not None:
            good.append(checked)
    found = _vendor_tickets(user, vendor, {row.external_id for row in good})
    matched = []
    for row in good:
        candidates = [(pk, source) for pk, source in found.get(row.external_id, ())
                      if row.source is None or source == row.source]
        if not candidates:
            report.add_errors([RowError(row.row, "ticket",
                                        f"no ticket {shown(row.external_id)} for this vendor")])
        elif len(candidates) > 1:
            sources = ", ".join(sorted(repr(source) for _, source in candidates))
            report.add_errors([RowError(row.row, "ticket", f"{shown(row.external_id)} is a "
                                        f"ticket of several sources ({sources}); add a source "
                                        "column")])
        else:
            matched.append((row, candidates[0][0]))
    report.errors.sort()
    return matched


def _vendor_tickets(user, vendor: Vendor, external_ids: set[str]) -> dict[str, list]:
    """external id -> [(ticket id, source)] among ``vendor``'s tickets ``user`` may see."""
    tickets = visible_to(user, Ticket.objects.filter(vendor=vendor))
    ids = sorted(external_ids)
    found: dict[str, list] = {}
    for start in range(0, len(ids), LOOKUP_BATCH):
        batch = ids[start:start + LOOKUP_BATCH]
        for pk, external_id, source in tickets.filter(external_id__in=batch).values_list(
                "pk", "external_id", "source"):
            found.setdefault(external_id, []).append((pk, source))
    return found


def _checked_rates(rows, report: VendorQAReport) -> list:
    checker = RateChecker(dict(Workflow.objects.values_list("slug", "id")),
                          timezone.now().date())
    good = []
    first_row: dict[tuple, int] = {}
    for number, values in rows:
        errors, checked = checker.check(number, values)
        if checked is not None:
            key = (checked.workflow_id, checked.week)
            if key in first_row:
                errors, checked = [RowError(number, "week", f"the week of {checked.week} for "
                                            f"this workflow is also on row {first_row[key]}")], None
            else:
                first_row[key] = number
        report.add_errors(errors)
        if checked is not None:
            good.append(checked)
    return good


def _save_results(matched: list, upload: VendorQAUpload, vendor: Vendor, now,
                  report: VendorQAReport) -> None:
    ticket_ids = [pk for _, pk in matched]
    existing = 0
    for start in range(0, len(ticket_ids), LOOKUP_BATCH):
        existing += VendorTicketResult.objects.filter(
            ticket_id__in=ticket_ids[start:start + LOOKUP_BATCH]).count()
    VendorTicketResult.objects.bulk_create(
        [VendorTicketResult(vendor=vendor, ticket_id=pk, passed=row.passed, score=row.score,
                            upload=upload, reported_at=now) for row, pk in matched],
        batch_size=1000, update_conflicts=True, unique_fields=["ticket"],
        update_fields=["passed", "score", "upload", "reported_at"])
    report.replaced, report.created = existing, len(matched) - existing


def _save_rates(checked: list, upload: VendorQAUpload, vendor: Vendor, now,
                report: VendorQAReport) -> None:
    keys = {(row.workflow_id, row.week) for row in checked}
    weeks = {week for _, week in keys}
    existing = sum(1 for key in VendorRate.objects.filter(vendor=vendor, week__in=weeks)
                   .values_list("workflow_id", "week") if key in keys)
    VendorRate.objects.bulk_create(
        [VendorRate(vendor=vendor, workflow_id=row.workflow_id, week=row.week,
                    audited=row.audited, passed=row.passed, upload=upload, reported_at=now)
         for row in checked],
        batch_size=1000, update_conflicts=True, unique_fields=["vendor", "workflow", "week"],
        update_fields=["audited", "passed", "upload", "reported_at"])
    report.replaced, report.created = existing, len(checked) - existing
