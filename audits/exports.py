"""Audit lists as spreadsheets: the rows, the CSV stream and the XLSX file.

One function, ``audit_export_rows``, decides what an export holds: the audits
``audits_visible_to(user)`` allows (vendor POCs: their vendor's final audits only), narrowed
by the same ``AuditFilter`` the API uses, so a filter means the same thing in both places.
It reads with ``values()`` and ``iterator()``, so a million audits stream through in chunks
instead of sitting in memory as model instances.

What never leaves: the internal note (not even selected), and for vendor users the auditor's
identity and the sample's internal bookkeeping (run id and stratum label belong to
``SampleRun``/``SampleStratum``, which are ``internal_only``); the inclusion probability
stays, because it is what weights a vendor's own audits.

Every text cell goes through ``spreadsheet_safe`` (OWASP "CSV Injection"): a spreadsheet
would otherwise run a ticket id such as ``=HYPERLINK(...)`` as a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db.models import QuerySet
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .api import AuditFilter
from .selectors import audits_visible_to, shows_internal

# XLSX files are built in memory (openpyxl keeps every cell), so they are capped; CSV
# streams and has no cap. Above this, the view answers 400 pointing to CSV.
XLSX_MAX_ROWS = 100_000

# Characters that make a spreadsheet read a cell as a formula (or, tab and carriage return,
# shift it into one): OWASP CSV Injection guidance.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    name: str
    lookup: str  # the values() lookup the cell is read from
    internal: bool = False  # QA staff only


COLUMNS: tuple[Column, ...] = (
    Column("audit_id", "id"),
    Column("ticket_external_id", "ticket__external_id"),
    Column("source", "ticket__source"),
    Column("vendor", "ticket__vendor__slug"),
    Column("site", "ticket__site__slug"),
    Column("agent_external_id", "ticket__agent__external_id"),
    Column("workflow", "ticket__workflow__slug"),
    Column("handled_at", "ticket__handled_at"),
    Column("form", "form_version__form__name"),
    Column("form_version", "form_version__number"),
    Column("auditor_email", "auditor__email", internal=True),
    Column("status", "status"),
    Column("score", "score"),
    Column("passed", "passed"),
    Column("critical_failed", "critical_failed"),
    Column("error_categories", "error_categories"),
    Column("submitted_at", "submitted_at"),
    Column("finalised_at", "finalised_at"),
    Column("unsampled", "unsampled"),
    Column("sample_run_id", "sampled_ticket__run_id", internal=True),
    Column("stratum", "sampled_ticket__stratum__label", internal=True),
    Column("inclusion_probability", "sampled_ticket__inclusion_probability"),
)


class ExportFiltersInvalid(ValueError):
    """The filter parameters do not parse; ``errors`` maps parameter to messages."""

    def __init__(self, errors: Mapping[str, list[str]]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


def export_columns(user) -> list[Column]:
    """The columns ``user`` may receive (vendor users: no auditor, no sample internals)."""
    internal = shows_internal(user)
    return [c for c in COLUMNS if internal or not c.internal]


def exported_audits(user, filters: Mapping):
    """The audits an export of ``user`` with ``filters`` holds, oldest id first.

    Raises ``ExportFiltersInvalid`` rather than silently ignoring a filter that does not
    parse (an unfiltered file would look like the answer to the question asked)."""
    if filters.get("auditor") and not shows_internal(user):
        # Which audits one auditor did would give vendors the auditor's identity back.
        raise ExportFiltersInvalid({"auditor": ["Filtering by auditor is for QA staff."]})
    filterset = AuditFilter(filters, queryset=audits_visible_to(user))
    if not filterset.is_valid():
        raise ExportFiltersInvalid(filterset.errors)
    return filterset.qs.order_by("pk")


def audit_export_rows(user, filters: Mapping, *, limit: int | None = None,
                      chunk_size: int = 2000, audits: QuerySet | None = None) -> Iterator[dict]:
    """One dict per audit, keys as ``export_columns(user)``, values plain Python (text,
    int, Decimal, bool, None); datetimes as ISO 8601 in UTC, error categories as the
    semicolon-joined slugs that had errors. Never the internal note. ``audits``, when
    given, is ``exported_audits(user, filters)`` narrowed further by the caller."""
    columns = export_columns(user)
    if audits is None:
        audits = exported_audits(user, filters)
    if limit is not None:
        audits = audits[:limit]
    lookups = [c.lookup for c in columns]
    for values in audits.values_list(*lookups).iterator(chunk_size=chunk_size):
        yield {c.name: _plain(v) for c, v in zip(columns, values, strict=True)}


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dict):  # error_categories: slug -> number of errors
        return ";".join(sorted(slug for slug, count in value.items() if count))
    return value


def spreadsheet_safe(value):
    """``value`` as a spreadsheet may hold it without running it: text starting with
    = + - @ tab or carriage return gets a leading single quote (OWASP CSV Injection);
    numbers, booleans and empty cells are returned unchanged so they stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


# ----- CSV ----------------------------------------------------------------------------------


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(spreadsheet_safe(value))


class _Line:
    """A file-like object whose write returns what was written (Django's streaming-CSV
    recipe): the csv writer formats one line, the generator yields it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(columns: list[str], rows: Iterable[dict]) -> Iterator[str]:
    """The CSV file line by line: a UTF-8 byte order mark (so Excel reads accents right),
    the header, then one line per row with every text cell made spreadsheet-safe."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(columns)
    for row in rows:
        yield writer.writerow([_csv_cell(row[name]) for name in columns])


# ----- XLSX ---------------------------------------------------------------------------------


# Excel refuses these in a sheet title, and titles longer than 31 characters (ECMA-376
# §18.2.19 and Excel's own limit); openpyxl raises on them.
SHEET_TITLE_FORBIDDEN = re.compile(r"[:/\\?*\[\]]")
SHEET_TITLE_MAX = 31


def sheet_title(title: str, taken: Iterable[str] = ()) -> str:
    """``title`` as Excel accepts it: control characters dropped, ``: / \\ ? * [ ]`` made
    hyphens, no leading or trailing apostrophe, at most 31 characters, and unlike
    every title in ``taken`` (compared as Excel does, ignoring case) by a " (2)" suffix."""
    clean = SHEET_TITLE_FORBIDDEN.sub("-", ILLEGAL_CHARACTERS_RE.sub("", title))
    clean = clean.strip().strip("'").strip() or "Sheet"
    used = {t.casefold() for t in taken}
    candidate, number = clean[:SHEET_TITLE_MAX], 1
    while candidate.casefold() in used:
        number += 1
        suffix = f" ({number})"
        candidate = clean[: SHEET_TITLE_MAX - len(suffix)] + suffix
    return candidate


def _xlsx_cell(value):
    if isinstance(value, Decimal):
        return float(value)  # a number cell, not text
    if isinstance(value, str):
        # Control characters (a pasted ticket id, say) make openpyxl refuse the whole file.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return spreadsheet_safe(value)


def xlsx_bytes(columns: list[str], rows: Iterable[dict], *, sheet: str = "Audits") -> bytes:
    """An XLSX workbook of ``rows`` (built in memory: callers cap the row count) on one
    sheet titled ``sheet`` (made a valid title by ``sheet_title``)."""
    frame = pd.DataFrame.from_records(
        ([_xlsx_cell(row[name]) for name in columns] for row in rows), columns=columns
    )
    out = io.BytesIO()
    frame.to_excel(out, sheet_name=sheet_title(sheet), index=False, engine="openpyxl")
    return out.getvalue()
