"""Reading and checking the rows of vendor-reported QA, one row at a time.

A file's header decides what it holds: ``ticket,passed[,score][,source]`` is a verdict per
ticket, ``workflow,week,audited,passed`` is weekly rates (``KINDS``). The CSV upload and the
API both hand each row here as text by column name, so both refuse the same things with the
same words (``tickets.import_report.RowError``: "row 3, field passed: ...").

Nothing here reads the database but the workflows; whether a ticket exists *for this vendor*
is decided for all rows at once by ``vendor_qa.importing``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from accounts.formats import day
from tickets.import_report import RowError, shown
from tickets.import_rows import UNSTORABLE
from tickets.models import Ticket

from .models import UploadKind

# Each kind's required and optional columns, in the order the docs give them.
KINDS = {
    UploadKind.TICKETS: (("ticket", "passed"), ("score", "source")),
    UploadKind.RATES: (("workflow", "week", "audited", "passed"), ()),
}
SHAPES = "ticket,passed[,score][,source] (per ticket) or workflow,week,audited,passed (weekly)"
PASSED_WORDS = {
    "true": True, "yes": True, "y": True, "1": True, "pass": True, "passed": True,
    "false": False, "no": False, "n": False, "0": False, "fail": False, "failed": False,
}
# What a PositiveIntegerField holds on every database we run on.
MAX_COUNT = 2_147_483_647
COUNT = re.compile(r"\d{1,12}\Z")
# A score is at most "100.00"; anything much longer is not one (and never reaches Decimal).
SCORE_CHARS = 20
HUNDREDTH = Decimal("0.01")
# Weeks before this are typos (and would overflow the week arithmetic at year 1).
EARLIEST_WEEK = dt.date(2000, 1, 1)
TICKET_ID_LENGTH = Ticket._meta.get_field("external_id").max_length
SOURCE_LENGTH = Ticket._meta.get_field("source").max_length


class TicketRow(NamedTuple):
    row: int
    external_id: str
    source: str | None  # None: not given (any source of the vendor's)
    passed: bool
    score: Decimal | None


class RateRow(NamedTuple):
    row: int
    workflow_id: int
    week: dt.date  # a Monday
    audited: int
    passed: int


def kind_of(columns: list[str]) -> tuple[str | None, list[RowError]]:
    """The kind a header names, or None with the header's problems (row 1)."""
    names = set(columns)
    kind = (UploadKind.TICKETS if "ticket" in names
            else UploadKind.RATES if {"workflow", "week"} & names else None)
    if kind is None:
        return None, [RowError(1, "(header)", f"names neither shape; use {SHAPES}")]
    required, optional = KINDS[kind]
    errors = [RowError(1, name, "column is missing from the header")
              for name in required if name not in names]
    errors += [RowError(1, name or "(empty)", f"is not a column of {kind.label.lower()} "
                        f"(use {', '.join(required + optional)})")
               for name in columns if name not in required + optional]
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            errors.append(RowError(1, name, "column appears more than once in the header"))
        seen.add(name)
    return (None, errors) if errors else (kind, [])


def unstorable(row: int, values: dict[str, str]) -> list[RowError]:
    """A row's cells holding a NUL or bytes that were not UTF-8 (which nothing can store)."""
    errors = []
    for name, value in values.items():
        if match := UNSTORABLE.search(value):
            problem = ("contains a NUL character" if match.group() == "\x00" else
                       "has bytes that are not UTF-8 (save the file as UTF-8)")
            errors.append(RowError(row, name, problem))
    return errors


def _passed(row: int, value: str) -> tuple[bool | None, list[RowError]]:
    verdict = PASSED_WORDS.get(value.lower())
    if verdict is None:
        return None, [RowError(row, "passed", f"{shown(value)} is not one of yes/no, "
                               "true/false, pass/fail, 1/0")]
    return verdict, []


def _score(row: int, value: str) -> tuple[Decimal | None, list[RowError]]:
    if not value:
        return None, []
    problem = [RowError(row, "score", f"{shown(value)} is not a number from 0 to 100")]
    if len(value) > SCORE_CHARS:
        return None, problem
    try:
        score = Decimal(value)
    except InvalidOperation:
        return None, problem
    if not score.is_finite() or not 0 <= score <= 100:
        return None, problem
    return score.quantize(HUNDREDTH, rounding=ROUND_HALF_UP), []


def check_ticket_row(row: int, values: dict[str, str]) -> tuple[list[RowError], TicketRow | None]:
    """A per-ticket row's problems (every bad field), or the row to look up and save."""
    if errors := unstorable(row, values):
        return errors, None
    external_id = values.get("ticket", "").strip()
    errors = []
    if not external_id:
        errors.append(RowError(row, "ticket", "is empty; a ticket id is required"))
    elif len(external_id) > TICKET_ID_LENGTH:
        errors.append(RowError(row, "ticket", f"no ticket {shown(external_id)} for this vendor"))
    source = values["source"].strip() if "source" in values else None
    if source and len(source) > SOURCE_LENGTH:
        errors.append(RowError(row, "source", f"{shown(source)} is longer than "
                               f"{SOURCE_LENGTH} characters"))
    passed, problems = _passed(row, values.get("passed", "").strip())
    errors += problems
    score, problems = _score(row, values.get("score", "").strip())
    errors += problems
    if errors:
        return errors, None
    return [], TicketRow(row, external_id, source, passed, score)


def parse_week(value: str, today: dt.date) -> tuple[dt.date | None, str]:
    """The Monday of the ISO week holding ``value`` (a date, 2026-03-04, or an ISO week,
    2026-W10), or (None, the problem). Weeks before 2000 or not begun by ``today`` are
    refused: a vendor cannot report QA of work not yet done."""
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        return None, f"{shown(value)} is not a date (use e.g. 2026-03-02 or 2026-W10)"
    if not EARLIEST_WEEK <= parsed <= today:
        return None, (f"{shown(value)} is outside {day(EARLIEST_WEEK)} to {day(today)} "
                      "(no week before 2000 or in the future)")
    return parsed - dt.timedelta(days=parsed.weekday()), ""


def _count(row: int, name: str, value: str) -> tuple[int | None, list[RowError]]:
    if not COUNT.match(value):
        return None, [RowError(row, name, f"{shown(value)} is not a whole number of 0 or more")]
    number = int(value)
    if number > MAX_COUNT:
        return None, [RowError(row, name, f"{shown(value)} is larger than {MAX_COUNT:,}")]
    return number, []


class RateChecker:
    """Checks weekly-rate rows against the program's workflows (loaded once)."""

    def __init__(self, workflows: dict[str, int], today: dt.date):
        self.workflows = workflows
        self.choices = tuple(workflows)
        self.today = today

    def check(self, row: int, values: dict[str, str]) -> tuple[list[RowError], RateRow | None]:
        if errors := unstorable(row, values):
            return errors, None
        errors = []
        slug = values.get("workflow", "").strip()
        workflow_id = self.workflows.get(slug)
        if workflow_id is None:
            close = difflib.get_close_matches(slug, self.choices, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            errors.append(RowError(row, "workflow", f"unknown workflow {shown(slug)}{hint}"))
        week, problem = parse_week(values.get("week", "").strip(), self.today)
        if problem:
            errors.append(RowError(row, "week", problem))
        audited, problems = _count(row, "audited", values.get("audited", "").strip())
        errors += problems
        passed, problems = _count(row, "passed", values.get("passed", "").strip())
        errors += problems
        if audited is not None and passed is not None and passed > audited:
            errors.append(RowError(row, "passed", f"{passed:,} is more than the {audited:,} "
                                   "audited"))
        if errors:
            return errors, None
        return [], RateRow(row, workflow_id, week, audited, passed)
