"""A vendor POC opens the partner portal and reads their own scorecard: the same stratified
estimates as the program's dashboards, their own vendor only, and the program's average
only when the program chooses to show it, never naming another vendor."""

import csv
import datetime as dt
import io

import pytest

from rollups.estimates import Scope, domain_outcomes
from rollups.periods import period_of
from scorecards.tables import rate
from tests.conftest import answered_from_the_program
from tests.portal.conftest import B_AGENT, MARCH_QUERY, PORTAL_PROGRAMS_OWN

pytestmark = pytest.mark.django_db


(manager, auditor, workflow, vendor_a, site_a, vendor_b, site_b, poc_a,
 portal_world) = answered_from_the_program(*PORTAL_PROGRAMS_OWN)

PORTAL = "/portal/"
MARCH = period_of("month", dt.date(2026, 3, 1))


def shown(estimate) -> str:
    """How a rate is written on the page (percent, one decimal)."""
    return f"{estimate.p * 100:.1f}%"


def body(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_the_poc_sees_their_vendors_estimates_as_domain_outcomes_gives_them(
    client_as, poc_a, vendor_a, vendor_b, site_b, portal_world
):
    expected = domain_outcomes(Scope(MARCH, vendor=vendor_a.pk), categories=True)[None]

    response = client_as(poc_a).get(PORTAL, MARCH_QUERY)
    page = body(response)

    headlines = {h.metric: h for h in response.context["card"].headlines}
    assert headlines["accuracy"].estimate == expected.accuracy
    assert headlines["critical_error_rate"].estimate == expected.critical_rate
    assert headlines["policy_accuracy"].estimate == expected.metric("policy_accuracy")
    assert headlines["accuracy"].audits == expected.audits == 14
    assert shown(expected.accuracy) in page
    assert "Acme Moderation" in page
    for marker in portal_world.b_markers(vendor_b, site_b):
        assert marker not in page


def test_the_contract_verdicts_and_the_weekly_trend_are_on_the_page(
    client_as, poc_a, vendor_a, portal_world
):
    from decimal import Decimal

    from vendors.models import ContractTarget

    ContractTarget.objects.create(
        vendor=vendor_a,
        metric="accuracy",
        direction="at_least",
        target=Decimal("0.99"),
        effective_from=dt.date(2026, 1, 1),
    )

    response = client_as(poc_a).get(PORTAL, MARCH_QUERY)
    page = body(response)

    [target] = response.context["card"].targets
    assert target.text in page
    assert 'id="trend"' in page and "<svg" in page
    march_weeks = [row for row in response.context["weekly_table"].rows if row["audits"]]
    assert [row["week"] for row in march_weeks] == ["2026-W11"]


def test_the_scorecard_tables_download_with_the_pages_numbers(
    client_as, poc_a, vendor_a, portal_world
):
    expected = domain_outcomes(Scope(MARCH, vendor=vendor_a.pk))[None].accuracy

    response = client_as(poc_a).get(PORTAL, {**MARCH_QUERY, "format": "csv", "table": "metrics"})

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    accuracy = next(row for row in rows if row["metric"] == "Accuracy")
    assert float(accuracy["estimate"]) == rate(expected.p)
    xlsx = client_as(poc_a).get(PORTAL, {**MARCH_QUERY, "format": "xlsx", "table": "weekly"})
    assert xlsx.status_code == 200
    assert xlsx["Content-Disposition"].endswith('.xlsx"')


def test_the_breakdown_is_of_the_pocs_own_sites_and_agents(
    client_as, poc_a, site_a, vendor_b, site_b, portal_world
):
    client = client_as(poc_a)

    by_site = client.get(PORTAL, MARCH_QUERY).context["card"]
    by_workflow = client.get(PORTAL, {**MARCH_QUERY, "site": site_a.slug}).context["card"]

    assert [child.name for child in by_site.children] == ["Manila"]
    assert by_site.level == "site" and by_workflow.level == "workflow"
    for other in ({"site": site_b.slug}, {"agent": B_AGENT}):
        assert client.get(PORTAL, {**MARCH_QUERY, **other}).status_code == 404


def test_a_vendor_parameter_cannot_turn_the_portal_to_another_vendor(
    client_as, poc_a, vendor_b, site_b, portal_world
):
    page = body(client_as(poc_a).get(PORTAL, {**MARCH_QUERY, "vendor": vendor_b.slug}))

    assert "Acme Moderation" in page
    assert "Borealis" not in page


def test_the_program_average_is_hidden_unless_the_program_shows_it(
    client_as, poc_a, portal_world, settings
):
    assert settings.PORTAL_SHOW_PROGRAM_AVERAGE is False

    response = client_as(poc_a).get(PORTAL, MARCH_QUERY)

    assert response.context["program"] is None
    assert "Program average" not in body(response)


def test_the_program_average_is_every_vendor_together_and_names_none(
    client_as, poc_a, vendor_a, vendor_b, site_b, portal_world, settings
):
    settings.PORTAL_SHOW_PROGRAM_AVERAGE = True
    program = domain_outcomes(Scope(MARCH), categories=True)[None]
    acme = domain_outcomes(Scope(MARCH, vendor=vendor_a.pk))[None]

    response = client_as(poc_a).get(PORTAL, MARCH_QUERY)
    page = body(response)

    average = response.context["program"]
    assert average.audits == program.audits == 14 + 12
    assert average.headlines[0].estimate == program.accuracy != acme.accuracy
    assert "Program average" in page and shown(program.accuracy) in page
    for marker in portal_world.b_markers(vendor_b, site_b):
        assert marker not in page


def test_an_unreadable_period_is_a_400_that_says_why(client_as, poc_a, portal_world):
    response = client_as(poc_a).get(PORTAL, {"period": "fortnight"})

    assert response.status_code == 400
    assert "This period cannot be shown" in response.content.decode()


def test_the_portal_home_reads_in_a_bounded_number_of_queries(
    client_as, poc_a, portal_world, django_assert_max_num_queries
):
    client = client_as(poc_a)
    with django_assert_max_num_queries(30):
        assert client.get(PORTAL, MARCH_QUERY).status_code == 200
