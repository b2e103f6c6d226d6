"""Pulling a connector: every page until the end of the stream, each page imported through the
push API's road (``tickets.pushing.push_tickets``: the CSV import's checks, idempotent on
(source, external_id), all or nothing) in the same transaction as the cursor after it.

So a run that dies (a killed worker, a page that keeps failing) resumes from the last page
that was committed, a page is never half imported, and importing a page again is harmless.
A page with a bad ticket is refused whole: nothing of it is written, the cursor stays before
it and the error names the ticket, row and field. docs/integrations.md has the details.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tickets.models import Ticket
from tickets.push_body import JSON
from tickets.pushing import push_tickets

from .models import Connector, RunStatus, field_map_errors
from .zendesk import Fetcher, PullFailed, page_rows

logger = logging.getLogger(__name__)

# A run holds its connector (Connector.running_since, renewed at every page and wait); a
# holder silent for this long died, and the next run takes over from the stored cursor.
STALE_AFTER = dt.timedelta(minutes=15)
# A run stops after this many pages and leaves the rest to the next run.
MAX_PAGES_PER_RUN = 1000
# Row errors quoted in Connector.last_error.
ERRORS_SHOWN = 10


class PageRefused(Exception):
    """The import refused a page (bad rows); nothing of it was written."""


@dataclass
class PullReport:
    """What one run did. ``waits`` are the back-offs computed, in seconds."""

    connector: str
    pages: int = 0
    tickets: int = 0
    created: int = 0
    updated: int = 0
    requests: int = 0
    waits: list[float] = field(default_factory=list)
    # Tickets exported again with another agent, site, workflow, vendor or handled_at.
    placement_kept: int = 0
    error: str = ""
    busy: bool = False

    @property
    def ok(self) -> bool:
        return not self.error and not self.busy

    def summary(self) -> str:
        if self.busy:
            return f"{self.connector}: another run is pulling it; nothing done."
        done = (f"{self.connector}: {self.pages} pages, {self.tickets} tickets "
                f"({self.created} new, {self.updated} updated)")
        return f"{done}; failed: {self.error}" if self.error else done + "."


def pull(connector: Connector, *, sleep: Callable[[float], None] = time.sleep) -> PullReport:
    """Pull ``connector`` until its export says end of stream; see the module docstring."""
    report = PullReport(connector.name)
    if not _claim(connector):
        report.busy = True
        return report
    fetcher = None
    try:
        problems = field_map_errors(connector.field_map)
        if problems:
            raise PullFailed("The field map is not usable: " + "; ".join(problems) + ".")
        fetcher = Fetcher.for_connector(connector, sleep=sleep, heartbeat=lambda: _hold(connector))
        for _ in range(MAX_PAGES_PER_RUN):
            cursor = connector.cursor
            page = fetcher.page(cursor, connector.start_time)
            _import_page(connector, cursor, page, report)
            if page["end_of_stream"] or not page.get("after_cursor"):
                break
    except (PullFailed, PageRefused) as failure:
        report.error = str(failure)
    except Exception as failure:  # recorded on the connector's page, then raised to Celery
        report.error = f"{type(failure).__name__}: {failure}"
        _finish(connector, report, fetcher)
        raise
    _finish(connector, report, fetcher)
    return report


def _claim(connector: Connector) -> bool:
    now = timezone.now()
    claimed = Connector.objects.filter(
        Q(running_since__isnull=True) | Q(running_since__lt=now - STALE_AFTER),
        pk=connector.pk,
    ).update(running_since=now, last_status=RunStatus.RUNNING, last_run_at=now)
    if claimed:
        connector.refresh_from_db()
    return bool(claimed)


def _hold(connector: Connector) -> None:
    Connector.objects.filter(pk=connector.pk).update(running_since=timezone.now())


def _import_page(connector: Connector, cursor: str, page: dict, report: PullReport) -> None:
    """Import one page and store the cursor after it, in one transaction."""
    rows = page_rows(page, connector.field_map, connector.status_filter)
    after = page.get("after_cursor") or cursor
    with transaction.atomic():
        locked = Connector.objects.select_for_update().get(pk=connector.pk)
        if locked.cursor != cursor:
            raise PullFailed("Another run moved the cursor meanwhile; this one stopped.")
        created = updated = 0
        if rows:
            report.placement_kept += keep_placement(rows, locked.source)
            body = json.dumps([row for _, row in rows]).encode()
            answer = push_tickets(body, JSON, by=None, vendor_id=locked.vendor_id,
                                  default_source=locked.source)
            if answer.status != 200:
                raise PageRefused(_refusal(cursor, rows, answer.body))
            created, updated = answer.body["created"], answer.body["updated"]
        locked.cursor = after
        locked.running_since = timezone.now()
        locked.pages_imported += 1
        locked.tickets_pulled += len(rows)
        locked.save(update_fields=["cursor", "running_since", "pages_imported",
                                   "tickets_pulled"])
    connector.cursor = after
    report.pages += 1
    report.tickets += len(rows)
    report.created += created
    report.updated += updated


def keep_placement(rows: list[tuple[object, object]], source: str) -> int:
    """Give each row of a ticket already imported that ticket's placement (vendor, site,
    agent, workflow, handled_at); returns how many rows had another one.

    A pushed ticket cannot move (tickets.pushing: its samples and scorecards depend on where
    it was handled), and a push that tries is refused. A help desk ticket does move — it is
    reassigned, reopened and solved again — and refusing its page would stop the connector
    for good; so a pulled ticket keeps the placement of its first import and its content
    is updated."""
    by_id = {row["external_id"]: row for _, row in rows
             if isinstance(row, dict) and isinstance(row.get("external_id"), str)}
    if not by_id:
        return 0
    moved = 0
    present = Ticket.objects.filter(source=source, external_id__in=list(by_id)).values_list(
        "external_id", "vendor__slug", "site__slug", "agent__external_id", "workflow__slug",
        "handled_at")
    for external_id, vendor, site, agent, workflow, handled_at in present:
        row = by_id[external_id]
        placement = {"vendor": vendor, "site": site, "agent": agent, "workflow": workflow,
                     "handled_at": handled_at.isoformat()}
        if (any(row.get(name) != placement[name] for name in ("vendor", "site", "agent",
                                                              "workflow"))
                or _moment(row.get("handled_at")) != handled_at):
            moved += 1
        row.update(placement)
    return moved


def _moment(value) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _refusal(cursor: str, rows: list[tuple[object, dict]], body: dict) -> str:
    where = f"after cursor {cursor!r}" if cursor else "from the start time"
    lines = [f"The page {where} was refused and nothing of it imported "
             f"({body.get('detail', '')})"]
    for error in body.get("errors", [])[:ERRORS_SHOWN]:
        row = error.get("row", 0)
        known = 0 < row <= len(rows) and rows[row - 1][0] is not None
        ticket = f"Zendesk ticket {rows[row - 1][0]}, " if known else ""
        lines.append(f"{ticket}row {row} of the page, field {error.get('field')}: "
                     f"{error.get('message')}")
    return "\n".join(lines)


def _finish(connector: Connector, report: PullReport, fetcher: Fetcher | None) -> None:
    if fetcher is not None:
        report.requests, report.waits = fetcher.requests, list(fetcher.waits)
    now = timezone.now()
    values = {"running_since": None, "last_run_pages": report.pages,
              "last_run_tickets": report.tickets, "last_error": report.error,
              "last_status": RunStatus.FAILED if report.error else RunStatus.OK}
    if not report.error:
        values["last_success_at"] = now
    Connector.objects.filter(pk=connector.pk).update(**values)
    log = logger.warning if report.error else logger.info
    log("connector pull: %s", report.summary())


def pull_due() -> list[int]:
    """The active connectors a scheduled run should pull (not held by a live run)."""
    stale = timezone.now() - STALE_AFTER
    return list(Connector.objects.filter(is_active=True).filter(
        Q(running_since__isnull=True) | Q(running_since__lt=stale)).values_list("pk", flat=True))
