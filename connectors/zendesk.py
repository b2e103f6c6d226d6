"""Zendesk's incremental ticket export, cursor-based: fetching one page (with retries) and
turning its tickets into the import's rows. Nothing here writes to the database.

``GET {base}/api/v2/incremental/tickets/cursor.json?start_time=<unix>`` gives the first page,
``?cursor=<after_cursor>`` each next one; a page is ``{"tickets": [...], "after_cursor": …,
"end_of_stream": bool, "after_url": …}``. We build the next URL from ``after_cursor`` on the
connector's own base URL rather than follow ``after_url``, so a page cannot send the token to
another host. 429 (honouring ``Retry-After``), 5xx and network errors are retried with
exponential back-off; see docs/integrations.md.
"""

from __future__ import annotations

import base64
import email.utils
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
USER_AGENT = "qa-program-connector/1"
TIMEOUT_SECONDS = 30
# Attempts per page, and the first wait after a 5xx or network error (doubled each time):
# 5 + 10 + 20 + 40 s over 5 attempts. A 429's Retry-After is honoured instead, up to
# MAX_WAIT_SECONDS (a longer wait ends the run; the next scheduled one resumes).
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = 5
MAX_WAIT_SECONDS = 300


class PullFailed(Exception):
    """A page could not be fetched (or read); the message says why."""


@dataclass
class Fetcher:
    """Fetches pages for one connector. ``waits`` records every back-off it computed (seconds),
    in order; the sleep actually taken is that times settings.QA_CONNECTOR_BACKOFF_SCALE."""

    base_url: str
    authorization: str
    sleep: Callable[[float], None] = time.sleep
    # Called before each wait, so the run's hold on its connector stays fresh while it waits.
    heartbeat: Callable[[], None] = lambda: None
    waits: list[float] = field(default_factory=list)
    requests: int = 0

    @classmethod
    def for_connector(cls, connector, **kwargs) -> Fetcher:
        token = os.environ.get(connector.token_env, "")
        if not token:
            raise PullFailed(f"The environment variable {connector.token_env} (the API token) "
                             "is not set in the worker's environment.")
        if connector.email:
            basic = base64.b64encode(f"{connector.email}/token:{token}".encode()).decode()
            authorization = f"Basic {basic}"
        else:
            authorization = f"Bearer {token}"
        return cls(connector.base_url.rstrip("/"), authorization, **kwargs)

    def url(self, cursor: str, start_time: int) -> str:
        query = {"cursor": cursor} if cursor else {"start_time": str(start_time)}
        return f"{self.base_url}{EXPORT_PATH}?{urllib.parse.urlencode(query)}"

    def page(self, cursor: str, start_time: int) -> dict:
        """The page after ``cursor`` (or from ``start_time`` without one), retried on 429,
        5xx and network errors; PullFailed after MAX_ATTEMPTS or on any other answer."""
        url = self.url(cursor, start_time)
        request = urllib.request.Request(url, headers={
            "Authorization": self.authorization, "Accept": "application/json",
            "User-Agent": USER_AGENT})
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                    return _read_page(response.read(), url)
            except urllib.error.HTTPError as error:
                if error.code != 429 and error.code < 500:
                    raise PullFailed(f"GET {url} answered HTTP {error.code}: "
                                     f"{_snippet(error.read())}") from None
                problem = f"HTTP {error.code}"
                wait = retry_after(error.headers.get("Retry-After")) if error.code == 429 else None
            except (urllib.error.URLError, OSError) as error:
                problem, wait = f"no answer ({getattr(error, 'reason', error)})", None
            if attempt == MAX_ATTEMPTS:
                raise PullFailed(f"GET {url} failed {MAX_ATTEMPTS} times; the last: {problem}.")
            if wait is None:
                wait = BACKOFF_SECONDS * 2 ** (attempt - 1)
            if wait > MAX_WAIT_SECONDS:
                raise PullFailed(f"GET {url}: {problem} with Retry-After {wait:g} s (more than "
                                 f"{MAX_WAIT_SECONDS} s); the next run resumes here.")
            self.waits.append(wait)
            self.heartbeat()
            self.sleep(wait * settings.QA_CONNECTOR_BACKOFF_SCALE)
        raise AssertionError("unreachable")


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _read_page(body: bytes, url: str) -> dict:
    try:
        page = json.loads(body)
    except (ValueError, RecursionError):
        raise PullFailed(f"GET {url} answered something that is not JSON: "
                         f"{_snippet(body)}") from None
    if (not isinstance(page, dict) or not isinstance(page.get("tickets"), list)
            or not isinstance(page.get("end_of_stream"), bool)):
        raise PullFailed(f"GET {url} answered JSON without 'tickets' and 'end_of_stream'.")
    return page


def _snippet(body: bytes) -> str:
    return body[:200].decode("utf-8", "replace").strip() or "(empty body)"


def value_of(ticket: dict, spec: str):
    """The value of one help desk field (see connectors.models) on ``ticket``."""
    if spec.startswith("="):
        return spec[1:]
    if spec.startswith("custom:"):
        wanted = spec[len("custom:"):]
        for custom in ticket.get("custom_fields") or ():
            if isinstance(custom, dict) and str(custom.get("id")) == wanted:
                return custom.get("value")
        return None
    value = ticket
    for part in spec.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def as_row(ticket: dict, field_map: dict) -> dict:
    """A help desk ticket as one of the push API's rows: every mapped field, a list (a
    multi-select custom field) joined with commas; absent values are left out, so a required
    one is reported as missing by the import's checks."""
    row = {}
    for name, spec in field_map.items():
        value = value_of(ticket, spec)
        if isinstance(value, list):
            value = ",".join(str(item) for item in value)
        if value is None or value == "":
            continue
        # Numbers as text (a ticket id is a number); an object stays one, for the import's
        # checks to name ("is an object; give a string…").
        row[name] = str(value) if isinstance(value, int) and not isinstance(value, bool) \
            else value
    return row


def page_rows(page: dict, field_map: dict,
              statuses: frozenset[str] = frozenset()) -> list[tuple[object, object]]:
    """The page's tickets as (help desk id, row): deleted tickets and, given ``statuses``,
    tickets in other statuses are left out, and a ticket that appears twice in one page
    (updated twice) is taken once, as last exported. Anything that is not a ticket object is
    passed on as it is, for the import to refuse by row."""
    latest: dict[object, object] = {}
    for position, ticket in enumerate(page["tickets"]):
        if not isinstance(ticket, dict):
            latest[("not a ticket", position)] = ticket
            continue
        status = ticket.get("status")
        if status == "deleted" or (statuses and status not in statuses):
            latest.pop(ticket.get("id"), None)  # an earlier export in the page is outdated
            continue
        key = ticket.get("id")
        key = ("no id", position) if key is None or isinstance(key, dict | list) else key
        latest.pop(key, None)
        latest[key] = ticket
    return [(key if not isinstance(key, tuple) else None,
             as_row(ticket, field_map) if isinstance(ticket, dict) else ticket)
            for key, ticket in latest.items()]
