"""Benchmark: keeping the rollups (rollups.writer) over 1,000,000 audits.

PostgreSQL only. Creates a scratch database (qa_bench_rollups) on the server in DATABASE_URL,
migrates it and loads the same program as bench/audit_pages.py, with its loader (tickets,
sampled tickets and audits in SQL with indexes dropped during the load and rebuilt exactly):
1,000,000 tickets of 500 agents at 50 sites over 10 workflows, 100 runs × 500 strata, one
audit per sampled ticket, 99 % final. Then, in the same process and run:

  baseline    SELECT count(*) FROM audits_audit (the ratio's denominator)
  rebuild     rollups.writer.rebuild_rollups(): every cell, one transaction
  refresh     rollups.writer.refresh_rollups() on 1,000 audit ids drawn at random
              (seeded) among the completed ones, as if just submitted
  continuous  2,000 open audits submitted one after another through the lifecycle, the
              rollups flushed every QA_ROLLUP_DEBOUNCE_SECONDS as the worker does: the
              flushes' time per submitted audit; 2,000 more flushed every 15 s; and 200
              more refreshed one by one (a refresh per submission, as before)

each after a warm-up, repeated (5 / 3 / 10 times), printing the median in milliseconds and
median / baseline median. Ends with ``RATIO continuous_per_audit_vs_count=…`` (the rollups'
amortised cost per continuously submitted audit / the baseline's median); ``--json`` prints
one JSON object instead (docs/benchmarks.md, "Output"). The scratch database is dropped at
the end (--keep keeps it). ``--tickets`` loads a smaller program for a quick check (fewer
submissions when there are too few open audits); ``--reuse`` keeps the freshly loaded
database as a template (``qa_bench_rollups_<tickets>``) and later runs copy it instead of
loading again (each run submits open audits, so each needs a fresh copy).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/rollups.py
    DATABASE_URL=… python bench/rollups.py --tickets 200000 --reuse   # a quick check
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import warnings
from pathlib import Path

import _report

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = "qa_bench_rollups"
BATCH = 1_000
BASELINE_REPEATS, REBUILD_REPEATS, REFRESH_BATCHES = 5, 3, 10
# Auditors submitting continuously: this many submissions through the lifecycle, flushed as the
# worker would (every QA_ROLLUP_DEBOUNCE_SECONDS), against the same number refreshed one by one.
SUBMISSIONS, ONE_BY_ONE = 2_000, 200
LONGER_DEBOUNCE = 15.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--tickets", type=int, default=1_000_000,
                        help="tickets (and audits) to load (default 1,000,000)")
    parser.add_argument("--reuse", action="store_true",
                        help="copy the loaded program kept by an earlier --reuse run "
                             "(or load it and keep it for the next)")
    _report.add_json_flag(parser)
    args = parser.parse_args()
    url = _report.postgres_url("rollups.py")
    if url is None:
        return 2
    with _report.human_text(args.json):
        results, ratios = _run(args, url)
    _report.finish(results, ratios, headline="continuous_per_audit_vs_count", as_json=args.json)
    return 0


def _run(args: argparse.Namespace, url: str) -> tuple[dict, dict]:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import audit_pages  # the 1M-audit loader: the same program as the page benchmark

    audit_pages.TICKETS = args.tickets
    template = f"{SCRATCH}_{args.tickets}"
    reused = args.reuse and _database_exists(url, template)
    audit_pages._admin(url, f"DROP DATABASE IF EXISTS {SCRATCH}",
                       f"CREATE DATABASE {SCRATCH}" + (f" TEMPLATE {template}" if reused else ""))
    os.environ.update(_report.scratch_environment(url, SCRATCH))
    os.environ.pop("REDIS_URL", None)
    warnings.filterwarnings("ignore", message="No directory at")
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        if not reused:
            audit_pages._load()
            if args.reuse:  # keep the loaded program for the next run
                connections.close_all()
                audit_pages._admin(url, f"DROP DATABASE IF EXISTS {template}",
                                   f"CREATE DATABASE {template} TEMPLATE {SCRATCH}")
        loaded = {
            "postgresql": audit_pages._scalar("SHOW server_version"),
            "audits": audit_pages._scalar("SELECT count(*) FROM audits_audit"),
            "load_s": None if reused else time.perf_counter() - started,
            "reused": reused,
        }
        how = f"copied {template}" if reused else f"loaded in {loaded['load_s']:.0f} s"
        print(f"PostgreSQL {loaded['postgresql']}; {loaded['audits']:,} audits, {how}")
        measured = _measure()
    finally:
        connections.close_all()
        if not args.keep:
            audit_pages._admin(url, f"DROP DATABASE IF EXISTS {SCRATCH}")
    base = measured["baseline_ms"]
    results = {
        "bench": "rollups",
        "parameters": {
            "tickets": args.tickets,
            "runs": audit_pages.RUNS,
            "batch": BATCH,
            "baseline_repeats": BASELINE_REPEATS,
            "rebuild_repeats": REBUILD_REPEATS,
            "refresh_batches": REFRESH_BATCHES,
            "submissions": measured["submissions"],
            "one_by_one": measured["one_by_one"],
            "seed": 2026,
        },
        "dataset": loaded,
        "baseline": {"what": "SELECT count(*) FROM audits_audit", "median_ms": base},
        **measured,
    }
    ratios = {
        "rebuild_vs_count": measured["rebuild_ms"] / base,
        "refresh_vs_count": measured["refresh_ms"] / base,
        "refresh_per_audit_vs_count": measured["refresh_per_audit_ms"] / base,
        "continuous_per_audit_vs_count": measured["continuous_per_audit_ms"] / base,
        "continuous_vs_one_by_one": (measured["continuous_per_audit_ms"]
                                     / measured["one_by_one_per_audit_ms"]),
        "longer_debounce_per_audit_vs_count": measured["longer_per_audit_ms"] / base,
    }
    return results, ratios


def _database_exists(url: str, name: str) -> bool:
    import psycopg2

    conn = psycopg2.connect(url)
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        found = cursor.fetchone() is not None
    conn.close()
    return found


def _timed(function, repeats: int) -> list[float]:
    function()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _measure() -> dict:
    from audit_pages import _scalar

    from audits.models import SCORED_STATUSES, Audit
    from rollups.models import AuditCell
    from rollups.writer import rebuild_rollups, refresh_rollups

    baseline = statistics.median(
        _timed(lambda: _scalar("SELECT count(*) FROM audits_audit"), BASELINE_REPEATS)
    )
    rebuild = statistics.median(_timed(rebuild_rollups, REBUILD_REPEATS))
    cells = AuditCell.objects.count()

    completed = list(Audit.objects.filter(status__in=SCORED_STATUSES).values_list("pk", flat=True))
    rng = random.Random(2026)
    batches = [rng.sample(completed, BATCH) for _ in range(REFRESH_BATCHES + 1)]
    before = list(
        AuditCell.objects.values_list(
            "stratum_id", "agent_id", "site_id", "week", "audited", "passed"
        )
    )
    refresh_times = []
    for index, batch in enumerate(batches):
        started = time.perf_counter()
        refresh_rollups(batch)
        if index:  # the first batch is the warm-up
            refresh_times.append((time.perf_counter() - started) * 1000)
    after = list(
        AuditCell.objects.values_list(
            "stratum_id", "agent_id", "site_id", "week", "audited", "passed"
        )
    )
    assert sorted(before) == sorted(after), "refreshing unchanged audits changed the cells"
    refresh = statistics.median(refresh_times)

    print(f"{cells:,} cells from {len(completed):,} completed audits")
    print(f"{'step':<34} {'median ms':>10} {'/ count(*)':>11}")
    for label, value in [
        ("baseline SELECT count(*) audits", baseline),
        (f"rebuild_rollups ({len(completed):,} audits)", rebuild),
        (f"refresh_rollups ({BATCH:,} audit ids)", refresh),
    ]:
        print(f"{label:<34} {value:10.1f} {value / baseline:10.1f}×")
    refresh_p95 = statistics.quantiles(refresh_times, n=20)[18]
    print(
        f"refresh per audit: {refresh / BATCH:.2f} ms; refresh p95 of {REFRESH_BATCHES} "
        f"batches: {refresh_p95:.1f} ms"
    )
    return {
        "cells": cells,
        "completed_audits": len(completed),
        "baseline_ms": baseline,
        "rebuild_ms": rebuild,
        "refresh_ms": refresh,
        "refresh_p95_ms": refresh_p95,
        "refresh_per_audit_ms": refresh / BATCH,
        **_continuously(baseline),
    }


def _continuously(baseline: float) -> dict:
    """Auditors submit open audits one after another through the lifecycle (each its own
    committed step). With a broker the step only notes its audit and a worker flushes every
    ``QA_ROLLUP_DEBOUNCE_SECONDS``; here the flushes run in the same process on that clock, so
    the cost of keeping the rollups per submitted audit is the flushes' time over the
    submissions. The same runs again with a longer debounce (``LONGER_DEBOUNCE``), to show the
    trade between the rollups' freshness and the worker's time; and the same work one by one
    (a refresh per submission, as before the batched writer) on other open audits."""
    from django.conf import settings

    from audits.lifecycle import submit_audit
    from audits.models import OPEN_STATUSES, Audit
    from demo.sampling import demo_answers
    from qa_program.celery import app
    from rollups.models import PendingRefresh
    from rollups.writer import flush_pending, refresh_rollups

    open_audits = list(
        Audit.objects.filter(status__in=OPEN_STATUSES, sampled_ticket__isnull=False)
        .select_related("ticket", "auditor").order_by("pk")[: 2 * SUBMISSIONS + ONE_BY_ONE]
    )
    # A smaller program (--tickets) has fewer open audits: fewer submissions, same split.
    submissions = min(SUBMISSIONS, len(open_audits) * SUBMISSIONS // (2 * SUBMISSIONS + ONE_BY_ONE))
    one_by_one = min(ONE_BY_ONE, len(open_audits) - 2 * submissions)
    rng = random.Random(2026)

    def submit(audit) -> None:
        answers = demo_answers(rng, "moderation", audit.ticket.decision, rng.random() < 0.06)
        submit_audit(audit, audit.auditor, answers=answers, time_spent_seconds=180)

    def flushed_every(debounce: float, audits: list) -> dict:
        submitting = flushing = 0.0
        batches = []
        last_flush = time.perf_counter()
        for audit in audits:
            started = time.perf_counter()
            submit(audit)
            submitting += time.perf_counter() - started
            if time.perf_counter() - last_flush >= debounce:
                started = time.perf_counter()
                batches.append(flush_pending())
                last_flush = time.perf_counter()
                flushing += last_flush - started
        started = time.perf_counter()
        batches.append(flush_pending())
        flushing += time.perf_counter() - started
        assert not PendingRefresh.objects.exists()
        per_audit = flushing * 1000 / len(audits)
        print(f"\n{len(audits):,} submissions through the lifecycle, flushed every "
              f"{debounce:g} s: {len(batches)} flushes of {statistics.median(batches):.0f} "
              f"audits (median)")
        submit_ms = submitting * 1000 / len(audits)
        print(f"  submitting (the steps)        {submit_ms:8.2f} ms per audit")
        print(f"  keeping the rollups, batched  {per_audit:8.2f} ms per audit "
              f"({per_audit / baseline:.2f}× count(*))")
        return {"per_audit_ms": per_audit, "flushes": len(batches),
                "median_batch": statistics.median(batches),
                "submit_per_audit_ms": submit_ms}

    app.conf.task_always_eager = False  # flush messages go to the (unread) in-memory broker
    configured = flushed_every(settings.QA_ROLLUP_DEBOUNCE_SECONDS, open_audits[:submissions])
    longer = flushed_every(LONGER_DEBOUNCE, open_audits[submissions:2 * submissions])

    single = []
    for audit in open_audits[2 * submissions:2 * submissions + one_by_one]:
        submit(audit)
        started = time.perf_counter()
        refresh_rollups([audit.pk])
        single.append((time.perf_counter() - started) * 1000)
    PendingRefresh.objects.all().delete()
    one = statistics.mean(single)
    print(f"  one refresh per submission    {one:8.2f} ms per audit ({len(single)} audits)")
    return {
        "submissions": submissions,
        "one_by_one": one_by_one,
        "debounce_s": settings.QA_ROLLUP_DEBOUNCE_SECONDS,
        "continuous_per_audit_ms": configured["per_audit_ms"],
        "continuous_flushes": configured["flushes"],
        "continuous_median_batch": configured["median_batch"],
        "submit_per_audit_ms": configured["submit_per_audit_ms"],
        "longer_debounce_s": LONGER_DEBOUNCE,
        "longer_per_audit_ms": longer["per_audit_ms"],
        "longer_median_batch": longer["median_batch"],
        "one_by_one_per_audit_ms": one,
    }


if __name__ == "__main__":
    sys.exit(main())
