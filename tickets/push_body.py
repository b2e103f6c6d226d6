"""Reading a pushed batch of tickets (a JSON array or NDJSON) into the CSV import's rows.

A batch becomes what a CSV file would have been: one header (the import's columns, then
every other key seen in the batch, which lands in ``Ticket.extra`` as a CSV's extra columns
do) and one row of text cells per ticket, so ``tickets.import_rows.TicketRowChecker`` checks
pushed tickets exactly as it checks a file's rows. Nothing here writes.

Row numbers: the ticket's position in the JSON array (the first is 1), or its line number in
NDJSON (blank lines count as lines but hold no ticket). A body that cannot be read at all
(not UTF-8, not JSON, a line that is not JSON, too many tickets) is refused whole with
``BatchRefused``; a ticket that is read but wrong becomes row errors.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import repeat

from .import_report import RowError
from .import_rows import KNOWN_COLUMNS, REQUIRED_COLUMNS

JSON = "application/json"
NDJSON = "application/x-ndjson"
MEDIA_TYPES = (JSON, NDJSON)
# The most tickets one request may carry (a larger batch is a 413): enough for a help desk's
# minute at the scale docs/integrations.md plans for, small enough that one request's
# checking, staging and writing stays around a second and its rows fit in memory.
MAX_BATCH_ROWS = 10_000
# The most bytes one request may carry (10,000 tickets with long excerpts).
MAX_BATCH_BYTES = 32 * 1024 * 1024
# Lone surrogates (``"\ud800"`` is valid JSON) and NUL cannot be stored as text.
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
REQUIRED = frozenset(REQUIRED_COLUMNS)
MISSING = "is missing; a value is required"
KIND = {dict: "an object", list: "an array", str: "a string", int: "a number",
        float: "a number", bool: "a boolean", type(None): "null"}


class BatchRefused(Exception):
    """A batch refused whole: ``status`` (400, 413 or 415), ``message`` saying why, and the
    line (NDJSON) or 0 when the problem is not on one line."""

    def __init__(self, status: int, message: str, line: int = 0):
        super().__init__(message)
        self.status, self.message, self.line = status, message, line


@dataclass
class PushedRows:
    """A batch read into the CSV import's shape. ``rows`` holds, per ticket, its row number,
    the problems found while reading it, and its cells (None when it cannot be checked)."""

    header: list[str]
    rows: list[tuple[int, list[RowError], list[str] | None]]


def read_batch(body: bytes, media_type: str) -> PushedRows:
    """The tickets of a request ``body`` sent as ``media_type`` (JSON or NDJSON)."""
    if media_type not in MEDIA_TYPES:
        raise BatchRefused(
            415, f"Send the tickets as {JSON} (an array) or {NDJSON} (one object a line), "
            f"not {media_type or 'no Content-Type'}.")
    if len(body) > MAX_BATCH_BYTES:
        raise too_large(f"{len(body):,} bytes")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BatchRefused(
            400, f"The body is not UTF-8 (byte {error.start + 1:,} cannot be read).") from None
    items = _ndjson_items(text) if media_type == NDJSON else _json_items(text)
    if not items:
        raise BatchRefused(400, "The batch holds no tickets.")
    return _as_rows(items)


def too_large(what: str) -> BatchRefused:
    return BatchRefused(
        413, f"The batch is too large ({what}); send at most {MAX_BATCH_ROWS:,} tickets and "
        f"{MAX_BATCH_BYTES // 2**20} MiB per request, in several requests.")


def _json_items(text: str) -> list[tuple[int, object]]:
    try:
        data = json.loads(text)
    except RecursionError:
        raise BatchRefused(400, "The body is nested too deeply to be a batch of tickets.") from None
    except ValueError as error:
        line = getattr(error, "lineno", 0)
        raise BatchRefused(400, f"The body is not valid JSON: {error}.", line) from None
    if not isinstance(data, list):
        raise BatchRefused(
            400, f"The body must be a JSON array of tickets, not {_kind(data)} (one ticket "
            f"a line is {NDJSON}).")
    if len(data) > MAX_BATCH_ROWS:
        raise too_large(f"{len(data):,} tickets")
    return list(enumerate(data, start=1))


def _ndjson_items(text: str) -> list[tuple[int, object]]:
    lines = text.split("\n")
    tickets = sum(1 for line in lines if line.strip())
    if tickets > MAX_BATCH_ROWS:
        raise too_large(f"{tickets:,} tickets")
    items = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append((number, json.loads(line)))
        except RecursionError:
            raise BatchRefused(400, f"Line {number} is nested too deeply to be a ticket.",
                               number) from None
        except ValueError as error:
            raise BatchRefused(
                400, f"Line {number} is not valid JSON: {getattr(error, 'msg', error)} "
                f"(column {getattr(error, 'colno', '?')}); nothing was imported.",
                number) from None
    return items


def _kind(value) -> str:
    return KIND.get(type(value), type(value).__name__)


def _as_rows(items: list[tuple[int, object]]) -> PushedRows:
    extra = sorted({key for _, item in items if isinstance(item, dict) for key in item}
                   - set(KNOWN_COLUMNS))
    header = [*KNOWN_COLUMNS, *extra]
    unstorable_keys = {name for name in extra if UNSTORABLE_TEXT.search(name)}
    return PushedRows(
        header, [(row, *_cells(row, item, header, unstorable_keys)) for row, item in items])


def _cells(
    row: int, item, header: list[str], unstorable_keys: set[str]
) -> tuple[list[RowError], list[str] | None]:
    """The ticket ``item`` as cells in ``header``'s order, with what is wrong in it already;
    no cells when it cannot be checked at all."""
    if not isinstance(item, dict):
        return [RowError(row, "(row)", f"is {_kind(item)}, not a ticket (a JSON object)")], None
    if unstorable_keys and unstorable_keys & item.keys():
        return [RowError(row, "(row)", "a field name holds a NUL character or a lone "
                         "surrogate, which cannot be stored")], None
    # Runs for every pushed ticket: the common case (every value a string, every required
    # field there) costs one lookup per column, one join and a search of the joined text.
    cells = list(map(item.get, header, repeat("")))
    errors = []
    if not REQUIRED <= item.keys():
        errors = [RowError(row, name, MISSING) for name in REQUIRED_COLUMNS if name not in item]
    try:
        joined = "\x1f".join(cells)  # a TypeError when a value is not a string
    except TypeError:
        joined = None
    if joined is None:
        for i, value in enumerate(cells):
            if type(value) is str:
                continue
            name = header[i]
            if value is None:
                cells[i] = ""
                if name in REQUIRED:
                    errors.append(RowError(row, name, MISSING))
            elif isinstance(value, bool):
                cells[i] = "true" if value else "false"
            elif isinstance(value, int | float):
                cells[i] = repr(value)
            elif isinstance(value, str):
                cells[i] = str(value)
            else:
                errors.append(RowError(
                    row, name, f"is {_kind(value)}; give a string, a number or true/false"))
                cells[i] = ""
        joined = "\x1f".join(cells)
    if UNSTORABLE_TEXT.search(joined):
        errors.extend(
            RowError(row, name, "holds a NUL character or a lone surrogate (\\ud800-\\udfff), "
                     "which cannot be stored")
            for name, cell in zip(header, cells, strict=True) if UNSTORABLE_TEXT.search(cell))
        return errors, None
    return errors, cells
