"""The period a scorecard covers, in whole ISO weeks.

Cells are counted per week of handling (Monday, UTC), so every period is a run of whole weeks:
a week; a month or a quarter as the weeks whose Monday falls inside it (a week belongs to the
month it starts in, so no week is counted twice across months); or a custom span, widened to
the weeks that contain its first and last day. The page always shows the exact dates covered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils import timezone

from accounts.formats import day

KINDS = {"week": "Week", "month": "Month", "quarter": "Quarter", "custom": "Custom"}
DEFAULT_KIND = "month"


class PeriodInvalid(ValueError):
    """A period in the query string that cannot be read; the message names the field."""


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Period:
    """Weeks ``first`` … ``last`` (Mondays, inclusive), of a ``kind`` in KINDS."""

    kind: str
    first: dt.date
    last: dt.date

    @property
    def end(self) -> dt.date:
        """The Sunday that closes the period."""
        return self.last + dt.timedelta(days=6)

    def handled_span(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as UTC instants [start, end) of handling: a cell's week is its tickets'
        UTC week, so the tickets handled in this span are those its cells count."""
        start = dt.datetime.combine(self.first, dt.time(), tzinfo=dt.UTC)
        return start, dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(),
                                          tzinfo=dt.UTC)

    @property
    def weeks(self) -> list[dt.date]:
        return [self.first + dt.timedelta(weeks=i)
                for i in range((self.last - self.first).days // 7 + 1)]

    @property
    def label(self) -> str:
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"Week {week}, {year}"
        if self.kind == "month":
            return self.anchor.strftime("%B %Y")
        if self.kind == "quarter":
            return f"Q{(self.anchor.month - 1) // 3 + 1} {self.anchor.year}"
        return f"{day(self.first)} – {day(self.end)}"

    @property
    def anchor(self) -> dt.date:
        """The first day of the month or quarter the period stands for (else ``first``)."""
        if self.kind == "month":
            return self.first.replace(day=1) if self.first.day <= 7 else _next_month(self.first)
        if self.kind == "quarter":
            start = self.first if self.first.day <= 7 else _next_month(self.first)
            return start.replace(month=(start.month - 1) // 3 * 3 + 1, day=1)
        return self.first

    def query(self) -> dict[str, str]:
        """The query-string parameters that name this period (for links)."""
        if self.kind == "custom":
            return {"period": "custom", "start": self.first.isoformat(),
                    "end": self.end.isoformat()}
        return {"period": self.kind, "date": self.anchor.isoformat()}

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.kind == "custom":
            span = self.last - self.first + dt.timedelta(weeks=1)
            return Period("custom", self.first - span, self.first - dt.timedelta(weeks=1))
        return period_of(self.kind, self.first - dt.timedelta(weeks=1))

    def following(self) -> Period:
        if self.kind == "custom":
            span = self.last - self.first + dt.timedelta(weeks=1)
            return Period("custom", self.last + dt.timedelta(weeks=1), self.last + span)
        return period_of(self.kind, self.last + dt.timedelta(weeks=1))


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _weeks_starting_in(start: dt.date, stop: dt.date) -> tuple[dt.date, dt.date]:
    """First and last Monday in [start, stop)."""
    first = start + dt.timedelta(days=(7 - start.weekday()) % 7)
    last = monday(stop - dt.timedelta(days=1))
    return first, last


def period_of(kind: str, day: dt.date) -> Period:
    """The period of ``kind`` (week, month, quarter) that ``day`` names: its week, or the
    weeks starting in its month or quarter."""
    if kind == "week":
        return Period("week", monday(day), monday(day))
    if kind == "month":
        start = day.replace(day=1)
        first, last = _weeks_starting_in(start, _next_month(start))
        return Period("month", first, last)
    if kind == "quarter":
        start = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
        stop = start
        for _ in range(3):
            stop = _next_month(stop)
        first, last = _weeks_starting_in(start, stop)
        return Period("quarter", first, last)
    raise PeriodInvalid(f"period: unknown kind {kind!r} (one of {', '.join(KINDS)})")


# Scorecards cover the years a program can have data in; a date outside them is a typo (and
# would overflow the period arithmetic at the calendar's edges).
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def _date(query: Mapping[str, str], name: str) -> dt.date:
    value = query.get(name, "")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise PeriodInvalid(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None
    if not EARLIEST <= day <= LATEST:
        raise PeriodInvalid(f"{name}: {value} is outside {EARLIEST.year}–{LATEST.year}")
    return day


def period_containing(kind: str, day: dt.date) -> Period:
    """The period of ``kind`` whose weeks hold ``day``. A week belongs to the month its Monday
    falls in, so a month's first days may belong to the month before: on Sunday 6 Dec 2026
    the period holding today is November (2 Nov – 6 Dec)."""
    return period_of(kind, monday(day))


def period_from_query(query: Mapping[str, str], today: dt.date | None = None,
                      latest: dt.date | None = None) -> Period:
    """Read ``period`` (week, month, quarter, custom) with ``date`` (any day of the month,
    quarter or week it names) or ``start``/``end`` for custom. Raises PeriodInvalid naming the
    field.

    Without a date the page opens on the period holding ``today`` (so an audit of a ticket
    handled today counts in it), unless nothing was audited since that period began: then on
    the period holding ``latest``, the last day with audits, never on an empty period."""
    today = today or timezone.now().date()
    kind = query.get("period") or DEFAULT_KIND
    if kind not in KINDS:
        raise PeriodInvalid(f"period: {kind!r} is not one of {', '.join(KINDS)}")
    if kind == "custom":
        start, end = _date(query, "start"), _date(query, "end")
        if end < start:
            raise PeriodInvalid("end: the end date is before the start date")
        if (end - start).days > 366 * 3:
            raise PeriodInvalid("end: a custom period spans at most three years")
        return Period("custom", monday(start), monday(end))
    if query.get("date"):
        return period_of(kind, _date(query, "date"))
    current = period_containing(kind, today)
    if latest is not None and latest < current.first:
        return period_containing(kind, latest)
    return current
