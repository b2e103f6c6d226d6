"""Fixtures for the webhook tests: a real HTTP receiver on 127.0.0.1 (http.server in a
thread) that records every request and answers with the statuses it is told, endpoints
pointed at it, and ``finalised(site)`` to make a final audit."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from audits import lifecycle
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits
from webhooks.endpoints import create_endpoint

# An audit with a finding: the policy citation failed and the tone was poor.
FLAWED = {**ALL_GOOD, "policy_cited": "fail", "tone": "2"}
SECRET = "receiver-shared-secret-0123456789"


@dataclass
class Received:
    path: str
    headers: Message
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


def signature_is_valid(secret: str, received: Received) -> bool:
    """The receiver's check, written from docs/integrations.md (not from webhooks.delivery):
    HMAC-SHA256 over "<timestamp>.<body>" with the shared secret, compared in constant time."""
    timestamp = received.headers["X-QA-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + received.body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"sha256={expected}", received.headers["X-QA-Signature"])


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # The statuses of the next responses, in order; 200 once they run out.
    statuses: list[int] = field(default_factory=list)

    def events(self) -> list[str]:
        return [r.json["event"] if "event" in r.json else "slack" for r in self.requests]


@pytest.fixture
def receiver():
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                # The headers as received: looked up case-insensitively, as HTTP says.
                state.requests.append(Received(self.path, self.headers, body))
                status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(receiver, manager):
    """An internal JSON endpoint on the receiver, subscribed to every event."""
    from webhooks.events import EVENTS

    return create_endpoint(name="QA data lake", url=receiver.url + "/internal",
                           events=[e.name for e in EVENTS], by=manager, secret=SECRET)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def finalised(version, auditor, manager, workflow, media):
    """``finalised(site, answers=FLAWED)``: a submitted audit finalised by the manager."""

    def make(site, answers=FLAWED):
        audit = assigned_audits(auditor, workflow, site=site)[0]
        lifecycle.submit_audit(audit, auditor, answers=answers)
        return lifecycle.finalise_audit(audit, manager)

    return make
