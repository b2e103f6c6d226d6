"""Benchmark: the auditor queue and a sample run report over 1,000,000 audits.

PostgreSQL only. Creates a scratch database (qa_bench_audits) on the server in DATABASE_URL,
migrates it and loads, in SQL (INSERT … SELECT generate_series, with the big tables' indexes
and foreign keys dropped during the load and rebuilt exactly as they were):

  1,000,000 tickets   50 sites × 10 workflows, 20 auditors
  100 sample runs     500 strata each (site × workflow), 10,000 sampled tickets per run
  1,000,000 audits    one per sampled ticket: 99 % final (4 % failed, 1 % critical, error
                      categories on the failures), 1 % still assigned (500 per auditor)

then renders with Django's test Client, in the same process and run:

  healthz    /healthz (the project's trivial view, no session)
  baseline   a hello-world view defined here, logged in (session and user loaded, as on
             the measured pages): the ratio's denominator
  queue      the auditor queue (audits:queue), logged in as an auditor with 500 open audits
             among 50,000 of theirs
  run report one run's page (sampling:run_detail), 10,000 audits over 500 strata, logged in
             as a program manager

each 20 times after 3 warm-ups, and prints p50/p95 in milliseconds, the number of queries
and p50 / baseline p50. Ends with ``RATIO queue_vs_hello=…`` (the auditor queue's p50 /
baseline p50); ``--json`` prints one JSON object instead (docs/benchmarks.md, "Output").
The scratch database is dropped at the end (--keep keeps it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/audit_pages.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import _report

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = "qa_bench_audits"
SITES, WORKFLOWS, AGENTS_PER_SITE, VENDORS, AUDITORS = 50, 10, 10, 10, 20
RUNS, STRATUM_POPULATION = 100, 200
TICKETS = 1_000_000
REQUESTS, WARM_UPS = 20, 3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    _report.add_json_flag(parser)
    args = parser.parse_args()
    url = _report.postgres_url("audit_pages.py")
    if url is None:
        return 2
    with _report.human_text(args.json):
        results, ratios = _run(args, url)
    _report.finish(results, ratios, headline="queue_vs_hello", as_json=args.json)
    return 0


def _run(args: argparse.Namespace, url: str) -> tuple[dict, dict]:
    _admin(url, f"DROP DATABASE IF EXISTS {SCRATCH}", f"CREATE DATABASE {SCRATCH}")
    os.environ.update(_report.scratch_environment(url, SCRATCH))
    os.environ.pop("REDIS_URL", None)
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic
    sys.path.insert(0, str(ROOT))
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.test.utils import setup_test_environment

        setup_test_environment()  # the test Client's host, a fast in-memory mail backend
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        _add_baseline_view(settings)
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        world = _load()
        loaded = {
            "postgresql": _scalar("SHOW server_version"),
            "audits": _scalar("SELECT count(*) FROM audits_audit"),
            "tickets": _scalar("SELECT count(*) FROM audits_ticket"),
            "load_s": time.perf_counter() - started,
        }
        print(
            f"PostgreSQL {loaded['postgresql']}; loaded "
            f"{loaded['audits']:,} audits, "
            f"{loaded['tickets']:,} tickets, "
            f"{RUNS} runs × {SITES * WORKFLOWS} strata in {loaded['load_s']:.0f} s"
        )
        pages = _measure(world)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _admin(url, f"DROP DATABASE IF EXISTS {SCRATCH}")
    base = pages["baseline_hello"]["p50_ms"]
    results = {
        "bench": "audit_pages",
        "parameters": {
            "tickets": TICKETS,
            "runs": RUNS,
            "strata_per_run": SITES * WORKFLOWS,
            "auditors": AUDITORS,
            "requests": REQUESTS,
            "warm_ups": WARM_UPS,
        },
        "dataset": loaded,
        "baseline": {"what": "a logged-in hello-world view", "p50_ms": base},
        "pages": pages,
    }
    ratios = {
        f"{name}_vs_hello": page["p50_ms"] / base
        for name, page in pages.items()
        if name != "baseline_hello"
    }
    return results, ratios


def _admin(url: str, *statements: str) -> None:
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    conn.close()


def _scalar(sql: str):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def _load() -> dict:
    """The program, a published form, 100 runs of 500 strata (ORM), then tickets, sampled
    tickets and audits in SQL."""
    import datetime as dt

    from accounts.models import Role, User
    from audit_forms import catalog as forms_catalog
    from audit_forms.json_format import import_version
    from demo.forms import FORM_SPECS, form_document
    from demo.taxonomy import ensure_taxonomy
    from sampling.models import SampleRun, SampleStratum, SamplingPlan
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
        [User(email=f"auditor{i}@bench.example", role=Role.QA_AUDITOR) for i in range(AUDITORS)]
    )
    manager = User.objects.create(email="manager@bench.example", role=Role.PROGRAM_MANAGER)
    ensure_taxonomy()  # the categories the demo forms count
    draft = import_version(form_document(FORM_SPECS[0], [w.slug for w in workflows]), by=manager)
    version = forms_catalog.publish_version(draft, by=manager)

    plan = SamplingPlan.objects.create(name="Bench plan", strata_keys=["site", "workflow"])
    start = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    runs = SampleRun.objects.bulk_create(
        [
            SampleRun(
                plan=plan,
                seed=r,
                window_start=start + dt.timedelta(days=r),
                window_end=start + dt.timedelta(days=r + 1),
                status=SampleRun.Status.DONE,
                progress=100,
                parameters={"confidence": 0.95, "notes": []},
                population_size=STRATUM_POPULATION * SITES * WORKFLOWS,
                sample_size=TICKETS // RUNS,
                strata_count=SITES * WORKFLOWS,
                planned_margin=0.01,
                achieved_margin=0.01,
            )
            for r in range(RUNS)
        ]
    )
    per_stratum = TICKETS // RUNS // (SITES * WORKFLOWS)
    SampleStratum.objects.bulk_create(
        [
            SampleStratum(
                run=run,
                position=s * WORKFLOWS + w,
                label=f"{site.name} · {wf.name}",
                site=site,
                workflow=wf,
                population=STRATUM_POPULATION,
                allocated=per_stratum,
                drawn=per_stratum,
                expected_rate=0.05,
                stddev=0.2,
            )
            for run in runs
            for s, site in enumerate(sites)
            for w, wf in enumerate(workflows)
        ],
        batch_size=5000,
    )

    # Ticket i: site i % 50, workflow (i / 50) % 10, run (i / 500) % 100, so each block of
    # 500 consecutive tickets holds every (site, workflow) once and each run 20 per stratum.
    _bulk_sql(
        "audits_ticket",
        f"""
        WITH s AS (SELECT array_agg(id ORDER BY id) ids, array_agg(vendor_id ORDER BY id) v
                   FROM vendors_site),
             w AS (SELECT array_agg(id ORDER BY id) ids FROM vendors_workflow),
             a AS (SELECT array_agg(id ORDER BY site_id, id) ids FROM vendors_agent)
        INSERT INTO audits_ticket (source, external_id, vendor_id, site_id, agent_id,
            workflow_id, handled_at, decision, policy_label, language, channel, automated,
            content_url, excerpt, extra, sample_key, imported_at)
        SELECT 'bench', 'B' || i, s.v[1 + i % {SITES}], s.ids[1 + i % {SITES}],
            a.ids[1 + (i % {SITES}) * {AGENTS_PER_SITE} + (i / 7) % {AGENTS_PER_SITE}],
            w.ids[1 + (i / {SITES}) % {WORKFLOWS}],
            timestamptz '2026-01-05 00:00+00' + (i % (86400 * 100)) * interval '1 second',
            'remove', '', 'en', '', false, '', 'Bench ticket.', '{{}}', i, now()
        FROM generate_series(0, {TICKETS - 1}) AS i, s, w, a""",
    )
    first_ticket = _scalar("SELECT min(id) FROM audits_ticket")
    _bulk_sql(
        "sampling_sampledticket",
        f"""
        WITH r AS (SELECT array_agg(id ORDER BY id) ids FROM sampling_samplerun),
             st AS (SELECT array_agg(id ORDER BY run_id, position) ids FROM sampling_samplestratum),
             u AS (SELECT array_agg(id ORDER BY id) ids FROM accounts_user
                   WHERE role = 'auditor')
        INSERT INTO sampling_sampledticket (run_id, stratum_id, ticket_id, draw_rank,
            inclusion_probability, auditor_id, assigned_at, due_at, completed_at)
        SELECT r.ids[1 + run], st.ids[1 + run * {SITES * WORKFLOWS}
                + (i % {SITES}) * {WORKFLOWS} + (i / {SITES}) % {WORKFLOWS}],
            t.id, 1 + i / {RUNS * SITES * WORKFLOWS}, {per_stratum / STRATUM_POPULATION},
            u.ids[1 + i % {AUDITORS}], t.handled_at + interval '1 day',
            t.handled_at + interval '3 days',
            CASE WHEN (i / {AUDITORS}) % 100 = 0 THEN NULL ELSE t.handled_at + interval '2 days' END
        FROM (SELECT id, handled_at, id - {first_ticket} AS i,
                     ((id - {first_ticket}) / {SITES * WORKFLOWS}) % {RUNS} AS run
              FROM audits_ticket) t, r, st, u""",
    )
    _bulk_sql(
        "audits_audit",
        f"""
        INSERT INTO audits_audit (ticket_id, form_version_id, auditor_id, sampled_ticket_id,
            unsampled, status, answers, comments, internal_note, score, passed,
            critical_failed, section_scores, error_categories, errors, error_count,
            time_spent_seconds, assigned_at, due_at, started_at, submitted_at, finalised_at,
            reopened_count, created_at, updated_at)
        SELECT st.ticket_id, {version.pk}, st.auditor_id, st.id, false,
            CASE WHEN open THEN 'assigned' ELSE 'final' END, '{{}}', '{{}}', '',
            CASE WHEN open THEN NULL WHEN critical THEN 0 WHEN failed THEN 75 ELSE 100 END,
            CASE WHEN open THEN NULL ELSE NOT failed END, critical AND NOT open, '{{}}',
            CASE WHEN failed AND NOT open THEN
                 CASE WHEN critical THEN '{{"wrong-action": 1}}' ELSE '{{"policy-error": 1}}' END
                 ELSE '{{}}' END::jsonb,
            '[]', CASE WHEN failed AND NOT open THEN 1 ELSE 0 END, 120,
            st.assigned_at, st.due_at,
            CASE WHEN open THEN NULL ELSE st.assigned_at END, st.completed_at,
            st.completed_at + interval '1 day', 0, st.assigned_at, now()
        FROM (SELECT *, completed_at IS NULL AS open,
                     (id % 25 = 0 OR id % 101 = 0) AS failed, id % 101 = 0 AS critical
              FROM sampling_sampledticket) st""",
    )
    carry_verdicts()
    return {"auditor": auditors[0], "manager": manager, "run": runs[RUNS // 2]}


def carry_verdicts() -> None:
    """Each sampled ticket carries its scored audit's verdict, as the lifecycle keeps it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            UPDATE sampling_sampledticket st SET passed = a.passed FROM audits_audit a
            WHERE a.sampled_ticket_id = st.id AND a.passed IS NOT NULL""")


def _bulk_sql(table: str, sql: str) -> None:
    """Run a big INSERT with the table's secondary indexes and constraints dropped, then
    rebuild them exactly as they were (the pages are measured against the real schema)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f', 'c')",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname <> %s AND indexname <> ALL(%s)",
            [table, f"{table}_pkey", [name for name, _ in constraints]],
        )
        indexes = cursor.fetchall()
        for name, _ in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(sql)
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}")


def _add_baseline_view(settings) -> None:
    """Serve the project's URLs plus /bench-hello/, a logged-in hello-world view."""
    import types

    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse
    from django.urls import include, path

    @login_required
    def hello(request):
        return HttpResponse(f"Hello, {request.user.email}")

    urls = types.ModuleType("bench_audit_pages_urls")
    urls.urlpatterns = [path("bench-hello/", hello), path("", include(settings.ROOT_URLCONF))]
    sys.modules[urls.__name__] = urls
    settings.ROOT_URLCONF = urls.__name__


def _timed(client, url: str) -> list[float]:
    for _ in range(WARM_UPS):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _measure(world: dict) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    auditor, manager = Client(), Client()
    auditor.force_login(world["auditor"])
    manager.force_login(world["manager"])
    pages = [
        ("healthz", Client(), "/healthz"),
        ("baseline (hello)", manager, "/bench-hello/"),
        ("auditor queue", auditor, reverse("audits:queue")),
        ("run report", manager, reverse("sampling:run_detail", args=[world["run"].pk])),
    ]
    names = {  # the JSON keys, and the ratios' names (queue_vs_hello, …)
        "healthz": "healthz",
        "baseline (hello)": "baseline_hello",
        "auditor queue": "queue",
        "run report": "run_report",
    }
    results = {}
    for label, client, url in pages:
        times = _timed(client, url)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        results[label] = (
            statistics.median(times),
            statistics.quantiles(times, n=20)[18],
            len(queries),
        )
    base = results["baseline (hello)"][0]
    print(f"{'page':<20} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'p50/baseline':>13}")
    for label, (p50, p95, count) in results.items():
        print(f"{label:<20} {p50:8.1f} {p95:8.1f} {count:8d} {p50 / base:12.1f}×")
    measured = {}
    for label, _, url in pages:
        p50, p95, count = results[label]
        measured[names[label]] = {"url": url, "p50_ms": p50, "p95_ms": p95, "queries": count}
    return measured


if __name__ == "__main__":
    sys.exit(main())
