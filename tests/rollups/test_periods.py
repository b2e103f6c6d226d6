"""A scorecard period is a run of whole ISO weeks: a week belongs to the month (and quarter) its
Monday falls in, so consecutive months tile the calendar's weeks with no week counted twice
or lost; a custom span is widened to the weeks holding its first and last day."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rollups.periods import (
    Period,
    PeriodInvalid,
    period_containing,
    period_from_query,
    period_of,
)

D = dt.date
FAST = settings(max_examples=200, deadline=None)
days = st.dates(min_value=D(2000, 1, 3), max_value=D(2099, 12, 31))  # Mondays within 2000–2099


def mondays_between(start: dt.date, stop: dt.date) -> list[dt.date]:
    """Every Monday in [start, stop), counted day by day."""
    count = (stop - start).days
    return [
        start + dt.timedelta(days=i)
        for i in range(count)
        if (start + dt.timedelta(days=i)).weekday() == 0
    ]


# --- weeks --------------------------------------------------------------------------------------


def test_a_week_runs_monday_to_sunday_and_is_named_by_its_iso_number():
    week = period_of("week", D(2026, 3, 4))  # a Wednesday
    assert (week.first, week.last, week.end) == (D(2026, 3, 2), D(2026, 3, 2), D(2026, 3, 8))
    assert week.weeks == [D(2026, 3, 2)]
    assert week.label == "Week 10, 2026"
    assert week.query() == {"period": "week", "date": "2026-03-02"}
    assert week.previous() == period_of("week", D(2026, 2, 23))
    assert week.following() == period_of("week", D(2026, 3, 9))


def test_the_last_week_of_a_53_week_year_crosses_new_year():
    """2026 starts on a Thursday, so it has ISO week 53 (28 Dec 2026 – 3 Jan 2027)."""
    new_year = period_of("week", D(2027, 1, 1))
    assert new_year.first == D(2026, 12, 28) and new_year.end == D(2027, 1, 3)
    assert new_year.label == "Week 53, 2026"
    assert new_year.following().label == "Week 1, 2027"
    assert new_year.following().first == D(2027, 1, 4)


def test_a_week_in_december_can_be_week_1_of_the_next_iso_year():
    week = period_of("week", D(2025, 12, 31))
    assert week.first == D(2025, 12, 29)
    assert week.label == "Week 1, 2026"
    # …but for months it belongs to December 2025, where its Monday is.
    assert week.first in period_of("month", D(2025, 12, 1)).weeks
    assert week.first not in period_of("month", D(2026, 1, 15)).weeks


# --- months and quarters ------------------------------------------------------------------------


def test_a_month_is_the_weeks_whose_monday_falls_in_it():
    """March 2026 starts on a Sunday: 1 March belongs to February's last week, and the week
    of Monday 30 March runs into April but is March's."""
    march = period_of("month", D(2026, 3, 17))
    assert march.weeks == [
        D(2026, 3, 2),
        D(2026, 3, 9),
        D(2026, 3, 16),
        D(2026, 3, 23),
        D(2026, 3, 30),
    ]
    assert march.end == D(2026, 4, 5)
    assert march.label == "March 2026"
    assert march.anchor == D(2026, 3, 1)
    assert march.query() == {"period": "month", "date": "2026-03-01"}
    assert period_of("month", D(2026, 3, 1)) == march  # a day before its first Monday
    assert march.previous().label == "February 2026"
    assert march.previous().last == D(2026, 2, 23)
    assert march.following().label == "April 2026"
    assert march.following().first == D(2026, 4, 6)


def test_a_month_that_starts_on_a_monday_starts_with_its_first_day():
    june = period_of("month", D(2026, 6, 30))
    assert june.first == D(2026, 6, 1)
    assert june.last == D(2026, 6, 29) and june.end == D(2026, 7, 5)
    assert len(june.weeks) == 5
    assert june.previous().label == "May 2026" and june.previous().end == D(2026, 5, 31)


def test_the_year_boundary_between_months_and_quarters():
    december, january = period_of("month", D(2026, 12, 5)), period_of("month", D(2027, 1, 5))
    assert december.last == D(2026, 12, 28) and december.end == D(2027, 1, 3)
    assert december.following() == january
    assert january.first == D(2027, 1, 4) and january.label == "January 2027"
    assert january.previous() == december
    q4 = period_of("quarter", D(2026, 11, 11))
    assert (q4.first, q4.last, q4.label) == (D(2026, 10, 5), D(2026, 12, 28), "Q4 2026")
    assert q4.following().label == "Q1 2027" and q4.following().first == D(2027, 1, 4)


def test_a_quarter_is_the_weeks_whose_monday_falls_in_its_three_months():
    q1 = period_of("quarter", D(2026, 2, 14))
    assert (q1.first, q1.last) == (D(2026, 1, 5), D(2026, 3, 30))
    assert len(q1.weeks) == 13
    assert q1.label == "Q1 2026" and q1.anchor == D(2026, 1, 1)
    assert q1.query() == {"period": "quarter", "date": "2026-01-01"}
    months = [period_of("month", D(2026, m, 1)) for m in (1, 2, 3)]
    assert q1.weeks == [week for month in months for week in month.weeks]
    assert q1.previous().label == "Q4 2025"


@FAST
@given(days, st.sampled_from(["month", "quarter"]))
def test_months_and_quarters_hold_exactly_the_mondays_inside_them(day, kind):
    period = period_of(kind, day)
    start = period.anchor
    stop = start
    for _ in range(1 if kind == "month" else 3):
        stop = (stop.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    assert period.weeks == mondays_between(start, stop)
    assert start <= day < stop
    assert period.end == period.last + dt.timedelta(days=6)


@FAST
@given(days, st.sampled_from(["week", "month", "quarter"]))
def test_consecutive_periods_tile_the_weeks(day, kind):
    period = period_of(kind, day)
    following, previous = period.following(), period.previous()
    assert following.first == period.last + dt.timedelta(weeks=1)
    assert previous.last == period.first - dt.timedelta(weeks=1)
    assert following.previous() == period
    assert previous.following() == period
    assert period.weeks and all(week.weekday() == 0 for week in period.weeks)


@FAST
@given(days, st.sampled_from(["week", "month", "quarter"]))
def test_a_period_survives_the_round_trip_through_its_query(day, kind):
    period = period_of(kind, day)
    assert period_from_query(period.query()) == period


# --- custom spans -------------------------------------------------------------------------------


def test_a_custom_span_is_widened_to_whole_weeks():
    span = period_from_query({"period": "custom", "start": "2026-03-04", "end": "2026-03-18"})
    assert span == Period("custom", D(2026, 3, 2), D(2026, 3, 16))
    assert span.end == D(2026, 3, 22)
    assert span.label == "2 Mar 2026 – 22 Mar 2026"
    assert span.query() == {"period": "custom", "start": "2026-03-02", "end": "2026-03-22"}
    assert period_from_query(span.query()) == span
    assert span.previous() == Period("custom", D(2026, 2, 9), D(2026, 2, 23))
    assert span.following() == Period("custom", D(2026, 3, 23), D(2026, 4, 6))


def test_a_custom_span_of_one_day_is_its_week():
    day = period_from_query({"period": "custom", "start": "2026-03-08", "end": "2026-03-08"})
    assert day.weeks == [D(2026, 3, 2)]


def test_without_a_date_the_period_is_todays():
    today = D(2026, 3, 17)
    assert period_from_query({}, today=today) == period_of("month", today)
    assert period_from_query({"period": "week", "date": ""}, today=today) == period_of(
        "week", today
    )


@pytest.mark.parametrize(
    ("today", "month", "quarter"),
    [
        (D(2026, 12, 6), "November 2026", "Q4 2026"),  # a Sunday: its week began on 30 Nov
        (D(2026, 11, 1), "October 2026", "Q4 2026"),  # a month's first day, a Sunday
        (D(2026, 12, 31), "December 2026", "Q4 2026"),  # ISO week 53 of 2026
        (D(2027, 1, 1), "December 2026", "Q4 2026"),  # New Year's Day, in week 53 of 2026
        (D(2027, 1, 4), "January 2027", "Q1 2027"),
        (D(2027, 3, 28), "March 2027", "Q1 2027"),  # Europe's change to summer time
    ],
)
def test_the_period_a_page_opens_on_holds_today(today, month, quarter):
    """An audit of a ticket handled today counts in the period a page opens on: the period
    whose weeks hold today, which near a month's start is the month before."""
    for kind, label in (("week", None), ("month", month), ("quarter", quarter)):
        period = period_from_query({"period": kind}, today=today)
        assert period.first <= today <= period.end
        assert period == period_containing(kind, today)
        if label:
            assert period.label == label


@given(days, st.sampled_from(["week", "month", "quarter"]))
@FAST
def test_every_day_is_in_the_period_containing_it(day, kind):
    period = period_containing(kind, day)
    assert period.first <= day <= period.end


def test_a_page_opens_on_the_latest_period_with_audits_not_an_empty_one():
    today = D(2026, 12, 6)
    # Audits up to the week of 12 October: November (the period holding today) has none.
    latest = D(2026, 10, 12)
    assert period_from_query({"period": "month"}, today=today, latest=latest).label == (
        "October 2026"
    )
    assert period_from_query({"period": "week"}, today=today, latest=latest).first == latest
    # Audits in the current period: it opens on today's period.
    assert (
        period_from_query({"period": "month"}, today=today, latest=D(2026, 11, 30)).label
        == "November 2026"
    )
    # A date in the query is what the viewer asked for, audits or not.
    assert (
        period_from_query(
            {"period": "month", "date": "2026-12-01"}, today=today, latest=latest
        ).label
        == "December 2026"
    )


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1999-12-31", "2100-01-01"])
def test_a_date_outside_the_years_a_program_covers_is_refused_by_name(value):
    with pytest.raises(PeriodInvalid, match="^date: "):
        period_from_query({"period": "month", "date": value})


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"period": "year"}, "period"),
        ({"period": "month", "date": "2026-13-01"}, "date"),
        ({"period": "week", "date": "next tuesday"}, "date"),
        ({"period": "custom", "end": "2026-03-01"}, "start"),
        ({"period": "custom", "start": "2026-03-01"}, "end"),
        ({"period": "custom", "start": "2026-03-09", "end": "2026-03-01"}, "end"),
        ({"period": "custom", "start": "2020-01-01", "end": "2026-01-01"}, "end"),
    ],
)
def test_bad_input_is_refused_naming_the_field(query, field):
    with pytest.raises(PeriodInvalid, match=rf"^{field}: "):
        period_from_query(query, today=D(2026, 3, 17))


def test_an_unknown_kind_is_refused_by_period_of_too():
    with pytest.raises(PeriodInvalid, match="^period: "):
        period_of("fortnight", D(2026, 3, 17))
    assert issubclass(PeriodInvalid, ValueError)
