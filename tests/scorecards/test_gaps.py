"""A program manager reads the error themes: which categories drive what QA finds (a Pareto
chart of rates with intervals), which moved since the previous period, where (per vendor or
site), and with one click the audits behind a theme.

Expected rates are computed here from the raw audit rows, not from the rollups: each
vendor's audits are one stratum of a different population (unequal allocation), sampled
over February and March, so a month is a *domain* of each stratum and its rate is the ratio
estimator of Cochran (1977) §5A.14 (``stats.domain_proportion``); over the whole quarter the
domain is the whole sample and the rate is the stratified estimate of Cochran ch. 5
(``stats.stratified_proportion``).
"""

import csv
import datetime as dt
import io
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit_forms.models import ErrorCategory
from audits import lifecycle
from audits.models import SCORED_STATUSES, Audit
from rollups.periods import period_of
from rollups.writer import rebuild_rollups
from sampling import stats
from sampling.models import SampleStratum
from scorecards.gaps import thematic_gaps
from scorecards.pareto_chart import Bar, pareto_svg
from scorecards.query import PageQuery
from tests.audits.workspace_helpers import ALL_GOOD, published_form, sample_run
from tests.conftest import answered_from_the_program, rows_for_every_test
from tests.factories import AgentFactory, SiteFactory, TicketFactory, VendorFactory
from tests.people_and_places import CONFTESTS_OWN, two_vendors_people_and_places
from tests.rollups.rollup_helpers import (
    category_rate_from_audits,
    sampled_audits,
    submitted_in_bulk,
)

pytestmark = pytest.mark.django_db

POLICY = {**ALL_GOOD, "right_action": "no"}  # a policy error (critical)
PROCEDURAL = {**ALL_GOOD, "escalation": "missed"}  # a procedural error
MARCH = period_of("month", dt.date(2026, 3, 1))  # weeks of Mon 2 March … Sun 5 April
FEBRUARY = period_of("month", dt.date(2026, 2, 1))  # weeks of Mon 2 February … Sun 1 March
SUNDAY_LATE = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)  # still February's last week


def days(start: dt.datetime, count: int) -> list[dt.datetime]:
    return [start + dt.timedelta(hours=13 * i) for i in range(count)]


def outcomes(**counts) -> list[dict]:
    answers = {"policy": POLICY, "procedural": PROCEDURAL, "good": ALL_GOOD}
    return [answers[name] for name, n in counts.items() for _ in range(n)]


def stratum(auditor, workflow, agent, population, february, march):
    """One stratum of ``population`` tickets; audits handled in February then March, scored
    with the given answers, in that order."""
    answers = february + march
    handled = days(dt.datetime(2026, 2, 3, 9, tzinfo=dt.UTC), len(february)) + days(
        dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC), len(march)
    )
    audits = sampled_audits(
        sample_run(f"Plan of {agent.external_id}"), auditor, workflow, agent, handled
    )
    submitted_in_bulk(audits, answers)
    SampleStratum.objects.filter(pk=audits[0].sampled_ticket.stratum_id).update(
        population=population
    )
    return Audit.objects.filter(pk__in=[a.pk for a in audits]).order_by("ticket__handled_at")


@pytest.fixture(scope="module")
def program(django_db_setup, django_db_blocker):
    """Acme (1,000 tickets) and Borealis (200) in February and March: policy errors surge in
    March, procedural errors wobble; Cygnus has only four audits. Also an ad-hoc audit, an
    unfinished one and a late-Sunday ticket of February, none of which is March's. Built
    once for the module; the people and places below are its."""
    yield from rows_for_every_test(django_db_blocker, build_program)


manager, auditor, workflow, vendor_a, site_a, vendor_b, site_b, version = (
    answered_from_the_program(*CONFTESTS_OWN, "version")
)


def build_program():
    people = two_vendors_people_and_places()
    auditor, workflow, site_a, site_b = (
        people[k] for k in ("auditor", "workflow", "site_a", "site_b")
    )
    version = published_form(workflow, by=people["manager"])
    cygnus = VendorFactory(name="Cygnus Trust", slug="cygnus")
    agents = {
        "a": AgentFactory(site=site_a, external_id="A1"),
        "b": AgentFactory(site=site_b, external_id="B1"),
        "c": AgentFactory(
            site=SiteFactory(vendor=cygnus, name="Lagos", slug="lagos"), external_id="C1"
        ),
    }
    acme = stratum(
        auditor,
        workflow,
        agents["a"],
        1000,
        outcomes(policy=1, procedural=3, good=26),
        outcomes(policy=12, procedural=4, good=14),
    )
    borealis = stratum(
        auditor,
        workflow,
        agents["b"],
        200,
        outcomes(policy=1, procedural=2, good=17),
        outcomes(policy=4, procedural=3, good=13),
    )
    stratum(auditor, workflow, agents["c"], 40, [], outcomes(policy=1, good=3))
    # Not March's policy errors: ad hoc, unfinished, and handled on February's last Sunday.
    adhoc = lifecycle.start_adhoc_audit(
        TicketFactory(
            agent=agents["a"], workflow=workflow, handled_at=dt.datetime(2026, 3, 4, tzinfo=dt.UTC)
        ),
        version,
        auditor,
    )
    lifecycle.submit_audit(adhoc, auditor, answers=POLICY)
    sunday, unfinished = sampled_audits(
        sample_run("Late plan"),
        auditor,
        workflow,
        agents["a"],
        [dt.datetime(2026, 3, 5, tzinfo=dt.UTC), SUNDAY_LATE],
    )
    lifecycle.submit_audit(sunday, auditor, answers=POLICY)
    # A small stratum: two tickets, so its one audit weighs 2 tickets, not 100.
    SampleStratum.objects.filter(pk=sunday.sampled_ticket.stratum_id).update(population=2)
    rebuild_rollups()
    return {
        **people,
        "version": version,
        "acme": acme,
        "borealis": borealis,
        "adhoc": adhoc,
        "unfinished": unfinished,
        "sunday": sunday,
        "cygnus": cygnus,
        **agents,
    }


def gaps_url(**params):
    return reverse("scorecards:gaps"), {"period": "month", "date": "2026-03-01", **params}


def theme_url(slug, **params):
    return (
        reverse("scorecards:gap_audits", args=[slug]),
        {"period": "month", "date": "2026-03-01", **params},
    )


class Tables(HTMLParser):
    """Rows of every <table> with an id, as lists of cell texts (enough for these pages)."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.links: list[str] = []
        self._table = self._row = self._cell = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id") or f"t{len(self.tables)}", [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def download(client, url, query, table=None):
    response = client.get(url, {**query, "format": "csv", **({"table": table} if table else {})})
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


# ----- the numbers -------------------------------------------------------------------------


def test_theme_rates_are_the_domain_estimates_of_the_raw_audits(program):
    found = thematic_gaps(PageQuery(period=MARCH))

    assert found.current.audits == 30 + 20 + 4  # sampled and completed, in March
    for theme in found.current.themes:
        expected = category_rate_from_audits(theme.slug, MARCH)
        assert theme.estimate.p == pytest.approx(expected.p)
        assert (theme.estimate.low, theme.estimate.high) == pytest.approx(
            (expected.low, expected.high)
        )
    # Acme's 1,000 tickets weigh five times Borealis's 200: not a pooled 17 of 54.
    assert found.current.themes[0].estimate.p != pytest.approx(17 / 54, abs=0.03)


def test_over_the_whole_sample_a_theme_is_the_stratified_estimate(program):
    quarter = period_of("quarter", dt.date(2026, 1, 1))
    found = thematic_gaps(PageQuery(period=quarter))

    policy = found.current.estimates["policy-error"]
    by_stratum = {}
    for audit in Audit.objects.filter(unsampled=False, status__in=SCORED_STATUSES):
        stratum = audit.sampled_ticket.stratum
        population, n, x = by_stratum.get(stratum.pk, (stratum.population, 0, 0))
        by_stratum[stratum.pk] = (population, n + 1, x + ("policy-error" in audit.error_categories))
    expected = stats.stratified_proportion(by_stratum)
    assert policy.p == pytest.approx(expected.p)
    assert policy.se == pytest.approx(expected.se)


def test_themes_are_in_pareto_order_with_a_cumulative_share(program):
    themes = thematic_gaps(PageQuery(period=MARCH)).current.themes

    assert [t.slug for t in themes] == ["policy-error", "procedural"]
    rates = [t.estimate.p for t in themes]
    assert rates == sorted(rates, reverse=True)
    assert themes[0].share == pytest.approx(rates[0] / sum(rates))
    assert themes[0].cumulative == pytest.approx(themes[0].share)
    assert themes[-1].cumulative == pytest.approx(1.0)


def test_a_surge_is_a_mover_and_a_wobble_is_not(program):
    found = thematic_gaps(PageQuery(period=MARCH))

    assert [m.slug for m in found.movers] == ["policy-error"]
    surge = found.movers[0]
    assert surge.comparison.difference > 0.2 and surge.comparison.low > 0
    assert surge.previous.p == pytest.approx(category_rate_from_audits("policy-error", FEBRUARY).p)
    wobble = next(c for c in found.changes if c.slug == "procedural")
    assert not wobble.significant and wobble.comparison.low < 0 < wobble.comparison.high


def test_the_breakdown_is_per_vendor_or_per_site_of_the_chosen_vendor(program, vendor_a, site_a):
    found = thematic_gaps(PageQuery(period=MARCH))
    rows = {row.label: row for row in found.breakdown}

    assert found.by == "vendor" and set(rows) == {
        "Acme Moderation",
        "Borealis Support",
        "Cygnus Trust",
    }
    assert rows["Acme Moderation"].rates["policy-error"].p == pytest.approx(
        category_rate_from_audits("policy-error", MARCH, vendor=vendor_a).p
    )
    assert not rows["Cygnus Trust"].enough and rows["Cygnus Trust"].rates == {}

    acme = thematic_gaps(PageQuery(period=MARCH, vendor=vendor_a))
    assert acme.by == "site" and [row.label for row in acme.breakdown] == [site_a.name]


# ----- the pages ---------------------------------------------------------------------------


def test_the_page_shows_the_chart_its_table_and_a_csv_with_the_same_numbers(
    client_as, manager, program
):
    client = client_as(manager)
    url, query = gaps_url()
    response = client.get(url, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="img"' in html and "Error themes, March 2026" in html
    page = Tables(html)

    rows = download(client, url, query, "pareto")
    assert [r["category"] for r in rows] == ["Policy error", "Procedural"]
    shown = {row[0]: row for row in page.tables["gaps-themes"][1:]}
    for row in rows:
        assert shown[row["category"]][1].startswith(f"{float(row['rate']) * 100:.1f}%")
        assert shown[row["category"]][2] == f"{float(row['share']) * 100:.1f}%"
    table_view = [r for r in page.tables.values() if r and r[0][:2] == ["category", "slug"]][0]
    assert table_view[1:] == [list(row.values()) for row in rows]
    assert "No significant movers" not in html
    movers = page.tables["movers"]
    assert [row[0].split(" ")[0] for row in movers[1:]] == ["Policy"]


def test_each_theme_is_one_click_from_its_audits(client_as, manager, program, vendor_a):
    client = client_as(manager)
    url, query = gaps_url(vendor=vendor_a.slug)
    page = Tables(client.get(url, query).content.decode())

    assert "?period=month&date=2026-03-01&vendor=acme&site=manila" in page.links  # drill
    link = next(href for href in page.links if "/gaps/policy-error/audits/" in href)
    assert "vendor=acme" in link and "date=2026-03-01" in link
    listing = client.get(link)
    assert listing.status_code == 200
    listed = {row[0] for row in Tables(listing.content.decode()).tables["gap-audits"][1:]}
    march_acme_policy = {
        a.ticket.external_id
        for a in list(program["acme"])[30:]
        if "policy-error" in a.error_categories
    }
    assert len(march_acme_policy) == 12
    assert listed == march_acme_policy  # not ad hoc, unfinished, February's or Borealis's


def test_the_theme_list_downloads_what_it_lists(client_as, manager, program):
    client = client_as(manager)
    url, query = theme_url("policy-error")
    rows = download(client, url, query)
    page = Tables(client.get(url, query).content.decode()).tables["gap-audits"][1:]

    assert len(rows) == 12 + 4 + 1
    assert [r["ticket"] for r in rows] == [row[0] for row in page]
    assert program["sunday"].ticket.external_id not in {r["ticket"] for r in rows}
    handled = [r["handled_at_utc"] for r in rows]
    assert handled == sorted(handled, reverse=True)  # newest first
    assert {r["questions_in_error"] for r in rows} == {"Was the right action taken?"}


def test_no_significant_movers_is_said_when_nothing_moved(
    client_as, manager, program, auditor, workflow
):
    steady = AgentFactory(site=SiteFactory(vendor=VendorFactory(name="Steady", slug="steady")))
    stratum(
        auditor,
        workflow,
        steady,
        300,
        outcomes(procedural=2, good=13),
        outcomes(procedural=3, good=12),
    )
    rebuild_rollups()

    html = client_as(manager).get(*gaps_url(vendor="steady")).content.decode()
    assert "No significant movers" in html
    assert 'id="movers"' not in html  # the wobble is in the full table of changes only


def test_an_unknown_theme_is_not_found_and_a_bad_period_is_a_bad_request(
    client_as, manager, program
):
    client = client_as(manager)
    assert client.get(*theme_url("no-such-theme")).status_code == 404
    bad = client.get(*gaps_url(period="fortnight"))
    assert bad.status_code == 400 and "fortnight" in bad.content.decode()
    assert client.get(*theme_url("policy-error", date="2026-13-01")).status_code == 400


def test_a_vendor_poc_gets_not_found(client_as, poc_a, program):
    client = client_as(poc_a)
    assert client.get(*gaps_url()).status_code == 404
    assert client.get(*theme_url("policy-error")).status_code == 404


def test_queries_do_not_grow_with_categories_vendors_or_audits(
    client_as, manager, program, auditor, workflow, django_assert_max_num_queries
):
    client = client_as(manager)

    def count(url, query):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, query).status_code == 200
        return len(queries)

    before = count(*gaps_url()), count(*theme_url("policy-error"))
    for i in range(3):
        ErrorCategory.objects.create(name=f"Theme {i}", slug=f"theme-{i}")
        agent = AgentFactory(site=SiteFactory(vendor=VendorFactory(name=f"Extra {i}")))
        stratum(auditor, workflow, agent, 100, [], outcomes(policy=6, good=6))
    rebuild_rollups()
    after = count(*gaps_url()), count(*theme_url("policy-error"))
    assert after == before
    # Session and user, categories, three reads of two queries and their slugs, the breakdown's
    # names, the scope pickers' lists; the scope's own lookups (vendor, workflow) on top.
    with django_assert_max_num_queries(17):
        client.get(*gaps_url(vendor="acme", workflow=workflow.slug))
    with django_assert_max_num_queries(8):
        client.get(*theme_url("policy-error", vendor="acme"))


def test_the_pareto_chart_is_accessible_printable_svg():
    svg = pareto_svg(
        [
            Bar("Policy <error>", 0.3, 0.6, low=0.2, high=0.4, href="/scorecards/gaps/x/?a=1&b=2"),
            Bar("Tone", 0.2, 1.0),
        ],
        title="Error themes",
    )

    assert svg.startswith("<svg") and 'role="img"' in svg and "viewBox=" in svg
    assert "<title>Error themes, Pareto chart: Policy &lt;error&gt; 30.0%" in svg
    assert "<error>" not in svg and "<script" not in svg and "http" not in svg
    assert 'href="/scorecards/gaps/x/?a=1&amp;b=2"' in svg
    assert svg.count("<rect") == 3 and svg.count("<circle") == 3  # legend + bars, points
    assert "No errors found" in pareto_svg([])


def test_a_period_without_audits_says_so_and_still_downloads(client_as, manager, version):
    client = client_as(manager)
    url, query = gaps_url(date="2025-06-01")
    html = client.get(url, query).content.decode()

    assert "Too few audits in this scope and period" in html
    assert "No comparison: too few audits" in html
    xlsx = client.get(url, {**query, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].endswith('.xlsx"')
    listing = client.get(*theme_url("policy-error", date="2025-06-01")).content.decode()
    assert "0 completed sampled audits" in listing


def test_a_long_theme_list_downloads_the_newest_up_to_the_cap_and_says_so(
    client_as, manager, program, monkeypatch
):
    monkeypatch.setattr("scorecards.gaps.EXPORT_CAP", 5)
    client = client_as(manager)
    url, query = theme_url("policy-error")

    rows = download(client, url, query)
    html = client.get(url, query).content.decode()
    assert [r["ticket"] for r in rows] == [row[0] for row in Tables(html).tables["gap-audits"][1:6]]
    assert "downloads hold the newest 5 of 17 audits" in html
