"""How the program writes numbers and dates, on every page, chart, flag and export sheet:
one function per kind of value, so "93.4%" reads the same everywhere.

* a proportion as a percentage with one decimal: 0.9342 -> "93.4%";
* a difference of two proportions in percentage points, signed: 0.021 -> "+2.1 pts";
* a setting as typed (a confidence, a margin): 0.95 -> "95%";
* a day: 6 Dec 2026; a moment: 6 Dec 2026 14:05 (24-hour clock, in the zone given);
* an audit score (0-100) with one decimal: 87.5.

Exports write ISO 8601 instead, for spreadsheets and scripts (docs/exports.md).

Pure functions of plain values; the template filters in ``accounts.templatetags.formats``
(and ``sampling_format``, which the sampling and scorecard pages load) are these.
"""

from __future__ import annotations

import datetime as dt

MISSING = "—"


def percent(value, digits: int = 1) -> str:
    """0.9342 -> "93.4%"; ``digits`` decimals; None or "" -> "—"."""
    if value is None or value == "":
        return MISSING
    return f"{float(value) * 100:.{int(digits)}f}%"


def points(value, digits: int = 1) -> str:
    """A difference of two proportions in percentage points, signed: 0.021 -> "+2.1 pts",
    -0.004 -> "-0.4 pts"; None -> "—"."""
    if value is None or value == "":
        return MISSING
    shown = round(float(value) * 100, int(digits)) + 0.0  # + 0.0: no "-0.0"
    return f"{shown:+.{int(digits)}f} pts"


def setting_percent(value) -> str:
    """A setting as typed, without trailing zeros: Decimal("0.9500") -> "95%",
    0.025 -> "2.5%"."""
    if value is None or value == "":
        return MISSING
    return f"{round(float(value) * 100, 4):g}%"


def plus_minus(value, digits: int = 1) -> str:
    """A margin of error: 0.02873 -> "± 2.9%"."""
    if value is None or value == "":
        return MISSING
    return f"± {percent(value, digits)}"


def day(value) -> str:
    """A date (or the date of a datetime, as given): 6 Dec 2026."""
    if value is None or value == "":
        return MISSING
    if isinstance(value, dt.datetime):
        value = value.date()
    return f"{value.day} {value:%b %Y}"


def moment(value) -> str:
    """A datetime as given (convert it to the zone you mean first): 6 Dec 2026 14:05."""
    if value is None or value == "":
        return MISSING
    return f"{day(value)} {value:%H:%M}"


def age(value) -> str:
    """How long something has been open, in whole days and hours (never rounded up):
    timedelta(days=5, hours=23, minutes=59) -> "5 d 23 h"."""
    if value is None or value == "":
        return MISSING
    return f"{value.days} d {value.seconds // 3600} h"


def score(value) -> str:
    """An audit's score out of 100 with one decimal: Decimal("87.50") -> "87.5"."""
    if value is None or value == "":
        return MISSING
    return f"{float(value):.1f}"
