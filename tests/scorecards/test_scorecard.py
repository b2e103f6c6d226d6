"""A program manager reads a vendor's scorecard: stratified estimates with intervals against
the contract, honest verdicts, a drill-down from vendor to agent, and tables whose downloads
carry the page's numbers.

Every expected number is computed here, independently of the rollups, from what the test
built: each batch of audits is its own stratum (population N_h, n_h audits), so a vendor,
site, workflow or agent is a union of whole strata and its rate is the stratified estimate
of Cochran (1977) ch. 5 (``stats.stratified_proportion``, Wilson interval at the effective
size as the page uses). Populations differ between strata (unequal allocation), so a pooled
average would differ from these numbers.
"""

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Role
from audits.lifecycle import submit_audit
from rollups.writer import rebuild_rollups
from sampling import stats
from sampling.models import SampleStratum
from tests.audits.workspace_helpers import ALL_GOOD, published_form, sample_run
from tests.conftest import answered_from_the_program, rows_for_every_test
from tests.factories import (
    AgentFactory,
    SiteFactory,
    UserFactory,
    VendorFactory,
    WorkflowFactory,
)
from tests.rollups.rollup_helpers import sampled_audits
from vendors.models import ContractTarget

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MARCH = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
APRIL = dt.datetime(2026, 4, 14, 12, 0, tzinfo=dt.UTC)
ANSWERS = {
    "pass": ALL_GOOD,
    "fail": {**ALL_GOOD, "escalation": "missed", "policy_cited": "fail"},  # procedural
    "critical": {**ALL_GOOD, "right_action": "no"},  # policy error, critical
}


@dataclass
class Batch:
    """One stratum of audits as built: who, where, when, and how they came out."""

    stratum: int
    population: int
    audits: int
    passed: int
    critical: int
    site: object
    workflow: object
    agent: object
    handled_at: dt.datetime


def audit_batch(
    batches, auditor, workflow, agent, *, population, handled_at, passed, failed=0, critical=0
):
    """A stratum of ``population`` tickets of which these audits were sampled and scored."""
    outcomes = ["pass"] * passed + ["fail"] * failed + ["critical"] * critical
    audits = sampled_audits(
        sample_run(f"Plan {len(batches)} of {agent.external_id}"), auditor, workflow, agent,
        [handled_at] * len(outcomes),
    )
    for audit, outcome in zip(audits, outcomes, strict=True):
        submit_audit(audit, auditor, answers=ANSWERS[outcome])
    stratum = audits[0].sampled_ticket.stratum_id
    SampleStratum.objects.filter(pk=stratum).update(population=population)
    batches.append(
        Batch(
            stratum,
            population,
            len(outcomes),
            passed,
            critical,
            agent.site,
            workflow,
            agent,
            handled_at,
        )
    )


def expected(batches, attribute="passed", confidence=0.95, **where) -> stats.Estimate:
    """The stratified estimate over the batches matching ``where`` (site=…, agent=…, …)."""
    chosen = [b for b in batches if all(getattr(b, k) == v for k, v in where.items())]
    return stats.stratified_proportion(
        {b.stratum: (b.population, b.audits, getattr(b, attribute)) for b in chosen},
        confidence=confidence,
        method="wilson",
    )


@pytest.fixture(scope="module")
def program(django_db_setup, django_db_blocker):
    """Acme in March: Manila handles hate speech (agents M1, M2) and spam (M1); Cebu has only
    six audits. In April, M1's hate-speech work falls apart. Built once for the module (its
    hundred audits go through the real lifecycle); the people and places below are its."""
    yield from rows_for_every_test(django_db_blocker, build_program)


def acme_people_and_places() -> dict:
    """Acme's people and places, as tests/conftest.py's fixtures make them, for a module's
    program: its manager, auditor, vendor, Manila site and hate-speech workflow (published),
    and a spam workflow with its own form."""
    manager = UserFactory(email="manager@example.com", role=Role.PROGRAM_MANAGER)
    vendor = VendorFactory(name="Acme Moderation", slug="acme")
    hate = WorkflowFactory(name="Hate speech (EN)", slug="hate-speech-en")
    spam = WorkflowFactory(name="Spam (EN)", slug="spam-en")
    published_form(hate, by=manager)
    published_form(spam, by=manager, name="Spam scorecard")
    return {
        "manager": manager, "vendor": vendor, "hate": hate, "spam": spam,
        "auditor": UserFactory(email="auditor@example.com", role=Role.QA_AUDITOR),
        "site": SiteFactory(vendor=vendor, name="Manila", slug="manila"),
        "cebu": SiteFactory(vendor=vendor, name="Cebu", slug="cebu"),
    }


# The people and places the tests ask for are the program's (keys of its dict).
PROGRAMS_OWN = {"manager": "manager", "auditor": "auditor", "vendor_a": "vendor", "site_a": "site",
                "workflow": "hate"}
manager, auditor, vendor_a, site_a, workflow = answered_from_the_program(**PROGRAMS_OWN)


def build_program():
    program = acme_people_and_places()
    manager, auditor, workflow, spam = (program[k] for k in ("manager", "auditor", "hate", "spam"))
    site_a, cebu = program["site"], program["cebu"]
    m1 = AgentFactory(site=site_a, external_id="M1")
    m2 = AgentFactory(site=site_a, external_id="M2")
    c1 = AgentFactory(site=cebu, external_id="C1")
    batches = []
    audit_batch(
        batches,
        auditor,
        workflow,
        m1,
        population=600,
        handled_at=MARCH,
        passed=27,
        failed=2,
        critical=1,
    )
    audit_batch(
        batches,
        auditor,
        workflow,
        m2,
        population=200,
        handled_at=MARCH,
        passed=16,
        failed=3,
        critical=1,
    )
    audit_batch(batches, auditor, spam, m1, population=300, handled_at=MARCH, passed=12)
    audit_batch(batches, auditor, workflow, c1, population=50, handled_at=MARCH, passed=5, failed=1)
    audit_batch(
        batches, auditor, workflow, m1, population=400, handled_at=APRIL, passed=5, failed=10
    )
    rebuild_rollups()
    return {**program, "batches": batches, "m1": m1, "m2": m2}


def accuracy_target(vendor, value, workflow=None):
    return ContractTarget.objects.create(
        vendor=vendor,
        workflow=workflow,
        metric="accuracy",
        direction="at_least",
        target=Decimal(value),
        effective_from=dt.date(2026, 1, 1),
    )


def scorecard_url(vendor, **params):
    query = {"period": "month", "date": "2026-03-01", **params}
    return reverse("scorecards:scorecard", args=[vendor.slug]), query


def open_scorecard(client, vendor, **params):
    url, query = scorecard_url(vendor, **params)
    response = client.get(url, query)
    assert response.status_code == 200, response.content[:500]
    return response


def table_rows(response, table_id):
    """The text of each body row's cells in the page's table ``table_id``."""
    html = response.content.decode()
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def shown(estimate) -> str:
    """How the page writes a rate (scorecard_format.domain_rate, percent with one decimal)."""
    return f"{estimate.p * 100:.1f}% {estimate.low * 100:.1f}% – {estimate.high * 100:.1f}%"


def test_the_headline_is_the_stratified_estimate_not_the_pooled_average(
    client_as, manager, vendor_a, program
):
    batches = program["batches"]
    card = open_scorecard(client_as(manager), vendor_a).context["card"]

    accuracy = expected(batches, handled_at=MARCH)
    critical = expected(batches, "critical", handled_at=MARCH)
    headline = {h.metric: h for h in card.headlines}
    assert card.audits == 68
    assert headline["accuracy"].estimate.p == pytest.approx(accuracy.p)
    assert (headline["accuracy"].estimate.low, headline["accuracy"].estimate.high) == (
        pytest.approx(accuracy.low),
        pytest.approx(accuracy.high),
    )
    assert headline["accuracy"].estimate.margin == pytest.approx(accuracy.margin)
    assert headline["critical_error_rate"].estimate.p == pytest.approx(critical.p)
    # Policy accuracy: the audits without a policy error (here, the critical misses).
    assert headline["policy_accuracy"].estimate.p == pytest.approx(1 - critical.p)
    assert accuracy.p != pytest.approx(60 / 68)  # the naive pooled share would mislead


def test_a_vendor_clearly_below_its_target_is_below_target_significantly(
    client_as, manager, vendor_a, program
):
    accuracy_target(vendor_a, "0.9900")
    assert expected(program["batches"], handled_at=MARCH).high < 0.99

    response = open_scorecard(client_as(manager), vendor_a)

    [row] = table_rows(response, "targets")
    assert row[0] == "Accuracy" and row[1] == "all workflows"
    assert row[-1] == "below target (significant at 95%)"


def test_a_vendor_clearly_above_its_target_meets_it(client_as, manager, vendor_a, program):
    accuracy_target(vendor_a, "0.6000")

    [row] = table_rows(open_scorecard(client_as(manager), vendor_a), "targets")

    assert row[-1] == "meets target"


def test_a_borderline_vendor_is_inconclusive_and_told_how_many_more_audits_decide(
    client_as, manager, vendor_a, program
):
    accuracy = expected(program["batches"], handled_at=MARCH)
    target = round((accuracy.p + accuracy.high) / 2, 4)  # inside the interval, above p
    accuracy_target(vendor_a, str(target))
    more = stats.audits_to_decide(accuracy, target)
    assert more > 0

    [row] = table_rows(open_scorecard(client_as(manager), vendor_a), "targets")

    assert row[-1] == f"inconclusive: need about {more:,} more audits"


def test_a_workflow_target_is_read_on_that_workflow_of_the_pages_scope(
    client_as, manager, vendor_a, site_a, program
):
    accuracy_target(vendor_a, "0.9000", workflow=program["spam"])
    spam = expected(program["batches"], handled_at=MARCH, workflow=program["spam"])

    card = open_scorecard(client_as(manager), vendor_a).context["card"]
    [row] = card.targets
    assert (row.workflow_label, row.audits) == ("Spam (EN)", 12)
    assert row.estimate.p == pytest.approx(spam.p) == 1.0
    assert row.estimate.low == pytest.approx(spam.low)

    # Narrowed to Cebu, which did no spam work: nothing to judge the target on.
    cebu = open_scorecard(client_as(manager), vendor_a, site="cebu").context["card"]
    assert cebu.targets[0].text == "too few audits (n 0)"


def test_a_site_with_fewer_than_ten_audits_folds_into_one_line_instead_of_a_rate(
    client_as, manager, vendor_a, program
):
    rows = table_rows(open_scorecard(client_as(manager), vendor_a), "breakdown")

    assert [row[0] for row in rows[:-1]] == ["Manila"]
    [folded] = rows[-1]
    assert folded.startswith("1 site with too few audits to estimate")
    assert "Cebu n 6" in folded and "%" not in folded


def test_drilling_from_vendor_to_agent_shows_each_levels_own_audits_and_interval(
    client_as, manager, vendor_a, site_a, program
):
    accuracy_target(vendor_a, "0.8500")
    batches, hate, client = program["batches"], program["hate"], client_as(manager)

    vendor_rows = table_rows(open_scorecard(client, vendor_a), "breakdown")
    assert [row[:2] for row in vendor_rows[:-1]] == [["Manila", "62"]]  # Cebu (6): folded
    assert shown(expected(batches, handled_at=MARCH, site=site_a)) in vendor_rows[0][2]

    site_page = open_scorecard(client, vendor_a, site="manila")
    site_rows = table_rows(site_page, "breakdown")
    assert [row[:2] for row in site_rows] == [["Hate speech (EN)", "50"], ["Spam (EN)", "12"]]
    assert (
        shown(expected(batches, handled_at=MARCH, site=site_a, workflow=hate)) in (site_rows[0][2])
    )

    workflow_page = open_scorecard(client, vendor_a, site="manila", workflow=hate.slug)
    agent_rows = table_rows(workflow_page, "breakdown")
    assert [row[:2] for row in agent_rows] == [["M1 (Manila)", "30"], ["M2 (Manila)", "20"]]
    for row, agent in zip(agent_rows, (program["m1"], program["m2"]), strict=True):
        estimate = expected(batches, handled_at=MARCH, agent=agent, workflow=hate)
        assert shown(estimate) in row[2]
        assert row[-1] == stats_verdict(estimate, 0.85)

    agent_page = open_scorecard(client, vendor_a, site="manila", workflow=hate.slug, agent="M1")
    card = agent_page.context["card"]
    assert card.level is None and card.audits == 30
    assert 'id="breakdown"' not in agent_page.content.decode()
    assert [crumb.label for crumb in card.breadcrumbs] == [
        "Acme Moderation",
        "Manila",
        "Hate speech (EN)",
        "M1",
    ]
    assert card.breadcrumbs[1].query == "period=month&date=2026-03-01&vendor=acme&site=manila"


def stats_verdict(estimate, target):
    """The verdict words, decided here from the interval (targets.py's rule)."""
    if estimate.low >= target:
        return "meets target"
    if estimate.high < target:
        return "below target (significant at 95%)"
    return f"inconclusive: need about {stats.audits_to_decide(estimate, target):,} more audits"


def test_each_breakdown_row_links_one_level_deeper_keeping_period_and_confidence(
    client_as, manager, vendor_a, program
):
    response = open_scorecard(client_as(manager), vendor_a, confidence="0.9")
    html = response.content.decode()

    assert (
        'href="?period=month&amp;date=2026-03-01&amp;vendor=acme&amp;confidence=0.9'
        '&amp;site=manila"'
    ) in html
    assert response.context["card"].headlines[0].estimate.confidence == 0.9


def test_switching_the_period_changes_which_weeks_count(client_as, manager, vendor_a, program):
    batches, client = program["batches"], client_as(manager)

    april = open_scorecard(client, vendor_a, date="2026-04-01").context["card"]
    week = open_scorecard(client, vendor_a, period="week", date="2026-03-12").context["card"]
    empty_week = open_scorecard(client, vendor_a, period="week", date="2026-03-17")

    assert april.audits == 15
    assert april.headlines[0].estimate.p == pytest.approx(expected(batches, handled_at=APRIL).p)
    assert [child.name for child in april.children] == ["Manila"]
    assert week.audits == 68 and week.query.period.label == "Week 11, 2026"
    assert empty_week.context["card"].audits == 0
    assert "too few audits (n 0)" in empty_week.content.decode()


def test_the_csv_downloads_carry_the_numbers_the_page_shows(client_as, manager, vendor_a, program):
    accuracy_target(vendor_a, "0.9500")
    client = client_as(manager)
    page_rows = table_rows(open_scorecard(client, vendor_a), "breakdown")
    url, query = scorecard_url(vendor_a, format="csv", table="breakdown")

    response = client.get(url, query)

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    exported = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    # The download keeps a row per site; the page folds those with too few audits.
    estimated, folded = page_rows[:-1], page_rows[-1][0]
    assert [row["site"] for row in exported if row["accuracy"]] == [row[0] for row in estimated]
    for csv_row, page_row in zip([r for r in exported if r["accuracy"]], estimated, strict=True):
        assert csv_row["audits"] == page_row[1]
        assert csv_row["verdict"] == page_row[-1]
        low, p, high = (
            float(csv_row[c]) * 100 for c in ("accuracy_low", "accuracy", "accuracy_high")
        )
        assert page_row[2].startswith(f"{p:.1f}% {low:.1f}% – {high:.1f}%")
    for csv_row in (r for r in exported if not r["accuracy"]):
        assert csv_row["verdict"] == f"too few audits (n {csv_row['audits']})"
        assert f"{csv_row['site']} n {csv_row['audits']}" in folded

    url, query = scorecard_url(vendor_a, format="csv", table="metrics")
    response = client.get(url, query)
    metrics = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    accuracy = expected(program["batches"], handled_at=MARCH)
    assert float(metrics[0]["estimate"]) == round(accuracy.p, 4)
    assert metrics[-1]["verdict"] == stats_verdict(accuracy, 0.95)
    assert float(metrics[-1]["target"]) == 0.95


def test_the_xlsx_download_is_a_spreadsheet(client_as, manager, vendor_a, program):
    url, query = scorecard_url(vendor_a, format="xlsx", table="metrics")
    response = client_as(manager).get(url, query)
    assert response.status_code == 200
    assert response.content[:2] == b"PK"


def test_a_vendor_poc_gets_not_found(client_as, poc_a, vendor_a):
    url, query = scorecard_url(vendor_a)
    assert client_as(poc_a).get(url, query).status_code == 404


@pytest.mark.parametrize(
    "params, field",
    [
        ({"period": "fortnight"}, "period:"),
        ({"date": "2026-13-01"}, "date:"),
        ({"confidence": "0.5"}, "confidence:"),
    ],
)
def test_a_bad_period_or_confidence_is_a_bad_request_naming_the_field(
    client_as, manager, vendor_a, params, field
):
    url, query = scorecard_url(vendor_a, **params)
    response = client_as(manager).get(url, query)
    assert response.status_code == 400
    assert field in response.content.decode()


def test_an_unknown_site_or_agent_is_not_found(client_as, manager, vendor_a, site_b):
    client = client_as(manager)
    for params in ({"site": "nowhere"}, {"site": site_b.slug}, {"agent": "ghost"}):
        url, query = scorecard_url(vendor_a, **params)
        assert client.get(url, query).status_code == 404


def test_the_query_count_does_not_grow_with_the_number_of_agents(
    client_as, manager, auditor, vendor_b, site_b, workflow, django_assert_max_num_queries
):
    # Borealis, so that only these agents are on the page (the workflow's form is the module's).
    accuracy_target(vendor_b, "0.9000")
    accuracy_target(vendor_b, "0.8000", workflow=workflow)
    batches = []
    for number in range(24):
        agent = AgentFactory(site=site_b, external_id=f"A{number:02d}")
        audit_batch(
            batches,
            auditor,
            workflow,
            agent,
            population=40,
            handled_at=MARCH,
            passed=1 + number % 2,
            failed=1,
        )
    rebuild_rollups()
    client = client_as(manager)

    # Two of them read the AI-assisted estimates (the cells' labelled sums, the population's
    # scores) of the page's domain, two those of the breakdown's rows, and two more on the
    # vendor's page with a workflow target (rollups.assisted); one more splits manual from
    # automated decisions.
    with django_assert_max_num_queries(17):
        response = open_scorecard(client, vendor_b, site="bogota", workflow=workflow.slug)
    assert len(response.context["card"].children) == 24
    with django_assert_max_num_queries(19):
        open_scorecard(client, vendor_b)
