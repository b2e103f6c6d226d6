"""Benchmark: scoring a ticket population with the built-in risk model (risk_model.scoring).

PostgreSQL only. Creates a scratch database (qa_bench_score) on the server in DATABASE_URL,
migrates it and loads, in SQL: 10 vendors, 40 sites, 400 agents, 20 workflows, ``--tickets``
tickets (default 100,000) with varied channels, languages, decisions, hours and excerpts, and
a finalised audit on 1 in 50 of them whose outcome depends on the channel and a word of the
excerpt. Trains one version of the model (timed, not in the ratio), then, in the same run:

  baseline  the same keyset pages of the same tickets read with the same fields
            (``id > last ORDER BY id LIMIT chunk``), nothing predicted or written
  scoring   risk_model.scoring.score_tickets: the same pages, features, prediction, the
            audited tickets' out-of-fold scores, one UPDATE per page

the baseline before and after the scoring (the ratio uses their mean), and prints tickets per
second, the peak resident memory and scoring / baseline. Ends with ``RATIO score_vs_scan=…``;
``--json`` prints one JSON object instead (docs/benchmarks.md, "Output"). The scratch database
is dropped at the end (--keep keeps it).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/score_population.py
    DATABASE_URL=… python bench/score_population.py --tickets 1000000
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import warnings
from pathlib import Path

import _report

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = "qa_bench_score"
VENDORS, SITES, AGENTS_PER_SITE, WORKFLOWS = 10, 40, 10, 20
AUDIT_EVERY = 50  # 2 % of tickets audited, as in a program auditing 2–5 %


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tickets",
        type=int,
        default=100_000,
        help="tickets in the population (default 100,000; try 1,000,000)",
    )
    parser.add_argument(
        "--chunk",
        type=int,
        default=None,
        help="tickets per page (default risk_model.scoring.CHUNK)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    _report.add_json_flag(parser)
    args = parser.parse_args()
    if args.tickets < 10 * AUDIT_EVERY * 10:
        parser.error(f"--tickets must be at least {10 * AUDIT_EVERY * 10:,} (enough audits)")
    url = _report.postgres_url("score_population.py")
    if url is None:
        return 2
    with _report.human_text(args.json):
        results, ratios = _run(args, url)
    _report.finish(results, ratios, headline="score_vs_scan", as_json=args.json)
    return 0


def _run(args: argparse.Namespace, url: str) -> tuple[dict, dict]:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import audit_pages  # _admin, _scalar and _bulk_sql: the loaders' SQL helpers

    audit_pages._admin(url, f"DROP DATABASE IF EXISTS {SCRATCH}", f"CREATE DATABASE {SCRATCH}")
    os.environ.update(_report.scratch_environment(url, SCRATCH))
    os.environ.pop("REDIS_URL", None)
    warnings.filterwarnings("ignore", message="No directory at")
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        _load(audit_pages, args.tickets)
        loaded = {
            "postgresql": audit_pages._scalar("SHOW server_version"),
            "tickets": audit_pages._scalar("SELECT count(*) FROM audits_ticket"),
            "audits": audit_pages._scalar("SELECT count(*) FROM audits_audit"),
            "load_s": time.perf_counter() - started,
        }
        print(
            f"PostgreSQL {loaded['postgresql']}; {loaded['tickets']:,} tickets, "
            f"{loaded['audits']:,} audits, loaded in {loaded['load_s']:.0f} s"
        )
        measured = _measure(args.chunk)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            audit_pages._admin(url, f"DROP DATABASE IF EXISTS {SCRATCH}")
    scan_s = (measured["scan_before_s"] + measured["scan_after_s"]) / 2
    results = {
        "bench": "score_population",
        "parameters": {
            "tickets": args.tickets,
            "chunk": measured["chunk"],
            "audited_every": AUDIT_EVERY,
        },
        "dataset": loaded,
        "baseline": {"what": "a keyset scan of the same pages and fields", "s": scan_s},
        **measured,
    }
    return results, {"score_vs_scan": measured["score_s"] / scan_s}


def _load(audit_pages, tickets: int) -> None:
    """The program (ORM), then tickets and audits in SQL (indexes rebuilt after)."""
    from accounts.models import Role, User
    from audit_forms import catalog as forms_catalog
    from audit_forms.json_format import import_version
    from demo.forms import FORM_SPECS, form_document
    from demo.taxonomy import ensure_taxonomy
    from vendors.models import Agent, Site, Vendor, Workflow

    vendors = Vendor.objects.bulk_create(
        [Vendor(name=f"Vendor {i}", slug=f"vendor-{i}") for i in range(VENDORS)]
    )
    zones = ("Asia/Manila", "America/Bogota", "Europe/Lisbon", "Asia/Kolkata")
    sites = Site.objects.bulk_create(
        [
            Site(
                vendor=vendors[i % VENDORS],
                name=f"Site {i}",
                slug=f"site-{i}",
                country="PH",
                timezone=zones[i % len(zones)],
            )
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
    manager = User.objects.create(email="manager@bench.example", role=Role.PROGRAM_MANAGER)
    ensure_taxonomy()
    draft = import_version(form_document(FORM_SPECS[0], [w.slug for w in workflows]), by=manager)
    version = forms_catalog.publish_version(draft, by=manager)

    # Ticket i: agent i % 400 (its site and vendor); every channel and word among the audited
    # tickets (every 50th), where chat tickets and excerpts saying "refund" fail more often.
    audit_pages._bulk_sql(
        "audits_ticket",
        f"""
        WITH a AS (SELECT array_agg(a.id ORDER BY a.id) ids,
                          array_agg(a.site_id ORDER BY a.id) sites,
                          array_agg(a.vendor_id ORDER BY a.id) vendors FROM vendors_agent a),
             w AS (SELECT array_agg(id ORDER BY id) ids FROM vendors_workflow)
        INSERT INTO audits_ticket (source, external_id, vendor_id, site_id, agent_id,
            workflow_id, handled_at, decision, policy_label, language, channel, automated,
            content_url, excerpt, extra, sample_key, imported_at)
        SELECT 'bench', 'S' || i, a.vendors[1 + i % {SITES * AGENTS_PER_SITE}],
            a.sites[1 + i % {SITES * AGENTS_PER_SITE}],
            a.ids[1 + i % {SITES * AGENTS_PER_SITE}], w.ids[1 + (i / 7) % {WORKFLOWS}],
            now() - interval '30 days' + (i % (86400 * 28)) * interval '1 second',
            (ARRAY['remove', 'keep', 'escalate'])[1 + i % 3],
            (ARRAY['hate_speech', 'spam', 'refund', 'abuse'])[1 + (i / 3) % 4],
            (ARRAY['en', 'es', 'pt', 'tl'])[1 + (i / 11) % 4],
            (ARRAY['chat', 'email', 'web', 'voice'])[1 + (i + i / 50) % 4], i % 4 = 0, '',
            'customer says ' || (ARRAY['refund', 'thanks', 'angry', 'ok', 'cancel'])
                [1 + (i / 7 + 3 * (i / 50)) % 5] || ' about order ' || (i % 997),
            '{{}}', i, now()
        FROM generate_series(0, {tickets - 1}) AS i, a, w""",
    )
    audit_pages._scalar("SELECT setseed(0.20261207)")  # the outcomes' draws, reproducible
    audit_pages._bulk_sql(
        "audits_audit",
        f"""
        INSERT INTO audits_audit (ticket_id, form_version_id, auditor_id, sampled_ticket_id,
            unsampled, status, answers, comments, internal_note, score, passed,
            critical_failed, section_scores, error_categories, errors, error_count,
            time_spent_seconds, assigned_at, submitted_at, finalised_at, started_at,
            reopened_count, created_at, updated_at)
        SELECT t.id, {version.pk}, NULL, NULL, true, 'final', '{{}}', '{{}}', '',
            CASE WHEN failed THEN 60 ELSE 95 END, NOT failed, false, '{{}}', '{{}}', '[]',
            CASE WHEN failed THEN 1 ELSE 0 END, 120, now() - interval '3 days',
            now() - interval '2 days', now() - interval '1 day', now() - interval '3 days',
            0, now(), now()
        FROM (SELECT id, random() < CASE WHEN channel = 'chat' THEN 0.35 ELSE 0.05 END
                           + CASE WHEN excerpt LIKE '%refund%' THEN 0.2 ELSE 0 END AS failed
              FROM audits_ticket WHERE sample_key % {AUDIT_EVERY} = 0 ORDER BY id) t""",
    )


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _scan(chunk: int) -> tuple[float, int]:
    """The scoring's reads alone: the same keyset pages with the same fields."""
    from risk_model import learning
    from tickets.models import Ticket

    started = time.perf_counter()
    last, seen = 0, 0
    while True:
        rows = list(
            Ticket.objects.filter(pk__gt=last)
            .order_by("pk")
            .values(*learning.TICKET_FIELDS)[:chunk]
        )
        if not rows:
            break
        seen += len(rows)
        last = rows[-1]["id"]
    return time.perf_counter() - started, seen


def _measure(chunk: int | None) -> dict:
    from risk_model import scoring
    from risk_model.training import train_risk_model

    chunk = chunk or scoring.CHUNK
    started = time.perf_counter()
    model = train_risk_model()
    train_s = time.perf_counter() - started
    print(
        f"trained {model.name} on {model.audits:,} audited tickets in {train_s:.1f} s: "
        f"AUC {model.auc:.3f} [{model.auc_low:.3f}, {model.auc_high:.3f}], "
        f"Brier {model.brier:.4f}"
    )
    rss_before = _peak_rss_mb()
    scan_before_s, seen = _scan(chunk)
    started = time.perf_counter()
    result = scoring.score_tickets(model, chunk=chunk)
    score_s = time.perf_counter() - started
    scan_after_s, _ = _scan(chunk)
    rss_after = _peak_rss_mb()
    scan_s = (scan_before_s + scan_after_s) / 2
    print(f"scan     {seen:>10,} tickets  {scan_s:8.1f} s  {seen / scan_s:>10,.0f} tickets/s")
    print(
        f"scoring  {result.scored:>10,} tickets  {score_s:8.1f} s  "
        f"{result.scored / score_s:>10,.0f} tickets/s "
        f"({result.out_of_fold:,} out of fold)"
    )
    print(
        f"peak RSS {rss_before:,.0f} MB before the scans and scoring, {rss_after:,.0f} MB "
        f"after (pages of {chunk:,})"
    )
    print(f"ratio scoring / scan  {score_s / scan_s:.1f} ×")
    return {
        "chunk": chunk,
        "train_s": train_s,
        "model": {
            "name": model.name,
            "audits": model.audits,
            "auc": model.auc,
            "brier": model.brier,
        },
        "scan_before_s": scan_before_s,
        "scan_after_s": scan_after_s,
        "score_s": score_s,
        "scored": result.scored,
        "out_of_fold": result.out_of_fold,
        "tickets_per_s": result.scored / score_s,
        "peak_rss_before_mb": rss_before,
        "peak_rss_after_mb": rss_after,
    }


if __name__ == "__main__":
    sys.exit(main())
