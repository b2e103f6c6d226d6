"""The read API follows the same scoping as the pages: another vendor's row is a 404."""

import pytest
from rest_framework.authtoken.models import Token

from accounts.scoped_api import ViewOrderedCursorPagination

DETAILS = {
    "vendors": lambda p: p["agent_b"].vendor_id,
    "sites": lambda p: p["agent_b"].site_id,
    "agents": lambda p: p["agent_b"].pk,
    "tickets": lambda p: p["ticket_b"].pk,
    "contract-targets": lambda p: p["target_b"].pk,
}


def rows(client, endpoint):
    response = client.get(f"/api/v1/{endpoint}/")
    assert response.status_code == 200
    return response.json()["results"]


@pytest.mark.parametrize("endpoint", DETAILS)
def test_a_vendor_poc_gets_404_for_another_vendors_rows(client_as, poc_a, program, endpoint):
    pk = DETAILS[endpoint](program)

    assert client_as(poc_a).get(f"/api/v1/{endpoint}/{pk}/").status_code == 404


@pytest.mark.parametrize("endpoint", DETAILS)
def test_staff_read_any_vendors_rows(client_as, auditor, program, endpoint):
    pk = DETAILS[endpoint](program)

    assert client_as(auditor).get(f"/api/v1/{endpoint}/{pk}/").status_code == 200


def test_a_vendor_pocs_lists_hold_only_their_vendors_rows(client_as, poc_a, vendor_a, program):
    client = client_as(poc_a)

    assert [v["slug"] for v in rows(client, "vendors")] == ["acme"]
    assert {s["vendor"] for s in rows(client, "sites")} == {vendor_a.pk}
    assert {a["vendor"] for a in rows(client, "agents")} == {vendor_a.pk}
    assert {t["vendor"] for t in rows(client, "contract-targets")} == {vendor_a.pk}
    tickets = rows(client, "tickets")
    assert len(tickets) == 3 and {t["vendor"] for t in tickets} == {vendor_a.pk}


def test_filtering_by_another_vendor_finds_nothing(client_as, poc_a, vendor_b, program):
    response = client_as(poc_a).get(f"/api/v1/tickets/?vendor={vendor_b.pk}")

    assert response.json()["results"] == []


def test_staff_lists_hold_every_vendor(client_as, manager, program):
    client = client_as(manager)

    assert [v["slug"] for v in rows(client, "vendors")] == ["acme", "borealis"]
    assert len(rows(client, "tickets")) == 8


def test_lists_page_with_a_cursor_in_the_views_order(client_as, manager, program, monkeypatch):
    client = client_as(manager)
    monkeypatch.setattr(ViewOrderedCursorPagination, "page_size", 5)

    first = client.get("/api/v1/tickets/").json()
    second = client.get(first["next"]).json()

    ids = [t["id"] for t in first["results"] + second["results"]]
    assert len(ids) == 8 and ids == sorted(ids, reverse=True)


def test_a_token_reaches_the_api_as_its_user(client, poc_a, program):
    token = Token.objects.create(user=poc_a)

    response = client.get("/api/v1/vendors/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert [v["slug"] for v in response.json()["results"]] == ["acme"]
