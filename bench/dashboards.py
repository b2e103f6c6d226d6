"""Benchmark: scorecard, trend, gaps and overview pages over 1,000,000 audits of 10,000,000
tickets, and the scorecard rollup per 1,000 submitted audits.

PostgreSQL only. Creates a scratch database (qa_bench_dash) on the server in DATABASE_URL,
migrates it and loads, in SQL (bench/_dashboard_data.py, with bench/audit_pages.py's
index-dropping loader): 10 vendors, 40 sites, 5,000 agents, 300 workflows, 10,000,000
tickets over the 13 full weeks before this one, 13 weekly runs stratified by vendor ×
workflow (~39,000 strata, unequal allocation) and 1,000,000 completed audits (~1 % more
still open). Then, in the same process and run:

  rebuild     rollups.writer.rebuild_rollups() once (the cells every page reads)
  baseline    a hello-world view defined here, logged in as the program manager (session and
              user loaded, as on the measured pages): the ratio's denominator; /healthz too
  pages       overview, vendor scorecard (vendor, drilled to a site and an agent), trends,
              gaps, through Django's test Client as the program manager, each --requests
              times after --warm-ups; p50/p95 in ms, queries, SQL ms, p50 / baseline p50.
              A page that does not answer 200 prints "page not ready" instead of a time.
  rollup      --submit open audits scored through audits.lifecycle.submit_audit, each
              refreshing its cells on commit as in production (Celery eager: in-process):
              the refresh time summed, per 1,000 audits; then one batched refresh_rollups()
              of the same ids for comparison.

With --explain, the slowest query of each page over 100 ms p50 is shown with EXPLAIN
(ANALYZE, BUFFERS). The scratch database is dropped at the end (--keep keeps it; --reuse
measures a kept one without loading it again). Ends with ``RATIO overview_vs_hello=…`` (the
overview's p50 / baseline p50); ``--json`` prints one JSON object instead
(docs/benchmarks.md, "Output").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/dashboards.py
    DATABASE_URL=… python bench/dashboards.py --tickets 200000 --audits 20000   # a quick check
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import statistics
import sys
import time
import warnings
from pathlib import Path

import _report

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = "qa_bench_dash"
SLOW_MS = 100.0  # the bar: every dashboard page "well under 100 ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000_000)
    parser.add_argument("--audits", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warm-ups", type=int, default=3)
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="seconds per page after which timing stops (at least 5 requests)",
    )
    parser.add_argument("--submit", type=int, default=1_000, help="audits submitted")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN slow pages' worst SQL")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure a kept scratch database without loading (implies --keep)",
    )
    _report.add_json_flag(parser)
    args = parser.parse_args()
    url = _report.postgres_url("dashboards.py")
    if url is None:
        return 2
    with _report.human_text(args.json):
        results, ratios = _run(args, url)
    _report.finish(results, ratios, headline="overview_vs_hello", as_json=args.json)
    return 0


def _run(args: argparse.Namespace, url: str) -> tuple[dict, dict]:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import audit_pages  # the loader helpers and the logged-in hello-world baseline

    if not args.reuse:
        audit_pages._admin(url, f"DROP DATABASE IF EXISTS {SCRATCH}", f"CREATE DATABASE {SCRATCH}")
    os.environ.update(_report.scratch_environment(url, SCRATCH))
    os.environ.pop("REDIS_URL", None)  # Celery eager: the on-commit refresh runs in-process
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic
    try:
        import django

        django.setup()
        import _dashboard_data as data
        from django.conf import settings
        from django.core.management import call_command
        from django.test.utils import setup_test_environment

        setup_test_environment()
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        audit_pages._add_baseline_view(settings)
        call_command("migrate", verbosity=0)
        dataset = {"build_s": None}  # None: --reuse measured a kept database
        if args.reuse:
            world = _existing_world()
        else:
            started = time.perf_counter()
            world = data.load(args.tickets, args.audits)
            dataset["build_s"] = time.perf_counter() - started
            print(f"dataset built in {dataset['build_s']:.0f} s")
        dataset["postgresql"] = audit_pages._scalar("SHOW server_version")
        dataset["summary"] = data.summary()
        print(f"PostgreSQL {dataset['postgresql']}: {dataset['summary']}")
        rebuild = _rebuild()
        pages = _pages(world, args)
        rollup = _rollup(args.submit)
    finally:
        from django.db import connections

        connections.close_all()
        if not (args.keep or args.reuse):
            audit_pages._admin(url, f"DROP DATABASE IF EXISTS {SCRATCH}")
    base = pages["baseline_hello"]["p50_ms"]
    results = {
        "bench": "dashboards",
        "parameters": {
            name: getattr(args, name)
            for name in ("tickets", "audits", "requests", "warm_ups", "budget", "submit", "reuse")
        },
        "dataset": dataset,
        "baseline": {"what": "a logged-in hello-world view", "p50_ms": base},
        "rebuild": rebuild,
        "pages": pages,
        "rollup": rollup,
    }
    ratios = {
        f"{name}_vs_hello": page["p50_ms"] / base if "p50_ms" in page else None
        for name, page in pages.items()
        if name != "baseline_hello"
    }
    return results, ratios


def _existing_world() -> dict:
    from accounts.models import User
    from sampling.models import SampleRun

    first = SampleRun.objects.order_by("window_start").values_list("window_start", flat=True)[0]
    return {"manager": User.objects.get(email="manager@bench.example"), "start": first.date()}


def _rebuild() -> dict:
    from rollups.writer import rebuild_rollups

    started = time.perf_counter()
    cells = rebuild_rollups()
    seconds = time.perf_counter() - started
    for table in (
        "scorecards_auditcell",
        "scorecards_sitecell",
        "scorecards_vendorcell",
        "scorecards_stratumtotal",
        "scorecards_weeksums",
        "scorecards_auditorday",
        "scorecards_finalisedday",
    ):
        _analyze(table)  # fresh statistics, as autovacuum would leave them
    print(f"rebuild_rollups: {cells:,} cells in {seconds:.1f} s")
    return {"cells": cells, "s": seconds}


def _analyze(table: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")


def _page_list(world: dict) -> list[tuple[str, str]]:
    day = world["start"] + dt.timedelta(weeks=10, days=2)  # a Wednesday in the 11th week
    month = f"period=month&date={day.isoformat()}"
    quarter = f"period=quarter&date={day.isoformat()}"
    return [
        ("overview", f"/scorecards/?{month}"),
        ("overview (default period)", "/scorecards/"),
        ("home /", "/"),
        ("scorecard vendor", f"/scorecards/vendors/vendor-0/?{month}"),
        ("scorecard → site", f"/scorecards/vendors/vendor-0/?{month}&site=site-1"),
        (
            "scorecard → agent",
            f"/scorecards/vendors/vendor-0/?{month}&site=site-1&agent=site-1-agent-7",
        ),
        ("scorecard vendor, quarter", f"/scorecards/vendors/vendor-0/?{quarter}"),
        ("trends vendor", f"/scorecards/trends/?vendor=vendor-0&{quarter}"),
        ("trends vendor (default)", "/scorecards/trends/?vendor=vendor-0"),
        ("trends all vendors", f"/scorecards/trends/?{quarter}"),
        ("gaps", f"/scorecards/gaps/?{month}"),
        ("gaps vendor", f"/scorecards/gaps/?vendor=vendor-3&{month}"),
    ]


def _pages(world: dict, args) -> dict:
    from django.test import Client

    manager = Client()
    manager.force_login(world["manager"])
    pages = [("healthz", Client(), "/healthz"), ("baseline (hello)", manager, "/bench-hello/")]
    pages += [(label, manager, url) for label, url in _page_list(world)]
    results = {label: _measure_page(client, url, args) for label, client, url in pages}
    base = results["baseline (hello)"]["p50"]
    print(f"\n{args.requests} requests after {args.warm_ups} warm-ups, as the program manager")
    print(
        f"{'page':<28} {'n':>3} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'SQL ms':>7} "
        f"{'p50/baseline':>13}"
    )
    for label, result in results.items():
        if "status" in result:
            print(f"{label:<28} {result['status']}")
            continue
        print(
            f"{label:<28} {result['requests']:3d} {result['p50']:8.1f} {result['p95']:8.1f} "
            f"{result['queries']:8d} {result['sql_ms']:7.1f} {result['p50'] / base:12.1f}×"
        )
    for label, result in results.items():
        if "status" in result or result["p50"] < SLOW_MS or label == "healthz":
            continue
        ms, sql = result["slowest"]
        print(
            f"\nslow: {label} ({result['p50']:.0f} ms p50); slowest query {ms:.0f} ms:\n"
            f"  {sql[:600]}"
        )
        if args.explain:
            _explain(sql)
    return {
        _key(label): {"label": label, "url": url, **_page_report(results[label])}
        for label, _, url in pages
    }


def _key(label: str) -> str:
    """A page's JSON key and ratio name: "scorecard → site" gives scorecard_site."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def _page_report(result: dict) -> dict:
    if "status" in result:
        return {"status": result["status"]}
    return {
        "requests": result["requests"],
        "p50_ms": result["p50"],
        "p95_ms": result["p95"],
        "queries": result["queries"],
        "sql_ms": result["sql_ms"],
        "slowest_query_ms": result["slowest"][0],
    }


def _measure_page(client, url: str, args) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    if response.status_code == 404:
        return {"status": "page not ready (404)"}
    if 300 <= response.status_code < 400:
        return {"status": f"redirects to {response.headers.get('Location')} (not timed)"}
    if response.status_code != 200:
        return {"status": f"answered {response.status_code} (not timed)"}
    for _ in range(args.warm_ups - 1):
        client.get(url)
    times = []
    for _ in range(args.requests):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if len(times) >= 5 and sum(times) > args.budget * 1000:
            break  # a very slow page: enough requests for a median
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    timed = [(float(query["time"]) * 1000, query["sql"]) for query in queries.captured_queries]
    return {
        "p50": statistics.median(times),
        "p95": statistics.quantiles(times, n=20)[18],
        "requests": len(times),
        "queries": len(timed),
        "sql_ms": sum(ms for ms, _ in timed),
        "slowest": max(timed, default=(0.0, "")),
    }


def _explain(sql: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        for (line,) in cursor.fetchall()[:40]:
            print(f"    {line}")


def _rollup(count: int) -> dict | None:
    """Score ``count`` open audits through the lifecycle; each submission's on-commit hook
    refreshes its rollups (rollups.tasks.flush_rollups, eager: at once). The refresh is timed
    by wrapping the function the task calls."""
    import rollups.writer
    from audits.lifecycle import submit_audit
    from audits.models import OPEN_STATUSES, Audit
    from demo.sampling import demo_answers
    from rollups.writer import refresh_rollups

    audits = list(
        Audit.objects.filter(status__in=OPEN_STATUSES, sampled_ticket__isnull=False)
        .select_related("ticket", "auditor")
        .order_by("pk")[:count]
    )
    if not audits:
        print("\nrollup: no open audit left to submit")
        return None
    refreshes: list[float] = []

    def timed_refresh(audit_ids):
        started = time.perf_counter()
        try:
            return refresh_rollups(audit_ids)
        finally:
            refreshes.append(time.perf_counter() - started)

    rng = random.Random(2026)
    rollups.writer.refresh_rollups = timed_refresh  # what each (eager) flush calls
    try:
        started = time.perf_counter()
        for audit in audits:
            answers = demo_answers(rng, "moderation", audit.ticket.decision, rng.random() < 0.06)
            submit_audit(audit, audit.auditor, answers=answers, time_spent_seconds=180)
        total = time.perf_counter() - started
    finally:
        rollups.writer.refresh_rollups = refresh_rollups
    ids = [audit.pk for audit in audits]
    started = time.perf_counter()
    refresh_rollups(ids)
    batched = time.perf_counter() - started
    n, per = len(audits), 1000 / len(audits)
    print(
        f"\nrollup: {n:,} audits submitted through audits.lifecycle.submit_audit, "
        f"{len(refreshes):,} on-commit refreshes"
    )
    print(f"  submissions in all          {total:8.2f} s  ({total * per:.2f} s per 1,000)")
    print(
        f"  of which cell refreshes     {sum(refreshes):8.2f} s  "
        f"({sum(refreshes) * per:.2f} s per 1,000; p50 {statistics.median(refreshes) * 1000:.1f}"
        f" ms, max {max(refreshes) * 1000:.1f} ms per refresh)"
    )
    print(f"  one batched refresh_rollups   {batched:8.2f} s  (the same {n:,} ids at once)")
    return {
        "submitted": n,
        "refreshes": len(refreshes),
        "submissions_s": total,
        "submissions_per_1000_s": total * per,
        "refreshes_s": sum(refreshes),
        "refreshes_per_1000_s": sum(refreshes) * per,
        "refresh_p50_ms": statistics.median(refreshes) * 1000,
        "refresh_max_ms": max(refreshes) * 1000,
        "batched_refresh_s": batched,
    }


if __name__ == "__main__":
    sys.exit(main())
