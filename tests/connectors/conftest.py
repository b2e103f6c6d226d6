"""Fixtures for the connector tests: a real HTTP server on 127.0.0.1 (http.server in a
thread) that speaks Zendesk's cursor-based incremental ticket export from recorded pages,
answers the failures it is told (429 with Retry-After, 5xx) and logs every request; and a
connector pointed at it."""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connectors.models import Connector

TOKEN_ENV = "QA_TEST_ZENDESK_TOKEN"
TOKEN = "zendesk-api-token-123"
START_TIME = 1772323200  # 2026-03-01T00:00:00Z
SITE, WORKFLOW, LANGUAGE = 360001, 360002, 360003
FIELD_MAP = {
    "external_id": "id", "vendor": "=acme", "site": f"custom:{SITE}", "agent": "assignee_id",
    "workflow": f"custom:{WORKFLOW}", "handled_at": "created_at", "decision": "status",
    "language": f"custom:{LANGUAGE}", "channel": "via.channel", "excerpt": "subject",
}


def zendesk_ticket(ticket_id: int, subject: str, *, status="solved", site="manila",
                   created="2026-03-01T10:00:00Z") -> dict:
    """A ticket as the export gives it (the fields we map and a few we do not)."""
    return {
        "id": ticket_id, "url": f"https://acme.zendesk.com/api/v2/tickets/{ticket_id}.json",
        "created_at": created, "updated_at": "2026-03-02T08:00:00Z", "subject": subject,
        "status": status, "assignee_id": 9000 + ticket_id % 3, "via": {"channel": "email"},
        "tags": ["billing"], "custom_fields": [
            {"id": SITE, "value": site}, {"id": WORKFLOW, "value": "hate-speech-en"},
            {"id": LANGUAGE, "value": "en"}],
    }


def recorded_pages() -> dict[str, dict]:
    """Three pages and the empty page after them, keyed by the request's cursor ("" for the
    first page). The third page exports ticket 1001 again, its subject changed."""
    pages = [
        [zendesk_ticket(1001, "Refund please"), zendesk_ticket(1002, "Spam report")],
        [zendesk_ticket(1003, "Abusive reply"), zendesk_ticket(1004, "Login trouble")],
        [zendesk_ticket(1005, "Hate speech flag"),
         zendesk_ticket(1001, "Refund please (reopened)")],
        [],
    ]
    cursors = ["", "c1", "c2", "c3"]
    return {
        cursor: {"tickets": tickets, "after_cursor": f"c{min(i + 1, 3)}",
                 "after_url": f"https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json"
                              f"?cursor=c{min(i + 1, 3)}",
                 "before_cursor": None, "before_url": None, "end_of_stream": i >= 2}
        for i, (cursor, tickets) in enumerate(zip(cursors, pages, strict=True))
    }


@dataclass
class ZendeskServer:
    url: str = ""
    pages: dict[str, dict] = field(default_factory=recorded_pages)
    # Per cursor ("" = the first page), the failures its next requests get, in order:
    # (status, headers).
    failures: dict[str, list[tuple[int, dict]]] = field(default_factory=dict)
    # Every request: (cursor or "start_time=N", Authorization header).
    log: list[tuple[str, str]] = field(default_factory=list)
    # Per cursor, an event its requests wait for before they are answered (a page "in flight").
    holds: dict[str, threading.Event] = field(default_factory=dict)

    def asked(self) -> list[str]:
        return [what for what, _ in self.log]


@pytest.fixture
def zendesk():
    state = ZendeskServer()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            cursor = query.get("cursor", "")
            what = cursor or f"start_time={query.get('start_time')}"
            with lock:
                state.log.append((what, self.headers.get("Authorization", "")))
                pending = state.failures.get(cursor) or []
                failure = pending.pop(0) if pending else None
            if cursor in state.holds:
                state.holds[cursor].wait(timeout=30)
            if url.path != "/api/v2/incremental/tickets/cursor.json":
                return self.answer(404, {"error": "InvalidEndpoint"})
            if failure:
                status, headers = failure
                return self.answer(status, {"error": "failure"}, headers)
            if cursor not in state.pages:
                return self.answer(422, {"error": "InvalidCursor"})
            self.answer(200, state.pages[cursor])

        def answer(self, status, body, headers=None):
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def no_sleeping(settings, monkeypatch):
    """Back-off waits are computed and recorded, never slept, and the token is in the
    environment as the worker's would be."""
    settings.QA_CONNECTOR_BACKOFF_SCALE = 0
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


@pytest.fixture
def connector(zendesk, vendor_a, site_a, workflow):
    return Connector.objects.create(
        name="zendesk-acme", base_url=zendesk.url, email="qa-bot@acme.example",
        token_env=TOKEN_ENV, source="zendesk", field_map=FIELD_MAP, start_time=START_TIME)
