"""Pushing tickets to POST /api/v1/tickets/bulk/: the CSV import's rules over the API, a batch
all or nothing, a replay adds nothing, a changed ticket is updated and the change kept, a
retried request with its Idempotency-Key is answered from the first."""

import datetime as dt
import gc
import json

import pytest

from accounts.service_accounts import create_service_account, issue_token
from tests.factories import AgentFactory
from tests.tickets.conftest import good_row
from tickets.models import Ticket, TicketChange, TicketPush
from vendors.models import Agent

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/bulk/"
UTC = dt.UTC


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def push_json(client, rows, **headers):
    return client.post(URL, json.dumps(rows), content_type="application/json", **headers)


def push_ndjson(client, rows, **headers):
    body = "\n".join(json.dumps(row) for row in rows) + "\n"
    return client.post(URL, body, content_type="application/x-ndjson", **headers)


def token_for(scopes="tickets:write", vendor=None, name="Help-desk sync") -> dict:
    account = create_service_account(name, scopes, vendor=vendor)
    return bearer(issue_token(account).raw)


@pytest.fixture
def as_manager(client_as, manager, program):
    return client_as(manager)


@pytest.fixture
def sync(program):
    return token_for()


def test_a_json_array_from_a_manager_imports_every_ticket(as_manager, program):
    AgentFactory(site=program["site_a"], external_id="ag-known")
    rows = [
        good_row("T-1", agent="ag-known", source="zendesk", policy="hate_speech",
                 automated=True, ai_score=0.82, ai_model="llm-grader-v3", queue="vip",
                 priority=2),
        good_row("T-2", vendor="borealis", site="bogota", agent="ag-new",
                 handled_at="2026-03-01 05:00:00"),  # naive: Bogotá time, UTC-5
    ]

    response = push_json(as_manager, rows)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["rows"], body["created"], body["updated"], body["unchanged"]) == (2, 2, 0, 0)
    assert body["agents_created"] == 1
    first = Ticket.objects.get(external_id="T-1")
    assert (first.source, first.policy_label, first.automated) == ("zendesk", "hate_speech", True)
    assert (first.ai_score, first.ai_model) == (0.82, "llm-grader-v3")
    assert first.extra == {"queue": "vip", "priority": "2"}  # extra values kept as text
    second = Ticket.objects.get(external_id="T-2")
    assert second.handled_at == dt.datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert second.agent.vendor == program["vendor_b"]
    push = TicketPush.objects.get(pk=body["push"])
    assert (push.status_code, push.rows, push.created_count) == (200, 2, 2)


def test_ndjson_from_a_service_account_with_tickets_write(client, sync):
    response = push_ndjson(client, [good_row("T-1"), good_row("T-2")], **sync)

    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 2
    assert set(Ticket.objects.values_list("external_id", flat=True)) == {"T-1", "T-2"}


def test_a_replay_adds_nothing(client, sync):
    rows = [good_row("T-1", ai_score="0.4", ai_model="m1"), good_row("T-2", queue="vip")]
    push_ndjson(client, rows, **sync)

    again = push_ndjson(client, rows, **sync)

    assert again.status_code == 200
    assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (
        0, 0, 2)
    assert Ticket.objects.count() == 2 and Agent.objects.count() == 1
    assert not TicketChange.objects.exists()


def test_a_changed_ticket_is_updated_and_the_change_recorded(client, sync):
    push_ndjson(client, [good_row("T-1"), good_row("T-2")], **sync)

    changed = push_ndjson(client, [
        good_row("T-1", decision="approve", ai_score=0.9, ai_model="m2"), good_row("T-2"),
    ], **sync)

    assert changed.status_code == 200, changed.json()
    assert (changed.json()["updated"], changed.json()["unchanged"]) == (1, 1)
    ticket = Ticket.objects.get(external_id="T-1")
    assert (ticket.decision, ticket.ai_score, ticket.ai_model) == ("approve", 0.9, "m2")
    change = TicketChange.objects.get()
    assert change.ticket == ticket and change.push_id == changed.json()["push"]
    assert change.fields == {
        "decision": ["remove", "approve"], "ai_score": [None, 0.9], "ai_model": ["", "m2"],
    }


def test_a_push_cannot_move_a_ticket_and_then_writes_nothing(client, sync):
    push_ndjson(client, [good_row("T-1")], **sync)

    moved = push_ndjson(client, [
        good_row("T-2"),
        good_row("T-1", decision="approve", handled_at="2026-03-02T10:00:00Z", agent="ag-2"),
    ], **sync)

    assert moved.status_code == 400
    assert {(e["row"], e["field"]) for e in moved.json()["errors"]} == {
        (2, "agent"), (2, "handled_at")}
    assert Ticket.objects.get(external_id="T-1").decision == "remove"
    assert not Ticket.objects.filter(external_id="T-2").exists()
    assert Agent.objects.count() == 1  # ag-2 was not kept


def test_a_bad_batch_writes_nothing_and_names_every_bad_row(as_manager):
    rows = [
        good_row("T-1"),
        good_row("T-2", vendor="acmee"),
        good_row("T-3", ai_score="1.5", ai_model="m"),
        {key: value for key, value in good_row("T-4").items() if key != "decision"},
        good_row("T-5", queue={"nested": True}),
        "not a ticket",
        good_row("T-1"),
        good_row("T-8", handled_at="yesterday", content_url="ftp://x"),
    ]

    response = push_json(as_manager, rows)

    assert response.status_code == 400
    body = response.json()
    found = {(e["row"], e["field"]) for e in body["errors"]}
    assert found == {
        (2, "vendor"), (3, "ai_score"), (4, "decision"), (5, "queue"), (6, "(row)"),
        (7, "external_id"), (8, "handled_at"), (8, "content_url"),
    }
    assert body["bad_rows"] == 7 and body["error_count"] == 8
    messages = {(e["row"], e["field"]): e["message"] for e in body["errors"]}
    assert "did you mean 'acme'" in messages[(2, "vendor")]
    assert "already appears in row 1" in messages[(7, "external_id")]
    assert "nothing was imported" in body["detail"]
    assert not Ticket.objects.exists() and not Agent.objects.exists()


def test_a_push_leaves_the_cycle_collector_as_it_found_it(client, sync):
    # A batch is read with Python's cycle collector paused (tickets.pushing): it must be
    # back on after a push, good or bad, and stay off for a caller that had turned it off.
    good = push_ndjson(client, [good_row("T-1")], **sync)
    bad = push_ndjson(client, [good_row("T-2", vendor="acmee")], **sync)

    assert (good.status_code, bad.status_code) == (200, 400)
    assert gc.isenabled()
    gc.disable()
    try:
        assert push_ndjson(client, [good_row("T-3")], **sync).status_code == 200
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize(("content_type", "body", "status", "says"), [
    ("application/x-ndjson", '{"external_id": "T-1"}\n\n{"external_id": \n', 400, "Line 3"),
    ("application/json", '[{"external_id": "T-1"},\n {"vendor": }]', 400, "line 2"),
    ("application/json", '{"external_id": "T-1"}', 400, "JSON array"),
    ("application/json", "[]", 400, "no tickets"),
    ("application/json", "[" * 100_000, 400, "nested too deeply"),
    ("text/csv", "external_id\nT-1\n", 415, "application/x-ndjson"),
])
def test_a_body_that_cannot_be_read_is_a_400_naming_where(as_manager, content_type, body,
                                                          status, says):
    response = as_manager.post(URL, body, content_type=content_type)

    assert response.status_code == status
    assert says in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_a_body_that_is_not_utf8_is_a_400(as_manager):
    response = as_manager.post(URL, b'[{"external_id": "T-\xff"}]',
                               content_type="application/json")

    assert response.status_code == 400 and "not UTF-8" in response.json()["detail"]


def test_a_nul_or_a_lone_surrogate_is_a_row_error(as_manager):
    body = json.dumps([good_row("T-1", excerpt="a\u0000b"), good_row("T-2", channel="\ud800")])

    response = as_manager.post(URL, body, content_type="application/json")

    assert response.status_code == 400
    assert {(e["row"], e["field"]) for e in response.json()["errors"]} == {
        (1, "excerpt"), (2, "channel")}


def test_a_batch_too_large_is_a_413_naming_the_limit(as_manager):
    ndjson = as_manager.post(URL, "{}\n" * 10_001, content_type="application/x-ndjson")
    array = as_manager.post(URL, "[" + "{}," * 10_000 + "{}]", content_type="application/json")

    for response in (ndjson, array):
        assert response.status_code == 413
        assert "10,001 tickets" in response.json()["detail"]
        assert "at most 10,000" in response.json()["detail"]


def test_a_retry_with_the_idempotency_key_gets_the_first_answer(client, sync):
    key = {"HTTP_IDEMPOTENCY_KEY": "9b2f0c1e-batch-1"}
    first = push_ndjson(client, [good_row("T-1")], **sync, **key)
    Ticket.objects.filter(external_id="T-1").delete()  # were it applied again, T-1 would return

    retry = push_ndjson(client, [good_row("T-1")], **sync, **key)

    assert retry.status_code == 200 and retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert not Ticket.objects.exists()
    assert TicketPush.objects.count() == 1


def test_the_same_key_with_another_body_is_a_422_and_writes_nothing(client, sync):
    key = {"HTTP_IDEMPOTENCY_KEY": "batch-1"}
    push_ndjson(client, [good_row("T-1")], **sync, **key)

    other = push_ndjson(client, [good_row("T-2")], **sync, **key)

    assert other.status_code == 422
    assert "different request" in other.json()["detail"]
    assert not Ticket.objects.filter(external_id="T-2").exists()


def test_a_key_expires_after_a_day(client, sync, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 18, 12, tzinfo=UTC), tick=False)
    key = {"HTTP_IDEMPOTENCY_KEY": "batch-1"}
    push_ndjson(client, [good_row("T-1")], **sync, **key)
    time_machine.move_to(dt.datetime(2026, 11, 19, 12, 1, tzinfo=UTC), tick=False)

    later = push_ndjson(client, [good_row("T-2")], **sync, **key)

    assert later.status_code == 200 and later.json()["created"] == 1
    assert TicketPush.objects.filter(idempotency_key="batch-1").count() == 1


def test_an_unusable_idempotency_key_is_a_400(client, sync):
    response = push_ndjson(client, [good_row("T-1")], HTTP_IDEMPOTENCY_KEY="x" * 256, **sync)

    assert response.status_code == 400 and "255" in response.json()["detail"]


def test_a_token_without_tickets_write_is_a_403_naming_it(client, program):
    reader = token_for("tickets:read")

    response = push_ndjson(client, [good_row("T-1")], **reader)

    assert response.status_code == 403 and "tickets:write" in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_only_managers_push_with_a_session(client_as, auditor, poc_a, program):
    for user in (auditor, poc_a):
        response = push_json(client_as(user), [good_row("T-1")])
        assert response.status_code == 403, user
    assert not Ticket.objects.exists()


def test_a_vendor_bound_token_pushes_only_its_vendor_s_tickets(client, program):
    acme = token_for(vendor=program["vendor_a"], name="Acme desk")
    Ticket.objects.create(
        source="", external_id="B-1", vendor=program["vendor_b"], site=program["site_b"],
        agent=AgentFactory(site=program["site_b"], external_id="ag-b"),
        workflow=program["workflow"], handled_at=dt.datetime(2026, 3, 1, tzinfo=UTC),
        decision="remove")

    response = push_ndjson(client, [
        good_row("A-1"),
        good_row("A-2", vendor="borealis", site="bogota"),
        good_row("B-1", decision="approve"),
    ], **acme)

    assert response.status_code == 400
    errors = {(e["row"], e["field"]): e["message"] for e in response.json()["errors"]}
    assert set(errors) == {(2, "vendor"), (3, "external_id")}
    assert errors[(2, "vendor")] == "unknown vendor 'borealis'"  # as if it did not exist
    assert "cannot change" in errors[(3, "external_id")]
    assert Ticket.objects.get(external_id="B-1").decision == "remove"
    assert not Ticket.objects.filter(external_id="A-1").exists()

    own = push_ndjson(client, [good_row("A-1")], **acme)
    assert own.status_code == 200 and own.json()["created"] == 1


def test_content_removed_by_retention_is_not_brought_back(client, sync):
    push_ndjson(client, [good_row("T-1", excerpt="old words")], **sync)
    Ticket.objects.update(excerpt="", content_purged_at=dt.datetime(2026, 11, 1, tzinfo=UTC))

    replay = push_ndjson(client, [good_row("T-1", excerpt="old words")], **sync)

    assert replay.json()["unchanged"] == 1
    assert Ticket.objects.get().excerpt == ""


def test_the_schema_documents_the_push_endpoint(as_manager):
    schema = as_manager.get("/api/schema/").content.decode()

    assert "/api/v1/tickets/bulk/" in schema and "application/x-ndjson" in schema


def test_carriage_returns_and_newlines_are_kept_as_sent(client, sync, ticket_csv):
    """PostgreSQL's COPY reads a bare carriage return as the end of a row unless it is quoted
    (the staging of both the push and the CSV import)."""
    from tickets.importing import import_tickets_from_path

    pushed = push_ndjson(client, [good_row("T-1", excerpt="line one\rline two\r\nthree",
                                           channel="a\rb")], **sync)
    report = import_tickets_from_path(ticket_csv([good_row("T-2", excerpt="csv\rtext")]))

    assert pushed.status_code == 200, pushed.json()
    assert report.ok, report.lines()
    assert Ticket.objects.get(external_id="T-1").excerpt == "line one\rline two\r\nthree"
    assert Ticket.objects.get(external_id="T-1").channel == "a\rb"
    assert Ticket.objects.get(external_id="T-2").excerpt == "csv\rtext"


def test_the_json_suffix_route_pushes_too(client, sync):
    response = client.post("/api/v1/tickets/bulk.json", json.dumps([good_row("T-1")]),
                           content_type="application/json", **sync)

    assert response.status_code == 200 and response.json()["created"] == 1
