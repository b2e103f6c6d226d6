"""Vendor-reported QA over the API: vendor users report and read their own vendor's rows
only; another vendor is a 404 or an empty list, never data."""

import pytest

from tests.factories import UserFactory, enrol_totp
from vendor_qa.models import VendorQAUpload, VendorRate, VendorTicketResult

pytestmark = pytest.mark.django_db

RESULTS = "/api/v1/vendor-qa/ticket-results/"
RATES = "/api/v1/vendor-qa/rates/"


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


@pytest.fixture
def acme_reported(client_as, tickets, poc_a):
    client = client_as(poc_a)
    answer = post(client, RESULTS, [{"ticket": t.external_id, "passed": n % 2 == 0, "score": 90}
                                    for n, t in enumerate(tickets.tickets[:3])])
    assert answer.status_code == 201, answer.json()
    return answer.json()


def test_a_poc_reports_a_bare_list_for_their_own_vendor(acme_reported, vendor_a, poc_a):
    assert acme_reported["ok"] and acme_reported["created"] == 3
    assert set(VendorTicketResult.objects.values_list("vendor", flat=True)) == {vendor_a.pk}
    assert VendorQAUpload.objects.get().uploaded_by == poc_a


def test_the_list_holds_the_vendors_own_rows_only(acme_reported, tickets, client, poc_a,
                                                  poc_b):
    client.force_login(poc_a)
    rows = client.get(RESULTS).json()["results"]
    assert sorted(row["ticket"] for row in rows) == sorted(
        t.external_id for t in tickets.tickets[:3])
    client.force_login(poc_b)
    assert client.get(RESULTS).json()["results"] == []
    assert client.get(f"{RESULTS}?vendor={rows[0]['vendor']}").json()["results"] == []
    assert client.get(f"{RESULTS}{rows[0]['id']}/").status_code == 404


def test_another_vendor_named_in_the_body_is_a_404(tickets, client_as, poc_b, vendor_a):
    answer = post(client_as(poc_b), RESULTS, {"vendor": vendor_a.slug, "rows": [
        {"ticket": tickets.tickets[0].external_id, "passed": True}]})
    assert answer.status_code == 404
    assert not VendorTicketResult.objects.exists()


def test_another_vendors_ticket_is_a_row_error(tickets, client_as, poc_a):
    answer = post(client_as(poc_a), RESULTS, [{"ticket": "BOR-SECRET-1", "passed": "yes"}])
    assert answer.status_code == 400
    assert answer.json()["errors"] == ["row 1, field ticket: no ticket 'BOR-SECRET-1' for "
                                       "this vendor"]


def test_managers_name_the_vendor_and_auditors_cannot_report(tickets, client_as, manager,
                                                            auditor, vendor_a, workflow):
    row = {"workflow": workflow.slug, "week": "2026-03-11", "audited": 50, "passed": 49}
    client = client_as(manager)
    missing = post(client, RATES, {"rows": [row]})
    assert missing.status_code == 400 and "vendor" in missing.json()
    assert post(client, RATES, {"vendor": vendor_a.slug, "rows": [row]}).status_code == 201
    assert VendorRate.objects.get().week.isoformat() == "2026-03-09"
    assert post(client_as(auditor), RATES, {"vendor": vendor_a.slug, "rows": [row]}
                ).status_code == 403


def test_an_analyst_reports_rates_and_bad_rows_are_a_400_naming_them(
        tickets, client_as, vendor_a, workflow):
    analyst = UserFactory(email="qa@acme.example", role="vendor_qa", vendor=vendor_a)
    enrol_totp(analyst)
    client = client_as(analyst)
    bad = post(client, RATES, [{"workflow": workflow.slug, "week": "2026-03-09",
                                "audited": 10, "passed": 11}, {"week": "x"}])
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        "row 1, field passed: 11 is more than the 10 audited",
        "row 2, field workflow: is missing; a value is required",
        "row 2, field audited: is missing; a value is required",
        "row 2, field passed: is missing; a value is required",
    ]
    good = post(client, RATES, [{"workflow": workflow.slug, "week": "2026-W11", "audited": 10,
                                 "passed": 10}])
    assert good.status_code == 201
    assert client.get(RATES).json()["results"][0]["workflow"] == workflow.slug


@pytest.mark.parametrize("body", ['"just text"', "[1, 2]", '{"rows": "no"}',
                                  '{"vendor": 5, "rows": []}', '[{"ticket": "\\u0000"}]'])
def test_odd_bodies_are_a_400_not_a_500(tickets, client_as, poc_a, body):
    answer = client_as(poc_a).post(RESULTS, body, content_type="application/json")
    assert answer.status_code == 400
