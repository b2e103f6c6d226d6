"""A vendor POC learns nothing of another vendor from the API's HTML pages or its filters.

The browsable API used to render django-filter forms whose <select>s listed every vendor,
site, agent and user email, and a filter naming another vendor's id answered differently
from one naming no id at all (200 empty vs 400): an existence oracle. Vendor users now get
JSON only, and id filters take plain numbers inside the scoped queryset.
"""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from tests.coaching.security_fills import b_action
from tests.security_fixtures import World

pytestmark = pytest.mark.django_db

LISTS = (
    "vendors",
    "sites",
    "agents",
    "workflows",
    "contract-targets",
    "tickets",
    "forms",
    "audits",
    "disputes",
    "coaching-actions",
)
UNKNOWN_ID = 999_999


@pytest.fixture
def world(world: World) -> World:
    """The shared world, with a coaching action of vendor B's."""
    b_action(world)
    return world


def b_ids(w: World) -> dict[str, dict[str, int]]:
    """Per list endpoint, each id filter it takes with the id of one of vendor B's rows."""
    b = w.b
    vendor, site, agent = b.vendor.pk, b.site.pk, b.agents[0].pk
    return {
        "sites": {"vendor": vendor},
        "agents": {"vendor": vendor, "site": site},
        "contract-targets": {"vendor": vendor},
        "tickets": {"vendor": vendor, "site": site, "agent": agent},
        "audits": {"vendor": vendor, "site": site},
        "disputes": {"vendor": vendor, "audit": b.final_audit.pk},
        "coaching-actions": {"vendor": vendor, "site": site, "agent": agent},
    }


def never_shown_to_a(w: World) -> list[str]:
    """Vendor B's names and ids as strings, and every other person's email."""
    return [*w.b_identifiers(), w.b.poc.email, w.manager.email, w.auditor.email]


def leaks(body: bytes, w: World) -> list[str]:
    text = body.decode()
    return [s for s in never_shown_to_a(w) if s in text]


@pytest.mark.parametrize("endpoint", LISTS)
def test_a_poc_asking_for_the_browsable_api_gets_json_naming_nothing_of_b(
    client_as, world, poc_a, endpoint
):
    client = client_as(poc_a)
    plain = client.get(f"/api/v1/{endpoint}/")
    for response in (
        client.get(f"/api/v1/{endpoint}/", {"format": "api"}),
        client.get(f"/api/v1/{endpoint}/", HTTP_ACCEPT="text/html"),
    ):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/json")
        assert response.content == plain.content
        assert not leaks(response.content, world)


def test_a_poc_with_a_token_gets_json_from_the_browsable_api_too(client, world, poc_a):
    token = Token.objects.create(user=poc_a)
    response = client.get(
        "/api/v1/audits/",
        {"format": "api"},
        HTTP_AUTHORIZATION=f"Token {token.key}",
        HTTP_ACCEPT="text/html",
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert [row["id"] for row in response.json()["results"]] == [world.a.final_audit.pk]
    assert not leaks(response.content, world)


def test_a_poc_on_a_detail_and_on_the_index_gets_json_too(client_as, world, poc_a):
    client = client_as(poc_a)
    for path in (
        "/api/v1/",
        f"/api/v1/tickets/{world.a.tickets[0].pk}/",
        f"/api/v1/tickets/{world.b.tickets[0].pk}/",
    ):
        response = client.get(path, {"format": "api"}, HTTP_ACCEPT="text/html")
        assert response["Content-Type"].startswith("application/json"), path
        assert not leaks(response.content, world), path


def test_an_id_of_b_and_an_id_that_does_not_exist_answer_alike(client_as, world, poc_a):
    client = client_as(poc_a)
    for endpoint, filters in b_ids(world).items():
        for name, b_id in filters.items():
            foreign = client.get(f"/api/v1/{endpoint}/", {name: b_id})
            unknown = client.get(f"/api/v1/{endpoint}/", {name: UNKNOWN_ID})
            where = f"{endpoint}?{name}="
            assert foreign.status_code == unknown.status_code == 200, where
            assert foreign.content == unknown.content, where
            assert foreign.json()["results"] == [], where


def test_an_id_filter_that_is_not_a_whole_number_names_the_field(client_as, world, poc_a):
    response = client_as(poc_a).get("/api/v1/agents/", {"site": "1.5"})
    assert response.status_code == 400
    assert "site" in response.json()


def test_the_id_filters_still_find_a_pocs_own_rows(client_as, world, poc_a):
    a = world.a
    client = client_as(poc_a)
    agents = client.get("/api/v1/agents/", {"site": a.site.pk}).json()["results"]
    assert {row["external_id"] for row in agents} == {x.external_id for x in a.agents}
    tickets = client.get("/api/v1/tickets/", {"agent": a.agents[0].pk}).json()["results"]
    assert tickets and {row["agent"] for row in tickets} == {a.agents[0].pk}


def test_staff_keep_the_browsable_api_and_its_filters_list_nobody(client_as, world, manager):
    response = client_as(manager).get("/api/v1/audits/", {"format": "api"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'name="auditor"' in page  # the filter form is there, as a number field...
    assert world.auditor.email not in page and world.b.poc.email not in page  # ...no <select>
    assert world.b.vendor.name not in page


def test_a_vendor_filtering_audits_by_auditor_is_still_refused(client_as, world, poc_a):
    response = client_as(poc_a).get("/api/v1/audits/", {"auditor": world.auditor.pk})
    assert response.status_code == 400
    assert "auditor" in response.json()
