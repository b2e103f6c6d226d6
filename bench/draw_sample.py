"""Benchmark: drawing a 500-stratum sample from 1,000,000 (and, with --big, 10,000,000) tickets.

PostgreSQL only. Creates a scratch database (qa_bench_draw) on the server in DATABASE_URL,
migrates it, generates the tickets in SQL (INSERT … SELECT generate_series, sample_key from
hashtextextended, masked to [0, 2^31)), and times, in the same run:

  baseline  SELECT count(*) over the plan's filtered population (the window)
  draw      sampling.drawing.draw_sample: count per stratum, allocate, select the first n_h
            of each stratum in seeded-hash order, assign them to 20 auditors and write them,
            all in one transaction (commit included), then open the assigned audits (a
            published form covers every workflow: the run_drawn subscriber's work)
  selection the in-database selection step alone (same statement, re-run read-only)

and prints seconds and draw/baseline. 500 strata = 50 sites × 10 workflows. Each timing is
the median of three runs (three plans over the same tickets, three seeds: each later draw
leaves out the tickets the earlier ones drew, as every draw does, in its anti-join).
The scratch database is dropped at the end. Ends with ``RATIO draw_vs_count=…`` at
1,000,000 tickets (measured in every run; the 10,000,000 ratios are ``…_10m`` in the JSON);
``--json`` prints one JSON object instead (docs/benchmarks.md, "Output").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/draw_sample.py [--big]
        [--scratch-db NAME]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import _report

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = "qa_bench_draw"
SITES, WORKFLOWS, AGENTS_PER_SITE, VENDORS = 50, 10, 10, 10
WINDOW_SECONDS = 7 * 86400
CHUNK = 1_000_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="also 10,000,000 tickets")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--scratch-db", default=SCRATCH, help=f"the scratch database's name (default {SCRATCH})"
    )
    _report.add_json_flag(parser)
    args = parser.parse_args()

    url = _report.postgres_url("draw_sample.py")
    if url is None:
        return 2
    with _report.human_text(args.json):
        results, ratios = _run(args, url)
    _report.finish(results, ratios, headline="draw_vs_count", as_json=args.json)
    return 0


def _run(args: argparse.Namespace, url: str) -> tuple[dict, dict]:
    admin_url, scratch = url, args.scratch_db
    scratch_url = urlunsplit(urlsplit(url)._replace(path=f"/{scratch}"))
    _recreate(admin_url, scratch)
    os.environ["DATABASE_URL"] = scratch_url
    os.environ.pop("REDIS_URL", None)  # draw in-process; the worker path is tested elsewhere
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qa_program.settings")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        world = _program()
        sizes = [1_000_000, 10_000_000] if args.big else [1_000_000]
        generated, measured = 0, []
        print(f"PostgreSQL {_server_version()}; 500 strata ({SITES} sites × {WORKFLOWS} workflows)")
        for size in sizes:
            started = time.perf_counter()
            _generate(world, generated, size)
            generated = size
            generated_s = time.perf_counter() - started
            print(f"\n{size:,} tickets generated in {generated_s:.1f} s")
            measured.append({"tickets": size, "generated_s": generated_s, **_measure(world, size)})
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _drop(admin_url, scratch)
    ratios = {}
    for result in measured:
        # The 1,000,000-ticket ratios, measured in every run, carry the plain names.
        suffix = "" if result["tickets"] == 1_000_000 else f"_{result['tickets'] // 1_000_000}m"
        ratios[f"draw_vs_count{suffix}"] = result["draw_s"] / result["baseline_s"]
        ratios[f"selection_vs_count{suffix}"] = result["selection_s"] / result["baseline_s"]
    results = {
        "bench": "draw_sample",
        "parameters": {
            "sizes": [result["tickets"] for result in measured],
            "strata": SITES * WORKFLOWS,
            "sites": SITES,
            "workflows": WORKFLOWS,
            "auditors": 20,
            "runs_per_timing": 3,
        },
        "baseline": {
            "what": "SELECT count(*) over the plan's filtered population",
            "s": measured[0]["baseline_s"],
        },
        "sizes": measured,
    }
    return results, ratios


def _recreate(admin_url: str, scratch: str) -> None:
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        cursor.execute(f'CREATE DATABASE "{scratch}"')
    conn.close()


def _drop(admin_url: str, scratch: str) -> None:
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
    conn.close()


def _server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def _program() -> dict:
    from accounts.models import Role, User
    from audit_forms import catalog as forms_catalog
    from audit_forms.json_format import import_version
    from demo.forms import FORM_SPECS, form_document
    from demo.taxonomy import ensure_taxonomy
    from vendors.models import Agent, Site, Vendor, Workflow

    vendors = Vendor.objects.bulk_create(
        [Vendor(name=f"Vendor {i}", slug=f"vendor-{i}") for i in range(VENDORS)]
    )
    sites = Site.objects.bulk_create(
        [
            Site(vendor=vendors[i % VENDORS], name=f"Site {i}", slug=f"site-{i}", country="PH")
            for i in range(SITES)
        ]
    )
    Agent.objects.bulk_create(
        [
            Agent(vendor=site.vendor, site=site, external_id=f"{site.slug}-agent-{j}")
            for site in sites
            for j in range(AGENTS_PER_SITE)
        ]
    )
    workflows = Workflow.objects.bulk_create(
        [Workflow(name=f"Workflow {i}", slug=f"workflow-{i}") for i in range(WORKFLOWS)]
    )
    auditors = User.objects.bulk_create(
        [User(email=f"auditor{i}@bench.example", role=Role.QA_AUDITOR) for i in range(20)]
    )
    # A published form for every workflow, so the draw's subscriber opens every assigned audit.
    manager = User.objects.create(email="manager@bench.example", role=Role.PROGRAM_MANAGER)
    ensure_taxonomy()
    draft = import_version(form_document(FORM_SPECS[0], [w.slug for w in workflows]), by=manager)
    forms_catalog.publish_version(draft, by=manager)
    return {"auditors": auditors}


def _generate(world: dict, start: int, end: int) -> None:
    """Tickets start+1..end in SQL: site i % 50, workflow (i / 50) % 10, spread over a week."""
    from django.db import connection

    sql = f"""
        WITH s AS (SELECT array_agg(id ORDER BY id) AS ids,
                          array_agg(vendor_id ORDER BY id) AS vendors FROM vendors_site),
             w AS (SELECT array_agg(id ORDER BY id) AS ids FROM vendors_workflow),
             a AS (SELECT array_agg(id ORDER BY site_id, id) AS ids FROM vendors_agent)
        INSERT INTO audits_ticket (source, external_id, vendor_id, site_id, agent_id,
            workflow_id, handled_at, decision, policy_label, language, channel, automated,
            content_url, excerpt, extra, sample_key, imported_at)
        SELECT 'bench', 'B' || i, s.vendors[1 + i % {SITES}], s.ids[1 + i % {SITES}],
            a.ids[1 + (i % {SITES}) * {AGENTS_PER_SITE} + (i / 7) % {AGENTS_PER_SITE}],
            w.ids[1 + (i / {SITES}) % {WORKFLOWS}],
            timestamptz '2026-11-02 00:00+00' + (i % {WINDOW_SECONDS}) * interval '1 second',
            CASE WHEN i % 4 = 0 THEN 'keep' ELSE 'remove' END, '', 'en', '', i % 5 = 0,
            '', '', '{{}}',
            hashtextextended('bench' || chr(31) || 'B' || i, 0) & 2147483647, now()
        FROM generate_series(%s, %s) AS i, s, w, a
    """
    sql = sql.replace(" % ", " %% ")  # a literal modulo next to psycopg2's %s parameters
    with connection.cursor() as cursor:
        # Load without the ticket table's indexes and foreign keys, then rebuild them exactly
        # as they were: the measured queries run against the production schema.
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'audits_ticket'::regclass AND contype IN ('u', 'f')"
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audits_ticket' "
            "AND indexname <> 'audits_ticket_pkey' AND indexname <> ALL(%s)",
            [[name for name, _ in constraints]],
        )
        indexes = cursor.fetchall()
        for name, _ in constraints:
            cursor.execute(f'ALTER TABLE audits_ticket DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for low in range(start + 1, end + 1, CHUNK):
            cursor.execute(sql, [low, min(low + CHUNK - 1, end)])
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE audits_ticket ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("VACUUM ANALYZE audits_ticket")


def _measure(world: dict, size: int) -> dict:
    import datetime as dt

    from audits.models import Audit
    from sampling.drawing import draw_sample
    from sampling.models import SamplingPlan
    from sampling.population import Window, filtered_tickets, plan_filter, plan_population
    from sampling.selection import select_sample
    from sampling.tasks import request_run

    start = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    window = Window(start, start + dt.timedelta(seconds=WINDOW_SECONDS))
    plans = []
    for i in range(3):
        plan = SamplingPlan.objects.create(
            name=f"Bench {size} #{i}",
            strata_keys=["site", "workflow"],
            margin_applies_to="each_stratum",
            margin_of_error="0.0600",
            expected_rate="0.1000",
        )
        plan.auditors.set(world["auditors"])
        plans.append(plan)

    counts, count_result = [], None
    for _ in range(3):
        started = time.perf_counter()
        count_result = filtered_tickets(**plan_filter(plans[0]), window=window).count()
        counts.append(time.perf_counter() - started)
    draws, runs = [], []
    for seed, plan in enumerate(plans, start=1):
        run = request_run(plan, window=window, seed=seed, enqueue=False)
        started = time.perf_counter()
        run = draw_sample(run.pk)
        draws.append(time.perf_counter() - started)
        if run.status != "done":
            raise SystemExit(f"draw failed: {run.failure_reason}")
        runs.append(run)
    # The selection alone (rank, window, first n_h per stratum), re-run read-only for a done
    # run: the part of the draw that scales with the population rather than the sample.
    selections = []
    for run in runs:
        tickets = plan_population(run.plan, window, run=run)
        strata = list(run.strata.all())
        started = time.perf_counter()
        selected = select_sample(tickets, run.plan.strata_keys, strata, run.seed)
        selections.append(time.perf_counter() - started)
        assert len(selected) == run.sample_size
    baseline, draw = statistics.median(counts), statistics.median(draws)
    selection = statistics.median(selections)
    run = runs[0]
    opened = Audit.objects.filter(sampled_ticket__run=run).count()
    if opened != run.sample_size:
        raise SystemExit(f"{opened} audits opened for {run.sample_size} sampled tickets")
    print(
        f"population {count_result:,} in the window; {run.strata_count} strata; "
        f"sample {run.sample_size:,} ({run.sample_size / run.population_size:.1%}), "
        f"all assigned: {run.unassigned_count == 0}, audits opened: {opened:,}"
    )
    print(
        f"baseline SELECT count(*)  {baseline:8.3f} s   (runs: "
        + ", ".join(f"{t:.3f}" for t in counts)
        + ")"
    )
    print(
        f"draw_sample               {draw:8.3f} s   (runs: "
        + ", ".join(f"{t:.3f}" for t in draws)
        + ")"
    )
    print(
        f"  of which selection      {selection:8.3f} s   (runs: "
        + ", ".join(f"{t:.3f}" for t in selections)
        + ")"
    )
    print(f"ratio draw / count        {draw / baseline:8.1f} ×")
    print(f"ratio selection / count   {selection / baseline:8.1f} ×")
    return {
        "population": count_result,
        "strata": run.strata_count,
        "sample": run.sample_size,
        "all_assigned": run.unassigned_count == 0,
        "audits_opened": opened,
        "baseline_s": baseline,
        "draw_s": draw,
        "selection_s": selection,
        "baseline_runs_s": counts,
        "draw_runs_s": draws,
        "selection_runs_s": selections,
    }


if __name__ == "__main__":
    sys.exit(main())
