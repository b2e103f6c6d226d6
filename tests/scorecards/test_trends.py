"""Trends tell a manager what moved and whether it is real: a week with far more errors than
the process makes is flagged on the p-chart and no other is; "better" and "worse" are only
said when the two-proportion test says so; every number equals what ``sampling.stats`` gives
from the raw audits, and the CSV equals the page."""

import csv
import datetime as dt
import io
import re
from collections import defaultdict

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import formats
from audits.lifecycle import open_assigned_audits
from audits.models import SCORED_STATUSES, Audit, AuditStatus
from rollups.periods import period_of
from rollups.writer import rebuild_rollups
from sampling import stats
from sampling.models import SampledTicket, SampleStratum
from scorecards.query import PageQuery
from scorecards.trends import (
    WeekPoint,
    vendor_comparison,
    week_over_week,
    weekly_series,
)
from tests.audits.workspace_helpers import published_form, sample_run
from tests.conftest import answered_from_the_program, rows_for_every_test
from tests.factories import AgentFactory, TicketFactory
from tests.people_and_places import two_vendors_people_and_places

pytestmark = pytest.mark.django_db

LAST_WEEK = dt.date(2026, 3, 30)  # the last Monday of March 2026: the month's last week
WEEKS = [LAST_WEEK - dt.timedelta(weeks=11 - i) for i in range(12)]
MARCH = {"period": "month", "date": "2026-03-01"}
PER_WEEK = 10  # audits per week in each of vendor A's two strata
# Errors per week in vendor A's two strata (2026-W03 … 2026-W14): a steady process …
STEADY = [
    (1, 0),
    (0, 1),
    (1, 1),
    (1, 0),
    (0, 1),
    (1, 0),
    (0, 1),
    (1, 1),
    (1, 0),
    (0, 1),
    (1, 0),
    (0, 1),
]
# … with one bad week, 2026-W09 (index 6): 13 errors in 20 audits.
BAD_WEEK = 6
PLANTED = [(7, 6) if i == BAD_WEEK else errors for i, errors in enumerate(STEADY)]


def audits_in_weeks(
    run, auditor, workflow, agent, per_week: int, population: int, weeks=WEEKS
) -> list:
    """One stratum of ``run`` (N = ``population``) holding ``per_week`` audits of ``agent`` in
    each of ``weeks``, opened for ``auditor``, oldest first (tests/rollups/rollup_helpers.py
    makes strata of N 100; these are bigger)."""
    times = [
        dt.datetime.combine(week, dt.time(9), tzinfo=dt.UTC) + dt.timedelta(hours=5 * k)
        for week in weeks
        for k in range(per_week)
    ]
    tickets = [TicketFactory(agent=agent, workflow=workflow, handled_at=at) for at in times]
    position = run.strata.count()
    stratum = SampleStratum.objects.create(
        run=run,
        position=position,
        label=f"stratum {position}",
        population=population,
        allocated=len(tickets),
        drawn=len(tickets),
        expected_rate=0.1,
        stddev=0.3,
    )
    now = timezone.now()
    SampledTicket.objects.bulk_create(
        SampledTicket(
            run=run,
            stratum=stratum,
            ticket=ticket,
            draw_rank=rank,
            inclusion_probability=len(tickets) / population,
            auditor=auditor,
            assigned_at=now,
            due_at=now + dt.timedelta(days=1),
        )
        for rank, ticket in enumerate(tickets, start=1)
    )
    open_assigned_audits(run)
    return list(Audit.objects.filter(ticket__in=tickets).order_by("ticket__handled_at", "pk"))


def score(audits: list, failing: int) -> None:
    """The first ``failing`` audits fail (a policy error), the others pass; all submitted."""
    ids, now = [a.pk for a in audits], timezone.now()
    Audit.objects.filter(pk__in=ids[:failing]).update(
        status=AuditStatus.SUBMITTED,
        submitted_at=now,
        passed=False,
        score=40,
        error_categories={"policy-error": 1},
    )
    Audit.objects.filter(pk__in=ids[failing:]).update(
        status=AuditStatus.SUBMITTED, submitted_at=now, passed=True, score=100, error_categories={}
    )


def build_program(version, auditor, workflow, site_a, site_b, errors_a, b_failing=(0, 0)):
    """Vendor A: two strata (N 5,000 and 1,000: unequal sampling fractions) with PER_WEEK
    audits each per week, failing as ``errors_a`` says. Vendor B: one stratum (N 2,000) with
    20 audits in each of March's last two weeks, failing ``b_failing``."""
    run = sample_run("Weekly moderation")
    for s, population in enumerate((5000, 1000)):
        audits = audits_in_weeks(
            run, auditor, workflow, AgentFactory(site=site_a), PER_WEEK, population
        )
        for i in range(len(WEEKS)):
            score(audits[i * PER_WEEK : (i + 1) * PER_WEEK], errors_a[i][s])
    b_audits = audits_in_weeks(
        run, auditor, workflow, AgentFactory(site=site_b), 20, 2000, WEEKS[-2:]
    )
    for i in range(2):
        score(b_audits[i * 20 : (i + 1) * 20], b_failing[i])
    rebuild_rollups()
    return run


def accuracy_by_hand(confidence=0.95, **audit_filter) -> dict:
    """Each week's accuracy, straight from the audit rows and stats.domain_proportion:
    {Monday: Estimate}. N_h from the stratum, n_h its completed audits in every week."""
    done = Audit.objects.filter(
        status__in=SCORED_STATUSES, unsampled=False, sampled_ticket__isnull=False
    ).select_related("ticket", "sampled_ticket__stratum")
    sampled = defaultdict(int)
    cells = defaultdict(lambda: [0, 0])  # (week, stratum) -> [m, x]
    populations = {}
    for audit in done:
        stratum = audit.sampled_ticket.stratum
        populations[stratum.pk] = stratum.population
        sampled[stratum.pk] += 1
        if all(getattr(audit.ticket, name) == value for name, value in audit_filter.items()):
            day = audit.ticket.handled_at.astimezone(dt.UTC).date()
            key = (day - dt.timedelta(days=day.weekday()), stratum.pk)
            cells[key][0] += 1
            cells[key][1] += bool(audit.passed)
    by_week = defaultdict(dict)
    for (week, stratum), (m, x) in cells.items():
        by_week[week][stratum] = (populations[stratum], sampled[stratum], m, x)
    return {week: stats.domain_proportion(counts, confidence) for week, counts in by_week.items()}


def _numbers(comparison: stats.Comparison) -> tuple:
    c = comparison
    return (c.difference, c.low, c.high, c.z, c.p_value)


def march(vendor=None):
    return PageQuery(period=period_of("month", dt.date(2026, 3, 1)), vendor=vendor)


def test_a_steady_program_has_no_week_out_of_control(
    version, auditor, workflow, site_a, site_b, vendor_a
):
    build_program(version, auditor, workflow, site_a, site_b, STEADY)
    assert [p for p in weekly_series(march(vendor_a)) if p.out_of_control] == []


@pytest.mark.parametrize(
    "last_errors, words",
    [
        ((5, 4), "worse (significant at 95%)"),  # 9 errors in 20 after about 1 in 20
        ((1, 1), "no significant change"),
    ],
)
def test_week_over_week_says_worse_only_when_the_test_is_significant(
    version, auditor, workflow, site_a, site_b, vendor_a, last_errors, words
):
    build_program(version, auditor, workflow, site_a, site_b, [*STEADY[:-1], last_errors])
    change = week_over_week(weekly_series(march(vendor_a)), 0.95)

    by_hand = accuracy_by_hand(vendor_id=vendor_a.pk)
    expected = stats.compare_estimates(by_hand[WEEKS[-1]], by_hand[WEEKS[-2]], 0.95)
    assert _numbers(change.comparison) == pytest.approx(_numbers(expected))
    assert change.words == words
    assert (expected.p_value < 0.05) == (words != "no significant change")
    assert words in change.sentence


def test_each_vendor_is_compared_with_the_chosen_vendor(
    version, auditor, workflow, site_a, site_b, vendor_a, vendor_b
):
    build_program(version, auditor, workflow, site_a, site_b, STEADY, b_failing=(6, 7))
    result = vendor_comparison(march(vendor_a))

    rows = {row.vendor.slug: row for row in result.rows}
    assert result.reference == vendor_a and rows["acme"].words == "reference"
    march_weeks = set(march().period.weeks)
    a_march = _domain_over(march_weeks, vendor_id=vendor_a.pk)
    b_march = _domain_over(march_weeks, vendor_id=vendor_b.pk)
    assert rows["acme"].accuracy.p == pytest.approx(a_march.p)
    assert rows["borealis"].accuracy.p == pytest.approx(b_march.p)
    expected = stats.compare_estimates(b_march, a_march, 0.95)
    assert _numbers(rows["borealis"].comparison) == pytest.approx(_numbers(expected))
    assert expected.p_value < 0.05 and rows["borealis"].words == "worse (significant at 95%)"


def _domain_over(weeks: set, **audit_filter) -> stats.Estimate:
    """One estimate over several weeks, from the audit rows (same recipe as above)."""
    done = Audit.objects.filter(
        status__in=SCORED_STATUSES, sampled_ticket__isnull=False
    ).select_related("ticket", "sampled_ticket__stratum")
    counts: dict = {}
    sampled = defaultdict(int)
    for audit in done:
        stratum = audit.sampled_ticket.stratum
        sampled[stratum.pk] += 1
        day = audit.ticket.handled_at.astimezone(dt.UTC).date()
        in_domain = day - dt.timedelta(days=day.weekday()) in weeks and all(
            getattr(audit.ticket, name) == value for name, value in audit_filter.items()
        )
        m, x = counts.get(stratum.pk, (0, 0))
        counts[stratum.pk] = (m + in_domain, x + (in_domain and bool(audit.passed)))
    return stats.domain_proportion(
        {
            pk: (SampleStratum.objects.get(pk=pk).population, sampled[pk], m, x)
            for pk, (m, x) in counts.items()
            if m
        },
        0.95,
    )


# --- the page ---------------------------------------------------------------------------------


def _table_rows(html: str, name: str) -> list[list[str]]:
    """The body rows of the table view whose download link names ``name``."""
    section = html.split(f'table={name}"')[0].rsplit('<details class="table-view">', 1)[1]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).replace("&#x27;", "'").replace("&amp;", "&")
            for cell in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


@pytest.mark.parametrize("weeks", ["3", "53", "twelve", "-4"])
def test_weeks_out_of_range_is_a_400_naming_the_field(client_as, manager, weeks):
    response = client_as(manager).get(reverse("scorecards:trends"), {"weeks": weeks})
    assert response.status_code == 400
    assert "weeks:" in response.content.decode()


def test_a_vendor_poc_gets_404(client_as, poc_a):
    assert client_as(poc_a).get(reverse("scorecards:trends")).status_code == 404


def test_a_week_with_too_few_audits_is_not_compared():
    estimate = stats.domain_proportion({"s": (100, 25, 25, 24)})
    weeks = [
        WeekPoint(week=WEEKS[-2], audits=4),
        WeekPoint(week=WEEKS[-1], audits=25, accuracy=estimate),
    ]
    change = week_over_week(weeks, 0.95)
    assert change.comparison is None
    assert change.words == "cannot compare: too few audits in week 2026-W13"


def test_a_program_without_audits_still_has_a_page(client_as, manager):
    response = client_as(manager).get(reverse("scorecards:trends"), MARCH)
    assert response.status_code == 200
    html = response.content.decode()
    assert "No audits in this period." in html and "No week is out of control." in html


def planted_bad_week() -> dict:
    """The PLANTED program (2026-W09 bad) among tests/conftest.py's people and places, made as
    its fixtures make them."""
    program = two_vendors_people_and_places()
    manager, auditor, workflow = program["manager"], program["auditor"], program["workflow"]
    version = published_form(workflow, by=manager)
    run = build_program(version, auditor, workflow, program["site_a"], program["site_b"], PLANTED)
    return {**program, "planted": run}


@pytest.fixture(scope="class")
def program(django_db_setup, django_db_blocker):
    """The planted program, built once for the class whose tests read it."""
    yield from rows_for_every_test(django_db_blocker, planted_bad_week)


class TestThePlantedBadWeek:
    """The tests that read the planted program, built once for the class. A class, not the
    module, holds them and their program: the other tests build programs of their own (or
    none) in an empty database."""

    # The people, places and run the tests ask for are the program's.
    (manager, vendor_a, vendor_b, planted) = answered_from_the_program(
        "manager", "vendor_a", "vendor_b", "planted", in_a_class=True
    )

    def test_a_week_with_many_errors_is_flagged_on_the_p_chart_and_no_other(
        self, planted, vendor_a
    ):
        series = weekly_series(march(vendor_a))

        assert [point.week for point in series] == WEEKS
        assert [point.label for point in series if point.out_of_control] == ["2026-W09"]
        assert [point.signal for point in series] == [
            "above" if i == BAD_WEEK else "" for i in range(12)
        ]
        # The limits are Montgomery's (2009, §7.2.2) p-chart for varying sizes, fed each week's
        # error rate as a binomial sample of its Kish effective size.
        by_hand = accuracy_by_hand(vendor_id=vendor_a.pk)
        errors = [1 - by_hand[week].p for week in WEEKS]
        sizes = [by_hand[week].effective_n for week in WEEKS]
        center, lcl, ucl = stats.p_chart([e * n for e, n in zip(errors, sizes, strict=True)], sizes)
        assert [p.error_rate.p for p in series] == pytest.approx(errors)
        assert [p.center for p in series] == pytest.approx([center] * 12)
        assert [p.lcl for p in series] == pytest.approx(list(lcl))
        assert [p.ucl for p in series] == pytest.approx(list(ucl))
        assert errors[BAD_WEEK] > ucl[BAD_WEEK]
        # Each week's interval is the domain estimate's, as on the scorecard.
        assert [bound for p in series for bound in (p.accuracy.low, p.accuracy.high)] == (
            pytest.approx(
                [bound for week in WEEKS for bound in (by_hand[week].low, by_hand[week].high)]
            )
        )

    def test_weeks_with_too_few_audits_are_gaps_not_rates(self, planted, vendor_a, vendor_b):
        series = weekly_series(march(vendor_b))
        assert [point.audits for point in series] == [0] * 10 + [20, 20]
        assert [point.enough for point in series] == [False] * 10 + [True, True]
        assert all(point.accuracy is None and point.lcl is None for point in series[:10])

    def test_without_a_chosen_vendor_the_best_measured_vendor_is_the_reference(self, planted):
        result = vendor_comparison(march())
        assert result.reference.slug == "acme"  # 100 audits in March against 40
        assert "most audits" in result.explanation

    def test_the_page_shows_both_charts_and_the_flagged_week(self, planted, client_as, manager):
        response = client_as(manager).get(reverse("scorecards:trends"), {**MARCH, "vendor": "acme"})
        assert response.status_code == 200
        html = response.content.decode()
        assert html.count('role="img"') >= 2 and "Error rate p-chart" in html
        assert "2026-W09" in re.sub(r"\s+", " ", html.split('id="out-of-control"')[1])[:200]
        assert reverse("scorecards:scorecard", args=["acme"]) + "?" in html

    def test_the_csv_of_each_chart_equals_the_numbers_on_the_page(
        self, planted, client_as, manager, vendor_a
    ):
        client = client_as(manager)
        url = reverse("scorecards:trends")
        query = {**MARCH, "vendor": "acme"}
        html = client.get(url, query).content.decode()
        series = weekly_series(march(vendor_a))
        for table in ("weekly", "control", "vendors"):
            response = client.get(url, {**query, "format": "csv", "table": table})
            assert response["Content-Type"].startswith("text/csv")
            rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
            page_rows = _table_rows(html, table)
            if table == "weekly":  # the page prints a day as "2 Mar 2026", the file ISO 8601
                at = rows[0].index("week_start")
                assert [row[at] for row in page_rows] == [
                    formats.day(dt.date.fromisoformat(row[at])) for row in rows[1:]
                ]
                assert {row[at][:4] for row in rows[1:]} == {"2026"}
                rows = [row[:at] + row[at + 1:] for row in rows]
                page_rows = [row[:at] + row[at + 1:] for row in page_rows]
            assert rows[1:] == page_rows
        weekly = list(
            csv.DictReader(
                io.StringIO(
                    client.get(url, {**query, "format": "csv", "table": "weekly"})
                    .content.decode()
                    .lstrip("\ufeff")
                )
            )
        )
        assert [float(row["accuracy"]) for row in weekly] == [
            round(p.accuracy.p, 4) for p in series
        ]
        assert [float(row["error_rate_high"]) for row in weekly] == [
            round(p.error_rate.high, 4) for p in series
        ]

    def test_the_page_reads_a_bounded_number_of_queries(
        self, planted, client_as, manager, django_assert_max_num_queries
    ):
        client = client_as(manager)
        url = reverse("scorecards:trends")
        with django_assert_max_num_queries(10):
            assert (
                client.get(
                    url, {**MARCH, "vendor": "acme", "workflow": "hate-speech-en", "weeks": "52"}
                ).status_code
                == 200
            )
