"""The ticket import refuses handling times no ticket can have: before 2000 (a year 0001 is a
typo, and would overflow moving to UTC) or more than a day after the import (9999 is a
placeholder). The clock is frozen, so "a day after the import" is a known moment."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.tickets.conftest import good_row
from tickets.importing import import_tickets_from_path as import_file
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+05:00",
        "0001-01-01 08:00:00",
        "1999-12-31T23:59:59Z",
        "2000-01-01T04:00:00+05:00",
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:00:00-05:00",
        "9999-12-31 23:59:59",
        "2026-11-19T12:00:01Z",
        "2027-01-01T00:00:00Z",
    ],
)
def test_a_handling_time_outside_2000_to_tomorrow_is_a_row_error(program, ticket_csv, value):
    report = import_file(ticket_csv([good_row("T-1"), good_row("T-2", handled_at=value)]))
    assert not report.ok and Ticket.objects.count() == 0
    assert [(e.row, e.field) for e in report.errors] == [(3, "handled_at")]
    assert str(report.errors[0]).startswith(
        f"row 3, field handled_at: '{value}' is outside 1 Jan 2000 to 19 Nov 2026 12:00 UTC"
    )


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "value",
    [
        "2000-01-01T00:00:00Z",
        "2000-01-01T05:00:00+05:00",
        "2026-11-19T12:00:00Z",
        "2026-11-19T20:00:00+08:00",
    ],
)
def test_the_range_includes_its_ends(program, ticket_csv, value):
    report = import_file(ticket_csv([good_row("T-1", handled_at=value)]))
    assert report.ok, [str(e) for e in report.errors]
    assert Ticket.objects.get().handled_at == dt.datetime.fromisoformat(
        value.replace("Z", "+00:00")
    ).astimezone(dt.UTC)
