"""Checking ticket rows inside PostgreSQL, set-based: the fast road of the import and the push.

The rows arrive as text cells in a temporary table, one column per header column, each row
with its number: a CSV file by one ``COPY`` of its own bytes, a pushed batch by ``COPY`` of
its cells. One ``INSERT … SELECT`` then stages (``tickets.import_staging``) every row it can
vouch for: slugs resolved by joins with the program's reference data, lengths and words
compared, and a timestamp or a score cast only after a regular expression has shown that the
cast cannot fail. A row it cannot vouch for (a check fails, or a form that may be right but
is unusual: a time near a daylight-saving change, a non-ASCII link, an exponent) is read back
and given to ``TicketRowChecker``, which names its problems or stages it. So every message,
and every value of a row the SQL did not stage, is the row checker's; the SQL only has to
accept nothing that the checker would refuse or read differently. docs/benchmarks.md has the
measurements behind this road.

The cells of one row are what Python's ``csv`` module would read only for well-formed CSV.
``FileOutsideFastRoad`` sends a file that may be read differently (a quote inside an
unquoted value, a line holding only ``\\.``, which ends COPY's data, a cell over the csv
module's field limit, a row COPY refuses: wrong number of cells, bytes that are not UTF-8)
back to the streaming checker, which reads it exactly as before.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator

from django.db import DatabaseError, connection, transaction

from .import_report import ImportReport
from .import_rows import AUTOMATED_WORDS, EARLIEST_HANDLED_AT, ProgramReference, TicketRowChecker
from .import_staging import STAGING, TicketStaging, batches
from .population import SAMPLE_KEY_SQL

RAW = "audits_ticket_import_raw"
VENDOR_REF, SITE_REF, WORKFLOW_REF = (
    "audits_ticket_import_vendors",
    "audits_ticket_import_sites",
    "audits_ticket_import_workflows",
)
# A quote with ordinary characters on both sides: never in well-formed CSV (inside a quoted
# value quotes come in pairs), and read differently by COPY and by Python's lenient csv.
STRAY_QUOTE = re.compile(rb'[^,\r\n"]"[^,\r\n"]')
# A line holding only \. ends COPY's data.
END_OF_COPY = re.compile(rb"[\r\n]\\\.[\r\n]")
CHUNK = 1 << 20
# Columns whose cell must match a slug, a word or a pattern without spaces around it.
SHAPED = {
    "vendor",
    "site",
    "workflow",
    "handled_at",
    "automated",
    "content_url",
    "ai_score",
    "excerpt",
}
# Zone name -> whether PostgreSQL knows it (tickets.import_sql.RawTicketRows._known_zones).
_ZONES_ASKED: dict[str, bool] = {}
# The ai_model control characters of tickets.import_rows.CONTROL, NUL aside (no text has it).
CONTROL_CLASS = "[\x01-\x1f\x7f-\x9f]"
# A score the checker reads as the same float: plain decimals, no exponent, short enough
# that the cast cannot overflow.
PLAIN_DECIMAL = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$"
# ISO 8601 as fromisoformat reads it and PostgreSQL casts it the same way, every field in
# its range: a date from 2000, T or space, hours and minutes, optional seconds with up to 6
# decimals, optional Z or an offset of at most ±14:59 (PostgreSQL stops at 15:59).
ISO_MOMENT = (
    r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])?$"
)
# tickets.import_rows.HTTP_URL for printable ASCII: a host of anything but space / ? # @.
HTTP_URL_ASCII = r'^https?://[!"$-.0->A-~]+([/?#][!-~]*)?$'


class FileOutsideFastRoad(Exception):
    """The file may be read differently by COPY than by Python's csv module: check it by
    the streaming road instead (nothing of this attempt is kept)."""


class GuardedBytes:
    """A binary stream as COPY reads it, watched for what COPY and csv read differently."""

    def __init__(self, stream):
        self.stream = stream
        self.tail = b"\n"  # the start of the file is the start of a line
        self.outside = False

    def read(self, size: int = CHUNK) -> bytes:
        chunk = self.stream.read(size if size and size > 0 else CHUNK)
        seen = self.tail + (chunk or b"\n")  # at the end, the last line ends
        if STRAY_QUOTE.search(seen) or END_OF_COPY.search(seen):
            self.outside = True
        self.tail = seen[-3:]
        return chunk

    readline = read


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


class RawTicketRows:
    """The temporary table of raw cells, and the statement that stages what it can vouch for.

    ``width`` columns ``c0…``; ``row_no`` counts from 2 (the header is row 1) unless given.
    """

    def __init__(
        self, checker: TicketRowChecker, reference: ProgramReference, staging: TicketStaging
    ):
        self.checker, self.reference, self.staging = checker, reference, staging
        self.width = checker.width
        self.columns = [f"c{i}" for i in range(self.width)]

    # -- filling -----------------------------------------------------------------------

    def create(self) -> None:
        """Create the tables (inside the import's transaction)."""
        self.drop()
        # Memory for the transaction's sorts and hashes over a file's rows (finding the
        # duplicates, the rows not staged, the insert in time order), which at the default
        # 4 MB spill to disk.
        self._execute("SET LOCAL work_mem = '64MB'")
        cells = ", ".join(f"{c} text" for c in self.columns)
        self._execute(
            f"CREATE TEMPORARY TABLE {RAW} (row_no bigint GENERATED BY DEFAULT AS IDENTITY "
            f"(START WITH 2), {cells})"
        )
        self._create_reference()

    def drop(self) -> None:
        for table in (RAW, VENDOR_REF, SITE_REF, WORKFLOW_REF):
            self._execute(f"DROP TABLE IF EXISTS {table}")

    def copy_file(self, stream) -> int:
        """COPY a CSV file (from its first byte: the header line is skipped); returns the
        rows read. Raises FileOutsideFastRoad when COPY refuses it or it is not plain."""
        guarded = GuardedBytes(stream)
        sql = (
            f"COPY {RAW} ({', '.join(self.columns)}) FROM STDIN WITH (FORMAT csv, "
            f"HEADER true, ENCODING 'UTF8', FORCE_NOT_NULL ({', '.join(self.columns)}))"
        )
        try:
            with connection.cursor() as cursor:
                rows = _copy(cursor, sql, guarded)
        except connection.Database.DataError as refused:
            raise FileOutsideFastRoad(str(refused)) from refused
        if guarded.outside:
            raise FileOutsideFastRoad("a stray quote or an end-of-data line")
        return rows

    def copy_cells(self, rows: Iterable[tuple[int, list[str]]]) -> None:
        """COPY rows given as (row number, cells), e.g. a pushed batch."""
        columns = ["row_no", *self.columns]
        sql = (
            f"COPY {RAW} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, "
            f"FORCE_NOT_NULL ({', '.join(self.columns)}))"
        )
        with connection.cursor() as cursor:
            for batch in batches(rows):
                buffer = io.StringIO()
                # "\r\n": a value holding a carriage return gets quoted (see import_staging).
                csv.writer(buffer, lineterminator="\r\n").writerows(
                    [row, *cells] for row, cells in batch
                )
                buffer.seek(0)
                _copy(cursor, sql, buffer)

    def _create_reference(self) -> None:
        """The program's vendors, sites (with a time zone PostgreSQL knows, else NULL) and
        workflows, as the checker sees them, in small temporary tables."""
        ref = self.reference
        self._execute(f"CREATE TEMPORARY TABLE {VENDOR_REF} (slug text PRIMARY KEY, id bigint)")
        self._execute(
            f"CREATE TEMPORARY TABLE {SITE_REF} (vendor_id bigint, slug text, "
            "id bigint, zone text, PRIMARY KEY (vendor_id, slug))"
        )
        self._execute(f"CREATE TEMPORARY TABLE {WORKFLOW_REF} (slug text PRIMARY KEY, id bigint)")
        known = self._known_zones({zone.key for _, zone in ref.sites.values()})
        with connection.cursor() as cursor:
            # A slug with spaces around it is left out: the checker, which compares trimmed
            # cells, can never match it.
            for table, rows in (
                (VENDOR_REF, [(slug, pk) for slug, pk in ref.vendors.items() if _bare(slug)]),
                (
                    SITE_REF,
                    [
                        (vendor_id, slug, pk, zone.key if zone.key in known else None)
                        for (vendor_id, slug), (pk, zone) in ref.sites.items()
                        if _bare(slug)
                    ],
                ),
                (WORKFLOW_REF, [(slug, pk) for slug, pk in ref.workflows.items() if _bare(slug)]),
            ):
                if rows:
                    # One statement per table (a program has hundreds of workflows; one
                    # INSERT per row was a round trip each, on every pushed batch).
                    arrays = ", ".join(["%s"] * len(rows[0]))
                    cursor.execute(f"INSERT INTO {table} SELECT * FROM unnest({arrays})",
                                   [list(column) for column in zip(*rows, strict=True)])
            for table in (VENDOR_REF, SITE_REF, WORKFLOW_REF):
                cursor.execute(f"ANALYZE {table}")

    def _known_zones(self, zones: set[str]) -> set[str]:
        """The zone names PostgreSQL can convert with (its time zone data may differ from
        Python's), asked once per process and zone."""
        for zone in zones - _ZONES_ASKED.keys():
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SELECT now() AT TIME ZONE %s", [zone])
                _ZONES_ASKED[zone] = True
            except DatabaseError:
                _ZONES_ASKED[zone] = False
        return {zone for zone in zones if _ZONES_ASKED[zone]}

    # -- checking ----------------------------------------------------------------------

    def stage_plain_rows(self) -> int:
        """Stage every row the SQL can vouch for; returns how many."""
        sql, params = self._staging_sql()
        # Compiling this many expressions costs more than running them on a million rows.
        self._execute("SET LOCAL jit = off")
        return self._execute(sql, params)

    def rows_to_check(self, csv_file: bool = False) -> Iterator[tuple[int, list[str]]]:
        """(row, cells) of the rows not staged, in row order, a batch at a time. For a
        ``csv_file``, a cell Python's csv module would refuse raises FileOutsideFastRoad."""
        select = (
            f"SELECT r.row_no, {', '.join('r.' + c for c in self.columns)} FROM {RAW} r "
            f"WHERE NOT EXISTS (SELECT 1 FROM {STAGING} s WHERE s.row_no = r.row_no) "
            "ORDER BY r.row_no"
        )
        limit = csv.field_size_limit()
        # A named (server-side) cursor: a file of bad rows is not held in memory.
        with connection.chunked_cursor() as cursor:
            cursor.execute(select)
            while rows := cursor.fetchmany(2000):
                for row, *cells in rows:
                    if csv_file and any(len(cell) > limit for cell in cells):
                        raise FileOutsideFastRoad("a cell over the csv module's field limit")
                    yield row, cells

    def check_the_rest(
        self, report: ImportReport, progress: Callable[[int], None] | None = None
    ) -> None:
        """Give the rows not staged to the row checker: their problems go to ``report``,
        good ones (an unusual form) and bad ones' identities to the staging table.
        ``progress`` hears how many it has checked, every ``PROGRESS_ROWS``."""
        rows = self.rows_to_check(csv_file=True)
        self.staging.add(_checked(rows, self.checker, report, progress))

    def _staging_sql(self) -> tuple[str, dict]:
        checker = self.checker
        at = {name: (f"r.c{i}" if i < self.width else "''") for name, i in checker.at.items()}
        present = [name for name in checker.at if at[name] != "''"]
        limits = {name: limit for name, _, limit in checker.limits}
        limits["source"] = checker.source_limit
        extra = [(name, f"r.c{i}") for name, i in checker.extra_columns]
        if extra:
            pairs = ", ".join(f"%(x{n})s, NULLIF({cell}, '')" for n, (_, cell) in enumerate(extra))
            extra_sql = f"jsonb_strip_nulls(jsonb_build_object({pairs}))"
        else:
            extra_sql = "'{}'::jsonb"
        naive_at = "v.handled_at::timestamp"
        local = f"({naive_at} AT TIME ZONE sr.zone)"
        day = "substr(v.handled_at, 9, 2)"
        # In evaluation order: a condition may cast what the ones before it checked.
        plain = [
            # Python's csv refuses a cell over its limit; a row of more bytes than that may
            # still have no such cell, which the row checker's road decides.
            " + ".join(f"octet_length(v.{c})" for c in self.columns)
            + f" <= {csv.field_size_limit()}",
            # A value the checker would trim (its first or last character a space, a control
            # or not ASCII) is left to the checker: str.strip() is what it trims. Slugs,
            # times, words, links and scores need no test: the joins and patterns below
            # refuse a padded one.
            *(
                f"(v.{name} = '' OR (ascii(v.{name}) BETWEEN 33 AND 126 AND "
                f"ascii(right(v.{name}, 1)) BETWEEN 33 AND 126))"
                for name in present
                if name not in SHAPED
            ),
            "v.external_id <> ''",
            "v.agent <> ''",
            "v.decision <> ''",
            *(
                f"(octet_length(v.{name}) <= {limit} OR char_length(v.{name}) <= {limit})"
                for name, limit in limits.items()
                if name in present or name == "source"
            ),
            "vr.id IS NOT NULL",
            "sr.id IS NOT NULL",
            "wr.id IS NOT NULL",
            # ASCII only, so PostgreSQL's lower() is Python's.
            "octet_length(v.automated) = char_length(v.automated)",
            "lower(v.automated) = ANY(%(automated_words)s)",
            # HTTP_URL's shape in printable ASCII: a host without / ? # @, then anything.
            f"(v.content_url = '' OR v.content_url ~* '{HTTP_URL_ASCII}')",
            f"v.ai_model !~ '{CONTROL_CLASS}'",
            "(v.ai_score = '' OR (v.ai_model <> '' AND octet_length(v.ai_score) <= 30 AND "
            f"v.ai_score ~ '{PLAIN_DECIMAL}'))",
            "(v.ai_score = '' OR v.ai_score::float8 BETWEEN 0 AND 1)",
            # handled_at: its shape and every field's range in one expression, so the casts
            # cannot fail; then the year, and the last days of a month.
            f"v.handled_at ~ '{ISO_MOMENT}'",
            "left(v.handled_at, 4)::int <= %(last_year)s",
            f"({day} <= '28' OR {day}::int <= {_DAYS_IN_MONTH})",
            # A naive time: the site's zone known here and no clock change within a day
            # either side (the checker decides the hour that happens twice or never).
            "(v.aware OR sr.zone IS NOT NULL)",
            f"(v.aware OR ("
            f"({naive_at} - interval '1 day') AT TIME ZONE sr.zone = {local} - interval '1 day'"
            f" AND ({naive_at} + interval '1 day') AT TIME ZONE sr.zone = "
            f"{local} + interval '1 day'))",
        ]
        moment = f"CASE WHEN v.aware THEN v.handled_at::timestamptz ELSE {local} END"
        # Nested, so each condition is evaluated only once the ones before it held (AND
        # promises no order).
        vouched = moment
        for condition in reversed(plain):
            vouched = f"CASE WHEN {condition} THEN {vouched} END"
        key = SAMPLE_KEY_SQL.format(source="x.source", external_id="x.external_id")
        values = ", ".join(
            f"{at[name]} AS {name}" for name in checker.at if name not in ("source", "excerpt")
        )
        handled_at = at["handled_at"]
        # OFFSET 0 keeps each derived table a step of its own: each value computed once,
        # instead of each reference repeating the expression.
        sql = f"""
            INSERT INTO {STAGING} (row_no, source, external_id, vendor_id, site_id, agent,
                workflow_id, handled_at, decision, policy_label, language, channel, automated,
                content_url, excerpt, extra, sample_key, ai_score, ai_model)
            SELECT x.row_no, x.source, x.external_id, x.vendor_id, x.site_id, x.agent,
                x.workflow_id, x.at, x.decision, x.policy, x.language, x.channel,
                lower(x.automated) = ANY(%(automated_true)s), x.content_url, x.excerpt,
                x.extra, {key},
                CASE WHEN x.ai_score = '' THEN NULL ELSE x.ai_score::float8 END,
                CASE WHEN x.ai_score = '' THEN '' ELSE x.ai_model END
            FROM (
                SELECT v.*, vr.id AS vendor_id, sr.id AS site_id, wr.id AS workflow_id,
                    {vouched} AS at
                FROM (
                    SELECT r.*,
                        COALESCE(NULLIF({at["source"]}, ''), %(default_source)s) AS source,
                        {at["excerpt"]} AS excerpt, {extra_sql} AS extra, {values},
                        (right({handled_at}, 1) = 'Z' OR
                         substr({handled_at}, length({handled_at}) - 5, 1) IN ('+', '-'))
                            AS aware
                    FROM {RAW} r OFFSET 0
                ) v
                LEFT JOIN {VENDOR_REF} vr ON vr.slug = v.vendor
                LEFT JOIN {SITE_REF} sr ON sr.vendor_id = vr.id AND sr.slug = v.site
                LEFT JOIN {WORKFLOW_REF} wr ON wr.slug = v.workflow
                OFFSET 0
            ) x
            WHERE x.at BETWEEN %(earliest)s AND %(latest)s
        """
        params = {
            "default_source": checker.default_source,
            "automated_words": list(AUTOMATED_WORDS),
            "automated_true": [word for word, value in AUTOMATED_WORDS.items() if value],
            "last_year": checker.latest_handled_at.year,
            "earliest": EARLIEST_HANDLED_AT,
            "latest": checker.latest_handled_at,
            **{f"x{n}": name for n, (name, _) in enumerate(extra)},
        }
        return sql, params

    def _execute(self, sql: str, params=None) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount


# The last day of the month of the timestamp at v.handled_at (its year and month checked).
_YEAR, _MONTH = "substr(v.handled_at, 1, 4)::int", "substr(v.handled_at, 6, 2)::int"
_DAYS_IN_MONTH = (
    f"CASE WHEN {_MONTH} IN (4, 6, 9, 11) THEN 30 WHEN {_MONTH} <> 2 THEN 31 "
    f"WHEN mod({_YEAR}, 4) = 0 AND (mod({_YEAR}, 100) <> 0 OR mod({_YEAR}, 400) = 0) "
    "THEN 29 ELSE 28 END"
)


def _bare(slug: str) -> bool:
    return slug == slug.strip()


def _copy(cursor, sql: str, data) -> int:
    raw = cursor.cursor
    if hasattr(raw, "copy_expert"):  # psycopg2
        raw.copy_expert(sql, data, size=CHUNK)
        return raw.rowcount
    with raw.copy(sql) as copy:  # psycopg 3
        while chunk := data.read(CHUNK):
            copy.write(chunk)
    return raw.rowcount


PROGRESS_ROWS = 2_000  # rows the row checker checks between two progress reports


def _checked(rows, checker: TicketRowChecker, report: ImportReport, progress=None):
    for n, (row, cells) in enumerate(rows, 1):
        if progress is not None and n % PROGRESS_ROWS == 0:
            progress(n)
        errors, staged = checker.check(row, cells)
        report.add_errors(errors)
        if staged is not None:
            yield staged
