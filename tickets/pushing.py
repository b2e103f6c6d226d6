"""Pushing a batch of tickets (``POST /api/v1/tickets/bulk/``): all of it or none of it.

The batch takes the CSV import's road (``tickets.importing``): every ticket is checked by the
same ``TicketRowChecker`` against the same reference data, staged in the same temporary
table (COPY on PostgreSQL), duplicate ids are found there, agents are created and new
tickets inserted by one ``INSERT … SELECT … ON CONFLICT DO NOTHING``. One thing differs: a
ticket already present (same source and external id) whose content changed is updated, and
each change is kept as a ``TicketChange`` (before and after) of the ``TicketPush``. A ticket's
placement (vendor, site, agent, workflow, handled_at) decides its sample strata and its
scorecard cells, so a push cannot move a ticket: a different value is a row error. See
docs/integrations.md.

Pushed by a service account bound to a vendor, the batch is checked against that vendor's
reference data only: another vendor's slug is an unknown vendor, as it would be a 404.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from .import_report import ERROR_REPORT_LIMIT, ImportReport, RowError, shown
from .import_rows import ProgramReference, StagedTicket, TicketIdentity, TicketRowChecker
from .import_sql import RawTicketRows
from .import_staging import CONTENT_FIELDS, TicketStaging
from .importing import _create_agents
from .models import Ticket, TicketChange, TicketPush
from .push_body import BatchRefused, read_batch

logger = logging.getLogger(__name__)

# How long a retried request with the same Idempotency-Key gets the first answer back.
IDEMPOTENCY_KEY_TTL = dt.timedelta(hours=24)
IDEMPOTENCY_KEY_MAX_LENGTH = 255
# What retention blanks (audits.retention): a push does not bring it back.
PURGED_FIELDS = {"content_url", "excerpt", "extra"}
# The import's column for each placement field, for messages.
PLACEMENT = {"site_id": "site", "agent_id": "agent", "workflow_id": "workflow",
             "handled_at": "handled_at"}


@dataclass
class PushReport(ImportReport):
    """An ImportReport with the tickets a push updated; ``already_present`` counts the
    present tickets it left unchanged."""

    updated: int = 0
    # (ticket id, {field: [before, after]}) of the updated tickets, recorded with the push.
    changes: list = field(default_factory=list, repr=False)

    def done(self) -> str:
        return (f"{self.rows_read:,} tickets: {self.created:,} new, {self.updated:,} updated, "
                f"{self.already_present:,} unchanged; {self.agents_created:,} agents created.")


@dataclass(frozen=True)
class PushAnswer:
    """What the endpoint answers: an HTTP status and a JSON body."""

    status: int
    body: dict
    replayed: bool = False


def push_tickets(body: bytes, media_type: str, *, by, vendor_id: int | None = None,
                 default_source: str = "", idempotency_key: str = "") -> PushAnswer:
    """Push the tickets in ``body`` for user ``by`` (a manager, or a service account's user;
    ``vendor_id`` for one bound to a vendor) and return the answer. With an
    ``idempotency_key`` the first answer is stored and returned again for a retry with the
    same key and request; the same key with another request is a 422."""
    digest = request_digest(body, media_type, default_source)
    if idempotency_key:
        stored = stored_answer(by, idempotency_key, digest)
        if stored is not None:
            return stored
    try:
        with transaction.atomic(), _collector_paused():
            answer, report = _answer(body, media_type, vendor_id, default_source)
            push = TicketPush.objects.create(
                pushed_by=by, pushed_at=timezone.now(), idempotency_key=idempotency_key,
                request_digest=digest if idempotency_key else "", status_code=answer.status,
                response=answer.body if idempotency_key else None,
                rows=report.rows_read if report else 0,
                created_count=report.created if report else 0,
                updated_count=report.updated if report else 0,
                unchanged_count=report.already_present if report else 0,
            )
            if report is not None and report.ok:
                answer.body["push"] = push.pk
                if idempotency_key:
                    push.response = answer.body
                    push.save(update_fields=["response"])
                _record_changes(push, report)
    except IntegrityError:
        # The same key was stored meanwhile by a concurrent request; this one wrote nothing.
        stored = stored_answer(by, idempotency_key, digest) if idempotency_key else None
        if stored is None:
            raise
        return stored
    logger.info("ticket push by %s: HTTP %s", by, answer.status)
    return answer


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a batch is read and checked: a batch of 10,000
    tickets allocates some 40,000 dicts, lists and tuples, each of which counts towards a
    collection of the whole process's heap, and those collections took half the time of
    reading a batch (docs/benchmarks.md). The batch's size is bounded (MAX_BATCH_ROWS,
    MAX_BATCH_BYTES), so memory is too; any cycles are collected when it is switched back
    on (only if it was on: a caller that had switched it off keeps it off)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def request_digest(body: bytes, media_type: str, default_source: str) -> str:
    hasher = hashlib.sha256()
    for part in (media_type.encode(), default_source.encode("utf-8", "replace"), body):
        hasher.update(len(part).to_bytes(8, "big"))
        hasher.update(part)
    return hasher.hexdigest()


def stored_answer(by, key: str, digest: str) -> PushAnswer | None:
    """The stored answer to an earlier request of ``by`` with ``key`` (expired keys first
    forgotten), None when there is none; a 422 when that request was another one."""
    now = timezone.now()
    TicketPush.objects.filter(
        pushed_at__lt=now - IDEMPOTENCY_KEY_TTL
    ).exclude(idempotency_key="").update(idempotency_key="", request_digest="", response=None)
    earlier = TicketPush.objects.filter(pushed_by=by, idempotency_key=key).first()
    if earlier is None:
        return None
    if earlier.request_digest != digest:
        return PushAnswer(422, {"detail": (
            f"Idempotency-Key {shown(key)} was used at {earlier.pushed_at:%Y-%m-%d %H:%M:%S} "
            "UTC for a different request (another body, Content-Type or source); nothing "
            "was imported. Use a new key for a new batch.")})
    return PushAnswer(earlier.status_code, dict(earlier.response or {}), replayed=True)


def _answer(body, media_type, vendor_id, default_source) -> tuple[PushAnswer, PushReport | None]:
    try:
        batch = read_batch(body, media_type)
    except BatchRefused as refused:
        answer = {"detail": refused.message}
        if refused.line:
            answer["errors"] = [{"row": refused.line, "field": "(row)", "message": refused.message}]
        return PushAnswer(refused.status, answer), None
    report = PushReport(file_name="the batch")
    _import_batch(batch, report, vendor_id, default_source)
    if not report.ok:
        return PushAnswer(400, {
            "detail": report.summary(), "rows": report.rows_read,
            "error_count": report.error_count, "bad_rows": report.bad_rows,
            "errors": [{"row": e.row, "field": e.field, "message": e.problem}
                       for e in report.errors],
            "errors_not_shown": report.errors_not_shown,
        }), report
    return PushAnswer(200, {
        "detail": report.summary(), "rows": report.rows_read, "created": report.created,
        "updated": report.updated, "unchanged": report.already_present,
        "agents_created": report.agents_created,
    }), report


def _import_batch(batch, report: PushReport, vendor_id: int | None, default_source: str) -> None:
    """tickets.importing's road for a pushed batch, plus the updates of changed tickets.
    Leaves the changes to record in ``report.changes``.

    On PostgreSQL the tickets read without a problem are checked set-based in SQL
    (tickets.import_sql); the others, and every ticket elsewhere, by the row checker."""
    reference = ProgramReference.load(vendor_id)
    checker = TicketRowChecker(batch.header, reference, default_source)
    staging = TicketStaging.for_connection()
    raw = RawTicketRows(checker, reference, staging) if staging.postgres else None
    report.rows_read = len(batch.rows)
    # (row, errors) of every bad row, added to the report in row order at the end.
    problems: list[tuple[int, list[RowError]]] = []

    def checked(rows):
        for row, errors, cells in rows:
            if cells is None:
                problems.append((row, errors))
                continue
            found, ticket = checker.check(row, cells)
            if errors:  # the checker's word on a field this reading already named is dropped
                named = {error.field for error in errors}
                errors = sorted(errors + [e for e in found if e.field not in named])
            else:
                errors = found
            if errors:
                problems.append((row, errors))
            if ticket is None:
                continue
            if errors and isinstance(ticket, StagedTicket):
                ticket = TicketIdentity(row, ticket.source, ticket.external_id)
            yield ticket

    try:
        with transaction.atomic():
            staging.create()
            if raw is None:
                staging.add(checked(batch.rows))
            else:
                raw.create()
                plain = [(row, cells) for row, errors, cells in batch.rows
                         if cells is not None and not errors]
                staging.add(checked(item for item in batch.rows
                                    if item[2] is None or item[1]))
                raw.copy_cells(plain)
                if raw.stage_plain_rows() < len(plain):
                    staging.add(checked((row, [], cells) for row, cells in raw.rows_to_check()))
            for _row, errors in sorted(problems, key=lambda problem: problem[0]):
                report.add_errors(errors)
            report.merge_errors(*staging.duplicates(ERROR_REPORT_LIMIT))
            # The agents known so far: a present ticket whose agent is not among them (or
            # another one) has moved, which _compare reports with every other bad row.
            staging.add_agent_map(reference.agents)
            staging.analyse()
            updates = _compare(staging, vendor_id, report)
            if not report.ok:
                transaction.set_rollback(True)
                return
            reference.new_agents = staging.new_agents()
            report.agents_created = _create_agents(reference)
            staging.add_agent_map(
                {key: reference.agents[key] for key in reference.new_agents})
            report.created = staging.insert_tickets(timezone.now())
            if updates:
                Ticket.objects.bulk_update([ticket for ticket, _ in updates],
                                           list(CONTENT_FIELDS), batch_size=500)
            report.updated = len(updates)
            report.already_present = report.rows_read - report.created - report.updated
            report.changes = [(ticket.pk, fields) for ticket, fields in updates]
    finally:
        if raw is not None:
            raw.drop()
        staging.drop()


def _compare(staging, vendor_id, report) -> list[tuple[Ticket, dict]]:
    """The present tickets the batch changes, each with its changes; placement changes and
    another vendor's tickets become row errors in ``report``."""
    candidates = staging.present_and_different()  # (row, ticket id, staged values)
    if not candidates:
        return []
    tickets = Ticket.objects.select_related("vendor", "site", "agent", "workflow").in_bulk(
        [pk for _, pk, _ in candidates])
    updates, errors = [], []
    for row, ticket_id, new in candidates:
        ticket = tickets[ticket_id]
        if ticket.vendor_id != new["vendor_id"]:
            if vendor_id is not None:
                problem = (f"{shown(ticket.external_id)} is the id of a ticket this token "
                           "cannot change")
            else:
                problem = (f"{shown(ticket.external_id)} is a ticket of vendor "
                           f"{ticket.vendor.slug!r}; a push cannot move a ticket to another vendor")
            errors.append([RowError(row, "external_id", problem)])
            continue
        moved = []
        for name, before, after, shown_before in (
            ("site_id", ticket.site_id, new["site_id"], ticket.site.slug),
            ("agent_id", ticket.agent.external_id, new["agent"], ticket.agent.external_id),
            ("workflow_id", ticket.workflow_id, new["workflow_id"], ticket.workflow.slug),
            ("handled_at", ticket.handled_at, new["handled_at"], ticket.handled_at.isoformat()),
        ):
            if before != after:
                moved.append(RowError(
                    row, PLACEMENT[name],
                    f"differs from the ticket's {shown(shown_before)}; a ticket's vendor, site, "
                    "agent, workflow and handled_at are fixed once it exists (its samples and "
                    "scorecards depend on them)"))
        if moved:
            errors.append(moved)
            continue
        changed = {}
        for name in CONTENT_FIELDS:
            if ticket.content_purged_at is not None and name in PURGED_FIELDS:
                continue
            before, after = getattr(ticket, name), new[name]
            if name == "extra":
                after = after or {}
            if before != after:
                changed[name] = [before, after]
                setattr(ticket, name, after)
        if changed:
            updates.append((ticket, changed))
    for row_errors in errors:
        report.add_errors(row_errors)
    report.errors.sort()
    return updates


def _record_changes(push: TicketPush, report: PushReport) -> None:
    now = push.pushed_at
    TicketChange.objects.bulk_create(
        [TicketChange(ticket_id=pk, push=push, changed_at=now, fields=fields)
         for pk, fields in report.changes], batch_size=1000)
