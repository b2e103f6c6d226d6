"""Date-time filters for the API's list endpoints, refusing what the database cannot compare.

``datetime.fromisoformat`` takes any UTC offset under 24 hours and any year from 1 to 9999,
but PostgreSQL refuses an offset such as ``+18:38`` and a time at the calendar's edge
overflows when moved to UTC: both used to be a 500. Here they are a 400 naming the
parameter (``submitted_before: …``), like any other unreadable filter.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField, IsoDateTimeRangeField, RangeField

# The UTC offsets in use anywhere (UTC-12:00 Baker Island … UTC+14:00 Line Islands).
EARLIEST_OFFSET, LATEST_OFFSET = dt.timedelta(hours=-12), dt.timedelta(hours=14)


def _hours(offset: dt.timedelta) -> str:
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(offset) // dt.timedelta(minutes=1)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


class ProgramDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time whose offset is a real one and that exists in UTC."""

    def __init__(self, *args, param: str = "", **kwargs):
        self.param = param
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None or moment.tzinfo is None:
            return moment
        offset = moment.utcoffset()
        name = f"{self.param}: " if self.param else ""
        if not EARLIEST_OFFSET <= offset <= LATEST_OFFSET:
            raise forms.ValidationError(
                f"{name}{_hours(offset)} is not a UTC offset in use (they run from "
                f"{_hours(EARLIEST_OFFSET)} to {_hours(LATEST_OFFSET)})", code="offset")
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError(
                f"{name}{value!r} falls outside the years 1–9999 in UTC", code="overflow"
            ) from None


class ProgramDateTimeRangeField(IsoDateTimeRangeField):
    def __init__(self, *args, param: str = "", **kwargs):
        # The range widget reads "<param>_after" and "<param>_before"; errors name them.
        fields = tuple(ProgramDateTimeField(param=f"{param}_{suffix}" if param else "")
                       for suffix in ("after", "before"))
        RangeField.__init__(self, fields, *args, **kwargs)


class DateTimeRangeFilter(django_filters.IsoDateTimeFromToRangeFilter):
    """``<param>_after`` / ``<param>_before`` as ISO 8601 date-times (a bad offset or an
    overflowing date is a 400 naming the parameter). ``param`` is the filter's name in the
    FilterSet, which errors repeat."""

    field_class = ProgramDateTimeRangeField

    def __init__(self, *args, param: str, **kwargs):
        super().__init__(*args, param=param, **kwargs)
