"""One way to write each kind of value, on every page and chart: the functions, the template
filters, and the planner's JavaScript twin."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template

from accounts import formats


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [
        (0.9342, 1, "93.4%"),
        (0.9, 1, "90.0%"),
        (1, 1, "100.0%"),
        (0.02873, 2, "2.87%"),
        (Decimal("0.955"), 1, "95.5%"),
        (0.2, 0, "20%"),
        (None, 1, "—"),
        ("", 1, "—"),
    ],
)
def test_a_proportion_is_a_percentage_with_one_decimal(value, digits, shown):
    assert formats.percent(value, digits) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.021, "+2.1 pts"),
        (-0.004, "-0.4 pts"),
        (0.0, "+0.0 pts"),
        (-0.0004, "+0.0 pts"),
        (None, "—"),
    ],
)
def test_a_difference_is_in_signed_percentage_points(value, shown):
    assert formats.points(value) == shown


def test_settings_days_scores_and_margins():
    assert formats.setting_percent(Decimal("0.9500")) == "95%"
    assert formats.setting_percent(0.025) == "2.5%"
    assert formats.plus_minus(0.05) == "± 5.0%"
    assert formats.day(dt.date(2026, 12, 6)) == "6 Dec 2026"
    assert formats.day(dt.datetime(2026, 1, 31, 23, 59, tzinfo=dt.UTC)) == "31 Jan 2026"
    assert formats.score(Decimal("87.50")) == "87.5" and formats.score(None) == "—"


def test_a_moment_reads_like_a_day_with_a_24_hour_clock_and_pages_print_it_the_same():
    at = dt.datetime(2026, 3, 1, 18, 5, tzinfo=dt.UTC)
    assert formats.moment(at) == "1 Mar 2026 18:05" and formats.moment(None) == "—"
    html = Template('{{ at|date:"DATETIME_FORMAT" }}|{{ at|date }}').render(Context({"at": at}))
    assert html == "1 Mar 2026 18:05|1 Mar 2026"


def test_an_age_counts_whole_days_and_hours_and_never_rounds_up():
    assert formats.age(dt.timedelta(days=5, hours=23, minutes=59)) == "5 d 23 h"
    assert formats.age(dt.timedelta(minutes=59)) == "0 d 0 h" and formats.age(None) == "—"


def test_the_template_filters_are_the_same_functions():
    html = Template(
        "{% load formats %}{{ p|percent }} {{ d|points }} {{ c|pct }} {{ when|day }} "
        "{{ s|score }}|{% load sampling_format %}{{ p|percent }} {{ d|points }}"
    ).render(
        Context(
            {
                "p": 0.9342,
                "d": 0.021,
                "c": 0.95,
                "when": dt.date(2026, 12, 6),
                "s": Decimal("87.50"),
            }
        )
    )

    assert html == "93.4% +2.1 pts 95% 6 Dec 2026 87.5|93.4% +2.1 pts"


def test_the_planner_script_writes_percentages_the_same_way():
    script = (Path(settings.BASE_DIR) / "static" / "js" / "planner.js").read_text()

    assert '.toFixed(digits === undefined ? 1 : digits) + "%"' in script
