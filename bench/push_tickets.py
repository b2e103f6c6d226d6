"""Benchmark: the push API for tickets against the CSV import of the same rows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qa_program python bench/push_tickets.py
    python bench/push_tickets.py --rows 20000 --batch 5000 --json

Creates its own scratch database (``qa_bench_push`` on the server DATABASE_URL names; never
the database itself), migrates it and adds the program of ``bench/import_tickets.py`` (10
vendors, 40 sites, 300 workflows), writes the same kind of CSV of ``--rows`` tickets (default
100,000) over 5,000 agents, then in the same run:

* imports the file with ``tickets.importing`` (the baseline: full checks, COPY into staging,
  INSERT … ON CONFLICT into the indexed ticket table);
* empties the ticket and agent tables and pushes the same rows, read back from the file, as
  NDJSON to ``POST /api/v1/tickets/bulk/`` in batches of ``--batch`` (default 10,000, the
  most a request may carry) through Django's test client, in process: the whole request path
  (middleware, bearer-token authentication, scope check, reading, checking, staging,
  writing, the push record) without a network or a WSGI server. The bodies are built before
  the clock starts (the client's cost, not the server's);
* pushes the same batches again: a replay, every ticket already present and unchanged.

Exits 2 when DATABASE_URL is not PostgreSQL. The scratch database is dropped at the end.
Ends with ``RATIO push_vs_csv_import=…`` (push rows/s / CSV import rows/s: above 1 the push
is faster); ``--json`` prints one JSON object instead (docs/benchmarks.md, "Output").
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import _report
import import_tickets as csv_bench

ROOT = Path(__file__).resolve().parent.parent
SCRATCH_DB = "qa_bench_push"


def ndjson_batches(path: Path, batch: int) -> list[bytes]:
    """The file's rows as NDJSON bodies of ``batch`` tickets (empty cells left out, as a
    client would leave out fields it has no value for)."""
    with path.open(newline="", encoding="utf-8") as data:
        rows = [{k: v for k, v in row.items() if v} for row in csv.DictReader(data)]
    return [
        ("\n".join(json.dumps(row) for row in rows[i:i + batch]) + "\n").encode()
        for i in range(0, len(rows), batch)
    ]


def timed_push(client, bodies: list[bytes], headers: dict) -> tuple[float, dict]:
    totals = {"created": 0, "updated": 0, "unchanged": 0}
    started = time.perf_counter()
    for body in bodies:
        response = client.post("/api/v1/tickets/bulk/", body,
                               content_type="application/x-ndjson", **headers)
        if response.status_code != 200:
            sys.exit(f"push failed: HTTP {response.status_code} {response.content[:500]!r}")
        for name in totals:
            totals[name] += response.json()[name]
    return time.perf_counter() - started, totals


def empty_tickets_and_agents() -> None:
    from django.db import connection

    from tickets.models import Ticket
    from vendors.models import Agent

    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (Ticket, Agent))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--scratch-db", default=SCRATCH_DB,
                        help=f"the scratch database's name (default {SCRATCH_DB})")
    _report.add_json_flag(parser)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in {"postgres", "postgresql"}:
        print("bench/push_tickets.py needs DATABASE_URL=postgres://… (PostgreSQL's staging "
              "path is what it measures).", file=sys.stderr)
        return 2
    with _report.human_text(args.json):
        results, ratios = _run(args, url)
    _report.finish(results, ratios, headline="push_vs_csv_import", as_json=args.json)
    return 0


def _run(args: argparse.Namespace, url: str) -> tuple[dict, dict]:
    csv_bench.SCRATCH_DB = args.scratch_db  # the helpers below name the scratch database by it
    csv_bench.recreate_scratch_database(url)
    os.environ["DATABASE_URL"] = csv_bench.scratch_url(url)
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qa_program.settings")
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    try:
        import django
        from django.core.management import call_command
        from django.db import connection

        django.setup()
        from django.test import Client

        from accounts.service_accounts import create_service_account, issue_token

        call_command("migrate", verbosity=0)
        csv_bench.seed_program()
        account = create_service_account("Bench sync", "tickets:write")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(account).raw}"}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "tickets.csv"
            csv_bench.write_tickets(path, args.rows)
            size_mib = path.stat().st_size / 2**20
            bodies = ndjson_batches(path, args.batch)
            csv_seconds, _peak = csv_bench.timed_import(path, args.rows)
        empty_tickets_and_agents()
        client = Client()
        push_seconds, pushed = timed_push(client, bodies, headers)
        if pushed["created"] != args.rows:
            sys.exit(f"the push created {pushed['created']:,} tickets of {args.rows:,}")
        replay_seconds, replayed = timed_push(client, bodies, headers)
        if replayed["unchanged"] != args.rows:
            sys.exit(f"the replay left {replayed['unchanged']:,} of {args.rows:,} unchanged")
        connection.close()
    finally:
        csv_bench.recreate_scratch_database(url, drop_only=True)

    csv_rate, push_rate = args.rows / csv_seconds, args.rows / push_seconds
    replay_rate = args.rows / replay_seconds
    ndjson_mib = sum(map(len, bodies)) / 2**20
    print(f"ticket push benchmark: {args.rows:,} rows ({size_mib:,.0f} MiB CSV, "
          f"{ndjson_mib:,.0f} MiB NDJSON), batches of {args.batch:,}, PostgreSQL")
    print(f"  CSV import (import_tickets)   : {csv_seconds:7.1f} s  {csv_rate:>9,.0f} rows/s")
    print(f"  push, new tickets             : {push_seconds:7.1f} s  {push_rate:>9,.0f} rows/s")
    print(f"  push, replay (all unchanged)  : {replay_seconds:7.1f} s  "
          f"{replay_rate:>9,.0f} rows/s")
    print(f"  push / CSV import rows/s      : {push_rate / csv_rate:7.2f}")
    results = {
        "bench": "push_tickets",
        "parameters": {"rows": args.rows, "batch": args.batch, "vendors": csv_bench.VENDORS,
                       "sites": csv_bench.VENDORS * csv_bench.SITES_PER_VENDOR,
                       "workflows": csv_bench.WORKFLOWS, "agents": csv_bench.AGENTS,
                       "client": "django.test.Client, in process"},
        "csv_mib": size_mib,
        "ndjson_mib": ndjson_mib,
        "baseline": {"what": "tickets.importing of the same rows as a CSV file",
                     "s": csv_seconds},
        "csv_import_s": csv_seconds,
        "csv_import_rows_per_s": csv_rate,
        "push_s": push_seconds,
        "push_rows_per_s": push_rate,
        "replay_s": replay_seconds,
        "replay_rows_per_s": replay_rate,
    }
    ratios = {"push_vs_csv_import": push_rate / csv_rate,
              "replay_vs_csv_import": replay_rate / csv_rate}
    return results, ratios


if __name__ == "__main__":
    sys.exit(main())
