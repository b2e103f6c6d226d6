"""Benchmark: ticket import against a raw PostgreSQL COPY of the same file.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qa_program python bench/import_tickets.py
    python bench/import_tickets.py --rows 200000

Creates its own scratch database (``qa_bench_import`` on the server DATABASE_URL names;
never the database itself), migrates it, adds a program of 10 vendors, 40 sites and 300
workflows, generates a CSV of ``--rows`` tickets over 5,000 agents, then in the same run:

* imports a tenth of the rows and then all of them with ``tickets.importing`` (full checks,
  agents created, COPY into staging, INSERT … ON CONFLICT into the indexed ticket table),
  printing rows/s and the peak resident memory of each, so bounded memory shows as two
  similar peaks for a 10x difference in rows;
* COPYs the same file into a bare table of text columns (no checks, no indexes): the
  fastest PostgreSQL can take the bytes in, the baseline of the ratio.

Exits 2 when DATABASE_URL is not PostgreSQL. The scratch database is dropped at the end.
Ends with ``RATIO import_vs_copy=…`` (import seconds / raw COPY seconds); ``--json`` prints
one JSON object instead (docs/benchmarks.md, "Output").
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import _report

ROOT = Path(__file__).resolve().parent.parent
SCRATCH_DB = "qa_bench_import"
VENDORS, SITES_PER_VENDOR, WORKFLOWS, AGENTS = 10, 4, 300, 5000
TIMEZONES = ["Asia/Manila", "America/Bogota", "Europe/Lisbon", "Africa/Nairobi"]
COLUMNS = [
    "external_id",
    "vendor",
    "site",
    "agent",
    "workflow",
    "handled_at",
    "decision",
    "policy",
    "language",
    "channel",
    "automated",
    "content_url",
    "excerpt",
]


def scratch_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + SCRATCH_DB))


def recreate_scratch_database(url: str, drop_only: bool = False) -> None:
    import psycopg2

    server = psycopg2.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
        if not drop_only:
            cursor.execute(f"CREATE DATABASE {SCRATCH_DB}")
    server.close()


def write_tickets(path: Path, rows: int, first: int = 0) -> None:
    """A realistic file: skewed vendors, offsets and naive local times, some excerpts."""
    rng = random.Random(rows)
    vendor_weights = [2 ** -(v / 3) for v in range(VENDORS)]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for i in range(first, first + rows):
            v = rng.choices(range(VENDORS), vendor_weights)[0]
            s = rng.randrange(SITES_PER_VENDOR)
            day, minute = rng.randrange(1, 28), rng.randrange(24 * 60)
            second = rng.randrange(60)
            stamp = f"2026-02-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:{second:02d}"
            writer.writerow(
                [
                    f"BENCH-{i:09d}",
                    f"vendor-{v}",
                    f"site-{s}",
                    f"agent-{rng.randrange(AGENTS // VENDORS)}",
                    f"workflow-{rng.randrange(WORKFLOWS)}",
                    stamp + ("Z" if i % 4 else ""),  # a quarter naive, read in the site's zone
                    rng.choice(["remove", "approve", "escalate", "label"]),
                    "hate_speech",
                    "en",
                    rng.choice(["chat", "email", "queue"]),
                    rng.choice(["manual", "automated"]),
                    f"https://content.example.com/item/{i}" if i % 2 else "",
                    ""
                    if i % 3
                    else f"Reported item {i}: text quoted for the auditor, with a comma.",
                ]
            )


def peak_rss_reset() -> None:
    """Restart the kernel's peak-RSS counter (Linux), so each phase reports its own peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed_program() -> None:
    from vendors.models import Site, Vendor, Workflow

    for v in range(VENDORS):
        vendor = Vendor.objects.create(name=f"Vendor {v}", slug=f"vendor-{v}")
        for s in range(SITES_PER_VENDOR):
            Site.objects.create(
                vendor=vendor,
                name=f"Site {v}.{s}",
                slug=f"site-{s}",
                country="PH",
                timezone=TIMEZONES[s],
            )
    Workflow.objects.bulk_create(
        Workflow(name=f"Workflow {w}", slug=f"workflow-{w}") for w in range(WORKFLOWS)
    )


def timed_import(path: Path, rows: int) -> tuple[float, float]:
    from tickets.importing import import_tickets_from_path

    peak_rss_reset()
    started = time.perf_counter()
    report = import_tickets_from_path(str(path))
    seconds = time.perf_counter() - started
    if not report.ok or report.created != rows:
        sys.exit(f"import failed: {report.lines()[:5]}")
    return seconds, peak_rss_mib()


def timed_raw_copy(path: Path) -> float:
    from django.db import connection

    columns = ", ".join(f"{name} text" for name in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_bare_tickets ({columns})")
        started = time.perf_counter()
        with path.open("r", encoding="utf-8", newline="") as data:
            cursor.cursor.copy_expert(
                "COPY bench_bare_tickets FROM STDIN WITH (FORMAT csv, HEADER true)", data
            )
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--scratch-db",
        default=SCRATCH_DB,
        help=f"the scratch database's name (default {SCRATCH_DB})",
    )
    _report.add_json_flag(parser)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in {"postgres", "postgresql"}:
        print(
            "bench/import_tickets.py needs DATABASE_URL=postgres://… (it compares with COPY).",
            file=sys.stderr,
        )
        return 2
    with _report.human_text(args.json):
        results, ratios = _run(args, url)
    _report.finish(results, ratios, headline="import_vs_copy", as_json=args.json)
    return 0


def _run(args: argparse.Namespace, url: str) -> tuple[dict, dict]:
    global SCRATCH_DB
    SCRATCH_DB = args.scratch_db  # the helpers above name the scratch database by it
    recreate_scratch_database(url)
    os.environ["DATABASE_URL"] = scratch_url(url)
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qa_program.settings")
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    try:
        import django
        from django.core.management import call_command
        from django.db import connection

        django.setup()
        call_command("migrate", verbosity=0)
        seed_program()
        small_rows = max(args.rows // 10, 1)
        with tempfile.TemporaryDirectory() as tmp:
            small, large = Path(tmp) / "small.csv", Path(tmp) / "large.csv"
            write_tickets(small, small_rows, first=10 * args.rows)
            write_tickets(large, args.rows)
            size_mib = large.stat().st_size / 2**20
            small_seconds, small_peak = timed_import(small, small_rows)
            import_seconds, import_peak = timed_import(large, args.rows)
            copy_seconds = timed_raw_copy(large)
        connection.close()
    finally:
        recreate_scratch_database(url, drop_only=True)

    import_rate, copy_rate = args.rows / import_seconds, args.rows / copy_seconds
    print(f"ticket import benchmark: {args.rows:,} rows, {size_mib:,.0f} MiB CSV, PostgreSQL")
    print(f"  raw COPY into a bare table : {copy_seconds:8.1f} s  {copy_rate:>10,.0f} rows/s")
    print(
        f"  import_tickets             : {import_seconds:8.1f} s  {import_rate:>10,.0f} rows/s"
        f"  peak RSS {import_peak:,.0f} MiB"
    )
    print(
        f"  import_tickets, {small_rows:,} rows : {small_seconds:6.1f} s  "
        f"{small_rows / small_seconds:>10,.0f} rows/s  peak RSS {small_peak:,.0f} MiB"
    )
    print(f"  ratio import / raw COPY    : {import_seconds / copy_seconds:8.1f}x slower")
    print(
        f"  memory: {args.rows // small_rows}x the rows took "
        f"{import_peak / small_peak:.2f}x the peak RSS"
    )
    results = {
        "bench": "import_tickets",
        "parameters": {
            "rows": args.rows,
            "small_rows": small_rows,
            "vendors": VENDORS,
            "sites": VENDORS * SITES_PER_VENDOR,
            "workflows": WORKFLOWS,
            "agents": AGENTS,
        },
        "csv_mib": size_mib,
        "baseline": {"what": "raw COPY into a bare table of text columns", "s": copy_seconds},
        "copy_s": copy_seconds,
        "copy_rows_per_s": copy_rate,
        "import_s": import_seconds,
        "import_rows_per_s": import_rate,
        "import_peak_rss_mib": import_peak,
        "small_import_s": small_seconds,
        "small_import_rows_per_s": small_rows / small_seconds,
        "small_import_peak_rss_mib": small_peak,
    }
    ratios = {
        "import_vs_copy": import_seconds / copy_seconds,
        "peak_rss_large_vs_small": import_peak / small_peak,
    }
    return results, ratios


if __name__ == "__main__":
    sys.exit(main())
