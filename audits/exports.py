"""Audit lists as spreadsheets: the rows (what the user may see, filtered as in the API, streamed
with ``iterator()``), the CSV stream and the XLSX file. Never the internal note; every text cell
spreadsheet-safe. Docs: docs/exports.md#audit-lists and docs/exports.md#spreadsheet-safety.
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
from django.http import QueryDict
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from accounts.scoping import visible_to
from audit_forms.models import FormQuestion
from vendors.models import Site, Vendor, Workflow

from .api import AuditFilter
from .models import VENDOR_WORK
from .selectors import audits_visible_to, shows_internal

# XLSX is built in memory (openpyxl keeps every cell), so capped; CSV streams, uncapped.
XLSX_MAX_ROWS = 100_000

# What makes a spreadsheet read a cell as a formula (OWASP "CSV Injection").
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
    Column("ai_score", "ticket__ai_score", internal=True),
    Column("ai_model", "ticket__ai_model", internal=True),
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


# vendor, site and workflow take the slug every page URL uses (vendor=acme, site=manila) or,
# as in the API, the id: the model each names and the audit's path to it.
SLUG_FILTERS = {"vendor": (Vendor, "ticket__vendor"), "site": (Site, "ticket__site"),
                "workflow": (Workflow, "ticket__workflow")}
SLUG = re.compile(r"^[-\w]+$", re.ASCII)


def _slug_filters(user, filters: Mapping) -> tuple[dict, dict]:
    """Split ``filters`` into what ``AuditFilter`` reads and lookups by slug. Another vendor's slug
    gets the same 400 as one that does not exist, so the answer tells nothing about it."""
    # A QueryDict stays one (status may be given several times); a plain mapping is copied.
    rest = filters.copy() if isinstance(filters, QueryDict) else dict(filters)
    by_slug, errors = {}, {}
    for name, (model, path) in SLUG_FILTERS.items():
        value = (rest.get(name) or "").strip()
        if not value or value.isascii() and value.isdigit():
            continue  # no filter, or an id for AuditFilter
        del rest[name]
        if not SLUG.match(value):
            errors[name] = [f"{value[:60]!r} is neither a {name} slug nor an id."]
        elif not visible_to(user, model.objects.filter(slug=value)).exists():
            errors[name] = [f"No {name} {value!r} among those you can see."]
        else:
            by_slug[f"{path}__slug"] = value
    if errors:
        raise ExportFiltersInvalid(errors)
    return rest, by_slug


def wants_answers(filters: Mapping) -> bool:
    """The ``answers`` option: 1/true/yes adds each question's answer and comment."""
    value = (filters.get("answers") or "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ExportFiltersInvalid({"answers": [f"{value[:20]!r} is not 1 or 0."]})


def exported_audits(user, filters: Mapping):
    """The audits an export of ``user`` with ``filters`` holds, oldest id first. A filter that
    does not parse raises: an unfiltered file would look like the answer to the question asked."""
    if filters.get("auditor") and not shows_internal(user):
        # Which audits one auditor did would give vendors the auditor's identity back.
        raise ExportFiltersInvalid({"auditor": ["Filtering by auditor is for QA staff."]})
    wants_answers(filters)
    filters, by_slug = _slug_filters(user, filters)
    # Exports are vendor work: a re-audit grades our auditor (audits.reaudits).
    filterset = AuditFilter(
        filters, queryset=audits_visible_to(user).filter(VENDOR_WORK, **by_slug)
    )
    if not filterset.is_valid():
        raise ExportFiltersInvalid(filterset.errors)
    return filterset.qs.order_by("pk")


def question_keys(audits: QuerySet) -> list[str]:
    """The question keys of the audits' form versions, each once, newest version first."""
    versions = audits.order_by().values("form_version").distinct()
    keys = (FormQuestion.objects.filter(version__in=versions)
            .order_by("-version__number", "section__position", "position", "id")
            .values_list("key", flat=True))
    return list(dict.fromkeys(keys))


def answer_columns(keys: Iterable[str]) -> list[str]:
    """Two columns per question: ``answer_<key>`` and ``comment_<key>``."""
    return [name for key in keys for name in (f"answer_{key}", f"comment_{key}")]


def export_column_names(user, filters: Mapping, audits: QuerySet | None = None) -> list[str]:
    """The header of an export, with ``answers=1`` every question's answer and comment."""
    names = [c.name for c in export_columns(user)]
    if wants_answers(filters):
        audits = exported_audits(user, filters) if audits is None else audits
        names += answer_columns(question_keys(audits))
    return names


def audit_export_rows(user, filters: Mapping, *, limit: int | None = None,
                      chunk_size: int = 2000, audits: QuerySet | None = None) -> Iterator[dict]:
    """One dict of plain values per audit, keys as ``export_column_names``. ``audits``, when
    given, is ``exported_audits(user, filters)`` narrowed by the caller."""
    columns = export_columns(user)
    if audits is None:
        audits = exported_audits(user, filters)
    keys = question_keys(audits) if wants_answers(filters) else []
    if limit is not None:
        audits = audits[:limit]
    lookups = [c.lookup for c in columns] + (["answers", "comments"] if keys else [])
    for values in audits.values_list(*lookups).iterator(chunk_size=chunk_size):
        row = {c.name: _plain(v) for c, v in zip(columns, values, strict=False)}
        if keys:
            answers, comments = values[-2] or {}, values[-1] or {}
            for key in keys:
                row[f"answer_{key}"] = answers.get(key)
                row[f"comment_{key}"] = comments.get(key) or None
        yield row


def iso(value):
    """A moment (in UTC, with its offset) or a day as every export writes it, ISO 8601; any other
    value as given."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _plain(value):
    if isinstance(value, dt.date):
        return iso(value)
    if isinstance(value, dict):  # error_categories: slug -> number of errors
        return ";".join(sorted(slug for slug, count in value.items() if count))
    return value


def spreadsheet_safe(value):
    """``value`` as a spreadsheet may hold it without running it: a formula-like text gets a
    leading quote; numbers, booleans and empty cells stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


# ----- CSV ----------------------------------------------------------------------------------


def _csv_cell(value) -> str:
    value = iso(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(spreadsheet_safe(value))


class _Line:
    """Django's streaming-CSV recipe: write returns the line the csv writer formatted."""

    def write(self, value: str) -> str:
        return value


def csv_lines(columns: list[str], rows: Iterable[dict]) -> Iterator[str]:
    """The CSV file line by line, behind a byte order mark so Excel reads accents right."""
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
    """``title`` as Excel accepts it, made unlike every title in ``taken`` (ignoring case, as Excel
    does) by a " (2)" suffix."""
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
    value = iso(value)
    if isinstance(value, Decimal):
        return float(value)  # a number cell, not text
    if isinstance(value, str):
        # Control characters (a pasted ticket id, say) make openpyxl refuse the whole file.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return spreadsheet_safe(value)


def xlsx_bytes(columns: list[str], rows: Iterable[dict], *, sheet: str = "Audits") -> bytes:
    """An XLSX workbook of ``rows`` on one sheet (in memory: callers cap the row count)."""
    frame = pd.DataFrame.from_records(
        ([_xlsx_cell(row[name]) for name in columns] for row in rows), columns=columns
    )
    out = io.BytesIO()
    frame.to_excel(out, sheet_name=sheet_title(sheet), index=False, engine="openpyxl")
    return out.getvalue()
