"""Where checked ticket rows wait until the whole file is known to be good.

Rows go into a temporary table as they are checked, so memory does not grow with the file:
PostgreSQL receives them by ``COPY`` (the fastest way in), SQLite by batched inserts. The
same table then answers "which ids appear twice in this file" with a GROUP BY, and, when
the file is clean, feeds one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` into the ticket
table, which is what makes a second import of the same file add nothing.

Only the audits app's own table is written here by SQL; agents are created through the ORM
and passed in as a small temporary id map.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from itertools import islice

from django.db import connection

from .import_report import RowError, shown
from .import_rows import StagedTicket, TicketIdentity
from .models import Ticket

STAGING = "audits_ticket_import_staging"
AGENT_MAP = "audits_ticket_import_agents"
BATCH_ROWS = 10_000

# (column, PostgreSQL type, SQLite type); the order matches StagedTicket.
STAGING_COLUMNS = [
    ("row_no", "integer", "integer"),
    ("source", "text", "text"),
    ("external_id", "text", "text"),
    ("vendor_id", "bigint", "integer"),
    ("site_id", "bigint", "integer"),
    ("agent", "text", "text"),
    ("workflow_id", "bigint", "integer"),
    ("handled_at", "timestamptz", "text"),
    ("decision", "text", "text"),
    ("policy_label", "text", "text"),
    ("language", "text", "text"),
    ("channel", "text", "text"),
    ("automated", "boolean", "integer"),
    ("content_url", "text", "text"),
    ("excerpt", "text", "text"),
    ("extra", "jsonb", "text"),
    ("sample_key", "bigint", "integer"),
    ("ai_score", "double precision", "real"),
    ("ai_model", "text", "text"),
]
TEXT_COLUMNS = [name for name, pg_type, _ in STAGING_COLUMNS if pg_type == "text"]
# Ticket fields filled straight from the staging column of the same name.
COPIED_FIELDS = [
    "source", "external_id", "vendor_id", "site_id", "workflow_id", "handled_at", "decision",
    "policy_label", "language", "channel", "automated", "content_url", "excerpt", "extra",
    "sample_key", "ai_score", "ai_model",
]


def batches(rows: Iterable, size: int = BATCH_ROWS) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


# What a push may change on a ticket already present.
CONTENT_FIELDS = (
    "decision", "policy_label", "language", "channel", "automated", "content_url", "excerpt",
    "extra", "ai_score", "ai_model",
)


class TicketStaging:
    """The staging table on the current database connection (use ``for_connection``)."""

    postgres = False

    @staticmethod
    def for_connection() -> TicketStaging:
        return PostgresTicketStaging() if connection.vendor == "postgresql" else TicketStaging()

    def _execute(self, sql: str, params: Iterable | None = None) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def _fetch(self, sql: str, params: Iterable | None = None) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def create(self) -> None:
        self.drop()
        column_type = 1 if self.postgres else 2
        columns = ", ".join(f"{spec[0]} {spec[column_type]}" for spec in STAGING_COLUMNS)
        self._execute(f"CREATE TEMPORARY TABLE {STAGING} ({columns})")
        ids = "bigint" if self.postgres else "integer"
        self._execute(
            f"CREATE TEMPORARY TABLE {AGENT_MAP} (vendor_id {ids}, external_id text, "
            f"agent_id {ids}, PRIMARY KEY (vendor_id, external_id))"
        )

    def drop(self) -> None:
        self._execute(f"DROP TABLE IF EXISTS {STAGING}")
        self._execute(f"DROP TABLE IF EXISTS {AGENT_MAP}")

    def add(self, rows: Iterable[StagedTicket | TicketIdentity]) -> None:
        """Stage checked rows, a batch at a time."""
        placeholders = ", ".join(["%s"] * len(STAGING_COLUMNS))
        sql = f"INSERT INTO {STAGING} VALUES ({placeholders})"
        with connection.cursor() as cursor:
            for batch in batches(rows):
                cursor.executemany(sql, [self._sqlite_values(row) for row in batch])

    @staticmethod
    def _sqlite_values(row: StagedTicket | TicketIdentity) -> tuple:
        if isinstance(row, TicketIdentity):
            return (*row, *([None] * (len(STAGING_COLUMNS) - len(row))))
        return (
            *row[:7],
            connection.ops.adapt_datetimefield_value(row.handled_at),
            *row[8:12],
            int(row.automated),
            row.content_url,
            row.excerpt,
            json.dumps(row.extra) if row.extra else "{}",
            row.sample_key,
            row.ai_score,  # None -> NULL
            row.ai_model,
        )

    def add_agent_map(self, agents: dict[tuple[int, str], int]) -> None:
        with connection.cursor() as cursor:
            for batch in batches(agents.items()):
                cursor.executemany(
                    f"INSERT INTO {AGENT_MAP} VALUES (%s, %s, %s)",
                    [(vendor_id, external_id, pk) for (vendor_id, external_id), pk in batch],
                )

    def new_agents(self) -> dict[tuple[int, str], int]:
        """The staged good rows' agents not in the agent map: (vendor id, external id) ->
        the site of the first row naming the agent, where it is created."""
        firsts = (
            f"SELECT s.vendor_id, s.agent, MIN(s.row_no) AS first_row FROM {STAGING} s "
            f"LEFT JOIN {AGENT_MAP} m ON m.vendor_id = s.vendor_id AND m.external_id = s.agent "
            f"WHERE s.vendor_id IS NOT NULL AND m.agent_id IS NULL GROUP BY s.vendor_id, s.agent"
        )
        rows = self._fetch(
            f"SELECT s.vendor_id, s.agent, s.site_id FROM {STAGING} s "
            f"JOIN ({firsts}) f ON f.first_row = s.row_no"
        )
        return {(vendor_id, agent): site_id for vendor_id, agent, site_id in rows}

    def duplicates(self, limit: int) -> tuple[list[RowError], int, int]:
        """Rows whose (source, external_id) appeared on an earlier row of the file:
        (the first ``limit`` as errors, how many in all, how many of those rows had no
        other problem, i.e. are newly bad)."""
        later_rows = (
            f"FROM {STAGING} s JOIN (SELECT source, external_id, MIN(row_no) AS first_row "
            f"FROM {STAGING} GROUP BY source, external_id HAVING COUNT(*) > 1) d "
            f"ON d.source = s.source AND d.external_id = s.external_id "
            f"WHERE s.row_no > d.first_row"
        )
        # Bad rows were staged with only their identity, so vendor_id IS NULL marks them.
        total, newly_bad = self._fetch(
            f"SELECT COUNT(*), COUNT(s.vendor_id) {later_rows}"
        )[0]
        if not total:
            return [], 0, 0
        rows = self._fetch(
            f"SELECT s.row_no, s.source, s.external_id, d.first_row {later_rows} "
            f"ORDER BY s.row_no LIMIT %s",
            [limit],
        )
        errors = [
            RowError(
                row, "external_id",
                f"{shown(external_id)}{f' (source {source!r})' if source else ''} "
                f"already appears in row {first}",
            )
            for row, source, external_id, first in rows
        ]
        return errors, int(total), int(newly_bad)

    def insert_tickets(self, imported_at) -> int:
        """Insert every staged ticket not already present; returns how many were new."""
        quote = connection.ops.quote_name
        meta = Ticket._meta
        columns = [meta.get_field(name).column for name in COPIED_FIELDS]
        target = ", ".join(quote(c) for c in [*columns, "agent_id", "imported_at"])
        chosen = ", ".join(f"s.{name}" for name in COPIED_FIELDS)
        unique = ", ".join(quote(meta.get_field(name).column) for name in ("source", "external_id"))
        return self._execute(
            f"INSERT INTO {quote(meta.db_table)} ({target}) "
            f"SELECT {chosen}, m.agent_id, %s FROM {STAGING} s "
            f"LEFT JOIN {AGENT_MAP} m ON m.vendor_id = s.vendor_id AND m.external_id = s.agent "
            # WHERE TRUE: SQLite needs a WHERE before ON CONFLICT to parse INSERT … SELECT.
            # In time order, the (…, handled_at) indexes grow at their ends instead of
            # being written all over, which keeps a million-row insert in cache.
            f"WHERE TRUE ORDER BY s.handled_at ON CONFLICT ({unique}) DO NOTHING",
            [connection.ops.adapt_datetimefield_value(imported_at)],
        )

    # Fields compared when a staged ticket is already present (a push; see tickets.pushing):
    # its placement, which a push may not change, and what a push may.
    COMPARED_FIELDS = ["vendor_id", "site_id", "workflow_id", "handled_at", *CONTENT_FIELDS]

    def analyse(self) -> None:
        """Give the planner the staged rows' statistics (a temporary table has none), so a
        join with the ticket table goes through its unique index. PostgreSQL only."""

    def present_and_different(self) -> list[tuple[int, int, dict]]:
        """(row, ticket id, staged values) of the good staged rows whose ticket (same source
        and external id) is already present with any compared value or its agent different:
        the candidates for an update. The values are ``COMPARED_FIELDS`` and ``agent`` (the
        agent's external id). Needs the agent map. A replay of unchanged tickets returns
        nothing."""
        quote = connection.ops.quote_name
        meta = Ticket._meta
        differs = "IS DISTINCT FROM" if self.postgres else "IS NOT"
        tests = [
            f"s.{name} {differs} t.{quote(meta.get_field(name).column)}"
            for name in self.COMPARED_FIELDS
        ]
        tests.append(f"m.agent_id {differs} t.{quote(meta.get_field('agent').column)}")
        names = [*self.COMPARED_FIELDS, "agent"]
        rows = self._fetch(
            f"SELECT s.row_no, t.id, {', '.join('s.' + name for name in names)} "
            f"FROM {STAGING} s "
            f"JOIN {quote(meta.db_table)} t ON t.{quote('source')} = s.source "
            f"AND t.{quote('external_id')} = s.external_id "
            f"LEFT JOIN {AGENT_MAP} m ON m.vendor_id = s.vendor_id AND m.external_id = s.agent "
            f"WHERE s.vendor_id IS NOT NULL AND ({' OR '.join(tests)}) ORDER BY s.row_no"
        )
        return [(row, pk, self._read_back(dict(zip(names, values, strict=True))))
                for row, pk, *values in rows]

    @staticmethod
    def _read_back(values: dict) -> dict:
        """Staged values as Python values (SQLite keeps times, flags and JSON as text)."""
        if isinstance(values["handled_at"], str):
            values["handled_at"] = dt.datetime.fromisoformat(values["handled_at"]).replace(
                tzinfo=dt.UTC)
        values["automated"] = bool(values["automated"])
        if isinstance(values["extra"], str):
            values["extra"] = json.loads(values["extra"])
        return values


class PostgresTicketStaging(TicketStaging):
    """PostgreSQL: rows arrive by COPY in CSV form, a batch per COPY."""

    postgres = True

    def _copy(self, table: str, columns: list[str], rows: Iterable[tuple]) -> None:
        sql = (
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, "
            f"FORCE_NOT_NULL ({', '.join(c for c in columns if c in TEXT_COLUMNS)}))"
        )
        with connection.cursor() as cursor:
            for batch in batches(rows):
                buffer = io.StringIO()
                # "\r\n": Python's csv module quotes a value holding any character of the
                # line terminator, and PostgreSQL reads a bare "\r" as the end of a row.
                csv.writer(buffer, lineterminator="\r\n").writerows(batch)
                buffer.seek(0)
                if hasattr(cursor.cursor, "copy_expert"):  # psycopg2
                    cursor.cursor.copy_expert(sql, buffer)
                else:  # psycopg 3
                    with cursor.cursor.copy(sql) as copy:
                        copy.write(buffer.getvalue())

    def analyse(self) -> None:
        # Only the columns the joins after it read: the row count and these are what the
        # planner needs; statistics of the excerpts and the extra JSON cost a tenth of a
        # pushed batch's time and no plan uses them.
        self._execute(f"ANALYZE {STAGING} (source, external_id, vendor_id, agent)")

    def add(self, rows: Iterable[StagedTicket | TicketIdentity]) -> None:
        self._copy(STAGING, [name for name, _, _ in STAGING_COLUMNS], map(self._csv_values, rows))

    @staticmethod
    def _csv_values(row: StagedTicket | TicketIdentity) -> tuple:
        if isinstance(row, TicketIdentity):
            return (*row, *([None] * (len(STAGING_COLUMNS) - len(row))))  # None -> NULL
        return (
            *row[:7],
            row.handled_at.isoformat(),
            *row[8:12],
            "t" if row.automated else "f",
            row.content_url,
            row.excerpt,
            json.dumps(row.extra) if row.extra else "{}",
            row.sample_key,
            row.ai_score,  # None -> NULL
            row.ai_model,
        )

    def add_agent_map(self, agents: dict[tuple[int, str], int]) -> None:
        self._copy(
            AGENT_MAP,
            ["vendor_id", "external_id", "agent_id"],
            ((vendor_id, external_id, pk) for (vendor_id, external_id), pk in agents.items()),
        )
