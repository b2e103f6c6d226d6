"""An outside model's score on a ticket is internal QA data: QA sees "AI risk 0.82
(llm-grader-v3)"; a vendor user, by page, API or any renderer, never sees it."""

from __future__ import annotations

import json

import pytest

from accounts.service_accounts import create_service_account, issue_token
from tests.factories import AgentFactory, TicketFactory

pytestmark = pytest.mark.django_db

MODEL = "llm-grader-v3"


@pytest.fixture
def scored(site_a, workflow):
    return TicketFactory(
        agent=AgentFactory(site=site_a), workflow=workflow, ai_score=0.8193, ai_model=MODEL
    )


def bearer(vendor=None) -> dict:
    account = create_service_account(
        f"pusher {vendor.slug if vendor else 'program'}", ["tickets:read"], vendor=vendor
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(account).raw}"}


@pytest.mark.parametrize("who", ["manager", "auditor"])
def test_qa_reads_the_score_and_its_model_over_the_api(client_as, request, scored, who):
    client = client_as(request.getfixturevalue(who))

    listed = client.get("/api/v1/tickets/").json()["results"][0]
    one = client.get(f"/api/v1/tickets/{scored.pk}/").json()

    assert (listed["ai_score"], listed["ai_model"]) == (0.8193, MODEL)
    assert (one["ai_score"], one["ai_model"]) == (0.8193, MODEL)


def test_an_unscored_ticket_reads_as_null_with_no_model(client_as, manager, site_a, workflow):
    ticket = TicketFactory(agent=AgentFactory(site=site_a), workflow=workflow)

    one = client_as(manager).get(f"/api/v1/tickets/{ticket.pk}/").json()

    assert (one["ai_score"], one["ai_model"]) == (None, "")


def test_a_program_wide_service_account_reads_the_score(client, scored):
    one = client.get(f"/api/v1/tickets/{scored.pk}/", **bearer()).json()

    assert one["ai_score"] == 0.8193


def assert_no_score(response) -> None:
    assert response.status_code == 200, response.content[:300]
    body = response.content.decode()
    assert "ai_score" not in body and "ai_model" not in body
    assert MODEL not in body and "0.8193" not in body and "0.82" not in body


def test_a_vendor_poc_sees_the_ticket_but_never_its_score(client_as, poc_a, scored):
    client = client_as(poc_a)

    for response in (
        client.get("/api/v1/tickets/"),
        client.get(f"/api/v1/tickets/{scored.pk}/"),
        client.get("/api/v1/tickets/", {"format": "api"}),
        client.get(f"/api/v1/tickets/{scored.pk}/", {"format": "api"}),
        client.get(f"/api/v1/tickets/{scored.pk}/", {"format": "json"}),
        client.get(f"/api/v1/tickets/{scored.pk}/", HTTP_ACCEPT="text/html"),
    ):
        assert_no_score(response)
    one = json.loads(client.get(f"/api/v1/tickets/{scored.pk}/").content)
    assert one["external_id"] == scored.external_id  # the ticket itself is theirs to read


def test_a_vendor_bound_service_account_never_sees_the_score(client, vendor_a, scored):
    headers = bearer(vendor_a)

    assert_no_score(client.get("/api/v1/tickets/", **headers))
    assert_no_score(client.get(f"/api/v1/tickets/{scored.pk}/", **headers))


def test_qa_sees_the_ai_risk_on_the_ticket_page(client_as, auditor, scored):
    page = client_as(auditor).get(f"/audits/tickets/{scored.pk}/").content.decode()

    assert f"AI risk</dt><dd>0.82 ({MODEL})" in page


def test_a_vendor_poc_sees_the_ticket_page_without_the_ai_risk(client_as, poc_a, scored):
    response = client_as(poc_a).get(f"/audits/tickets/{scored.pk}/")

    assert response.status_code == 200
    assert scored.external_id in response.content.decode()
    page = response.content.decode()
    assert "AI risk" not in page and MODEL not in page and "0.82" not in page


def test_the_schema_marks_the_score_as_qa_only(client_as, manager):
    schema = client_as(manager).get("/api/schema/", {"format": "json"}).json()

    ticket = schema["components"]["schemas"]["Ticket"]["properties"]
    assert ticket["ai_score"]["readOnly"] and "QA only" in ticket["ai_score"]["description"]
