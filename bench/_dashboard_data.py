"""The dashboards benchmark's program: 10 vendors, 40 sites, 5,000 agents, 300 workflows,
10,000,000 tickets over 13 weeks, 13 weekly sample runs stratified by vendor × workflow and
1,000,000 completed audits, built in SQL (INSERT … SELECT generate_series) with the big
tables' indexes and constraints dropped during the load and rebuilt exactly (the loader of
bench/audit_pages.py, ``_bulk_sql``).

The numbers tell the demo's kind of story, so the pages have something to flag: a weak
vendor (vendor-3, about 15 % failing), an improving site (site-5, from ~14 % to ~4 %), an
out-of-control week (vendor-1, the tenth week, ~20 %), everything else ~6 %, a fifth of the
failures critical. Volumes are skewed as real programs are: the first sites and workflows
take most tickets (Zipf-like), and small workflows are sampled harder (unequal allocation),
so a naive pooled rate would differ from the stratified one.

Pseudo-random draws are Weyl sequences, frac(i · α) for a few odd 32-bit multipliers: cheap
in SQL, deterministic, and even enough for a load test.
"""

from __future__ import annotations

import datetime as dt

from audit_pages import _bulk_sql, _scalar, carry_verdicts

VENDORS, SITES_PER_VENDOR, AGENTS_PER_SITE, WORKFLOWS, AUDITORS = 10, 4, 125, 300, 100
WEEKS = 13
WEAK_VENDOR, JUMPY_VENDOR, JUMPY_WEEK, IMPROVING_SITE = 3, 1, 9, 5
POSITIVE_ANSWERS = (
    '{"correct_action": "yes", "enforcement": "proportionate", '
    '"policy_label": "pass", "context": "yes", "escalation": "na", '
    '"documentation": "complete", "handling": "on_time"}'
)


def first_monday(today: dt.date | None = None) -> dt.date:
    """The data covers the 13 full UTC weeks before the current one."""
    today = today or dt.datetime.now(dt.UTC).date()
    return today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=WEEKS)


def _uniform(expression: str, multiplier: int) -> str:
    """SQL for frac(expression · multiplier / 2^32): a number in [0, 1)."""
    return f"((({expression}) * {multiplier}::bigint) % 4294967296)::float8 / 4294967296"


def load(tickets: int, audits: int) -> dict:
    """Build the program; returns what the benchmark needs (users, slugs, the date range)."""
    from accounts.models import Role, User
    from audit_forms import catalog as forms_catalog
    from audit_forms.json_format import import_version
    from demo.forms import FORM_SPECS, form_document
    from demo.taxonomy import ensure_taxonomy
    from sampling.models import SampleRun, SamplingPlan
    from vendors.models import Agent, ContractTarget, Site, Vendor, Workflow

    start = first_monday()
    vendors = Vendor.objects.bulk_create(
        [Vendor(name=f"Vendor {i}", slug=f"vendor-{i}") for i in range(VENDORS)]
    )
    sites = Site.objects.bulk_create(
        [
            Site(
                vendor=vendors[i // SITES_PER_VENDOR],
                name=f"Site {i}",
                slug=f"site-{i}",
                country="PH",
                timezone="Asia/Manila",
            )
            for i in range(VENDORS * SITES_PER_VENDOR)
        ]
    )
    Agent.objects.bulk_create(
        [
            Agent(vendor=site.vendor, site=site, external_id=f"{site.slug}-agent-{j}")
            for site in sites
            for j in range(AGENTS_PER_SITE)
        ],
        batch_size=5000,
    )
    workflows = Workflow.objects.bulk_create(
        [
            Workflow(name=f"Workflow {i:03d}", slug=f"workflow-{i}", policy_area=f"Area {i % 12}")
            for i in range(WORKFLOWS)
        ]
    )
    User.objects.bulk_create(
        [User(email=f"auditor{i}@bench.example", role=Role.QA_AUDITOR) for i in range(AUDITORS)]
    )
    manager = User.objects.create(email="manager@bench.example", role=Role.PROGRAM_MANAGER)
    ensure_taxonomy()  # the categories the demo forms count
    draft = import_version(form_document(FORM_SPECS[0], [w.slug for w in workflows]), by=manager)
    version = forms_catalog.publish_version(draft, by=manager)
    ContractTarget.objects.bulk_create(
        [
            ContractTarget(
                vendor=vendor,
                metric=metric,
                direction=direction,
                target=target,
                effective_from=start,
            )
            for vendor in vendors
            for metric, direction, target in [
                ("accuracy", "at_least", "0.9300"),
                ("critical_error_rate", "at_most", "0.0150"),
                ("policy_accuracy", "at_least", "0.9700"),
            ]
        ]
    )

    plan = SamplingPlan.objects.create(
        name="Weekly program sample",
        strata_keys=["vendor", "workflow"],
        form=version.form,
        allocation="neyman",
        minimum_per_stratum=2,
        schedule="manual",
    )
    window = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    SampleRun.objects.bulk_create(
        [
            SampleRun(
                plan=plan,
                seed=w,
                window_start=window + dt.timedelta(weeks=w),
                window_end=window + dt.timedelta(weeks=w + 1),
                status=SampleRun.Status.DONE,
                progress=100,
                planned_margin=0.01,
                achieved_margin=0.01,
                parameters={"confidence": 0.95, "strata_keys": ["vendor", "workflow"], "notes": []},
            )
            for w in range(WEEKS)
        ]
    )

    _tickets(tickets, start)
    _strata_and_picks(tickets, audits, start)
    _sampled_tickets(audits)
    _audits(version.pk)
    _run_totals()
    return {"manager": manager, "start": start, "version": version}


def _tickets(count: int, start: dt.date) -> None:
    sites, span = VENDORS * SITES_PER_VENDOR, WEEKS * 7 * 86400
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
        SELECT 'bench', 'D' || i, s.v[1 + si], s.ids[1 + si],
            a.ids[1 + si * {AGENTS_PER_SITE} + ai], w.ids[1 + wi],
            timestamptz '{start.isoformat()} 00:00+00'
                + (i::bigint * {span} / {count}) * interval '1 second',
            CASE WHEN i % 4 = 0 THEN 'keep' ELSE 'remove' END, 'Area ' || (wi % 12), 'en',
            'queue', i % 5 = 0, 'https://content.example.com/item/' || i,
            'Reported item ' || i, '{{}}', key, now()
        FROM (SELECT i,
                 floor({sites} * power({_uniform("i", 2654435761)}, 1.3))::int AS si,
                 floor({AGENTS_PER_SITE} * {_uniform("i", 2246822519)})::int AS ai,
                 floor({WORKFLOWS} * power({_uniform("i", 3266489917)}, 2))::int AS wi,
                 (i::bigint * 668265263) % 2147483647 AS key
              FROM generate_series(0, {count - 1}) AS i) g, s, w, a""",
    )


def _strata_and_picks(tickets: int, audits: int, start: dt.date) -> None:
    """One stratum per (week's run, vendor, workflow) with its population, and the drawn
    tickets in a temporary table: a Bernoulli draw on sample_key at a rate that grows with
    the workflow's rank (small workflows sampled harder), ~1 % more than ``audits`` so the
    most recent ones can stay open."""
    base = min(1.0, audits * 1.012 / tickets)
    week = f"floor(extract(epoch FROM t.handled_at - timestamptz '{start.isoformat()} 00:00+00')"
    week += " / 604800)::int"
    picked = f"(t.sample_key % 1000000) < {base} * (0.7 + 0.9 * wr.wi / {WORKFLOWS - 1}) * 1e6"
    ranks = """(SELECT id, (row_number() OVER (ORDER BY id) - 1)::int AS wi
                FROM vendors_workflow) wr"""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"""
            CREATE TEMP TABLE bench_pick AS
            SELECT t.id AS ticket_id, t.handled_at, t.vendor_id, t.site_id, t.workflow_id,
                   {week} AS wk, row_number() OVER (ORDER BY t.id) AS n
            FROM audits_ticket t JOIN {ranks} ON wr.id = t.workflow_id WHERE {picked}""")
        cursor.execute("ANALYZE bench_pick")
    _bulk_sql(
        "sampling_samplestratum",
        f"""
        WITH r AS (SELECT array_agg(id ORDER BY window_start) ids FROM sampling_samplerun)
        INSERT INTO sampling_samplestratum (run_id, position, label, vendor_id, workflow_id,
            language, decision, population, allocated, drawn, expected_rate, stddev, cost,
            risk_weighted, ai_model)
        SELECT r.ids[1 + g.wk],
            (row_number() OVER (PARTITION BY g.wk ORDER BY v.name, f.name) - 1)::int,
            v.name || ' · ' || f.name, g.vendor_id, g.workflow_id, '', '', g.population,
            g.drawn, g.drawn, 0.06, 0.2375, 1, false, ''
        FROM (SELECT {week} AS wk, t.vendor_id, t.workflow_id, count(*) AS population,
                     count(*) FILTER (WHERE {picked}) AS drawn
              FROM audits_ticket t JOIN {ranks} ON wr.id = t.workflow_id
              GROUP BY 1, 2, 3) g
        JOIN vendors_vendor v ON v.id = g.vendor_id
        JOIN vendors_workflow f ON f.id = g.workflow_id, r""",
    )


def _sampled_tickets(audits: int) -> None:
    """Drawn tickets in ticket order (so ids follow time); the first ``audits`` completed."""
    _bulk_sql(
        "sampling_sampledticket",
        f"""
        WITH r AS (SELECT array_agg(id ORDER BY window_start) ids FROM sampling_samplerun),
             u AS (SELECT array_agg(id ORDER BY id) ids FROM accounts_user
                   WHERE role = 'auditor')
        INSERT INTO sampling_sampledticket (run_id, stratum_id, ticket_id, draw_rank,
            inclusion_probability, auditor_id, assigned_at, due_at, completed_at)
        SELECT st.run_id, st.id, p.ticket_id,
            row_number() OVER (PARTITION BY st.id ORDER BY p.ticket_id),
            st.allocated::float8 / st.population, u.ids[1 + p.ticket_id % {AUDITORS}],
            p.handled_at + interval '1 day', p.handled_at + interval '5 days',
            CASE WHEN p.n <= {audits} THEN p.handled_at + interval '2 days' END
        FROM bench_pick p, r, u, sampling_samplestratum st
        WHERE st.run_id = r.ids[1 + p.wk] AND st.vendor_id = p.vendor_id
          AND st.workflow_id = p.workflow_id
        ORDER BY p.ticket_id""",
    )


def _audits(version: int) -> None:
    """One audit per sampled ticket; outcomes from the story in the module docstring."""
    weeks = WEEKS - 1
    u1, u2, u3, u4 = (_uniform("st.id", m) for m in (2654435761, 2246822519, 3266489917, 668265263))
    fail = f"""CASE WHEN vi = {WEAK_VENDOR} THEN 0.15
                    WHEN vi = {JUMPY_VENDOR} AND wk = {JUMPY_WEEK} THEN 0.20
                    WHEN si = {IMPROVING_SITE} THEN 0.04 + 0.10 * ({weeks} - wk) / {weeks}
                    ELSE 0.06 END"""
    _bulk_sql(
        "audits_audit",
        f"""
        INSERT INTO audits_audit (ticket_id, form_version_id, auditor_id, sampled_ticket_id,
            unsampled, status, answers, comments, internal_note, score, passed,
            critical_failed, section_scores, error_categories, errors, error_count,
            time_spent_seconds, assigned_at, due_at, started_at, submitted_at, finalised_at,
            reopened_count, created_at, updated_at)
        SELECT ticket_id, {version}, auditor_id, id, false, status,
            CASE WHEN open THEN '{{}}' ELSE '{POSITIVE_ANSWERS}' END::jsonb, '{{}}', '',
            CASE WHEN open THEN NULL WHEN critical THEN 0 WHEN failed THEN 70
                 WHEN u3 < 0.2 THEN 90 ELSE 100 END,
            CASE WHEN open THEN NULL ELSE NOT failed END, critical, '{{}}',
            CASE WHEN NOT failed THEN '{{}}'
                 WHEN critical THEN '{{"wrong-action": 1}}'
                 WHEN u2 < 0.45 THEN '{{"policy-error": 1}}'
                 WHEN u2 < 0.60 THEN '{{"policy-error": 1, "procedural": 1}}'
                 WHEN u2 < 0.80 THEN '{{"procedural": 1}}'
                 ELSE '{{"customer-experience": 1}}' END::jsonb,
            '[]', CASE WHEN failed THEN 1 ELSE 0 END,
            CASE WHEN open THEN 0 ELSE 60 + floor(u3 * 540)::int END,
            assigned_at, due_at, CASE WHEN status <> 'assigned' THEN assigned_at END,
            CASE WHEN NOT open THEN completed_at END,
            CASE WHEN status = 'final' THEN completed_at + interval '3 days' END,
            0, assigned_at, now()
        FROM (SELECT *, CASE WHEN open THEN (CASE WHEN u4 < 0.1 THEN 'in_progress'
                                                   ELSE 'assigned' END)
                             WHEN u4 < 0.01 THEN 'disputed' WHEN u4 < 0.02 THEN 'resolved'
                             WHEN wk >= {WEEKS - 2} AND u4 < 0.5 THEN 'submitted'
                             ELSE 'final' END AS status
              FROM (SELECT st.*, p.wk, st.completed_at IS NULL AS open,
                           NOT (st.completed_at IS NULL) AND {u1} < {fail} AS failed,
                           NOT (st.completed_at IS NULL) AND {u1} < 0.2 * {fail} AS critical,
                           {u2} AS u2, {u3} AS u3, {u4} AS u4
                    FROM sampling_sampledticket st
                    JOIN bench_pick p ON p.ticket_id = st.ticket_id
                    JOIN (SELECT id, (row_number() OVER (ORDER BY id) - 1)::int AS vi
                          FROM vendors_vendor) v ON v.id = p.vendor_id
                    JOIN (SELECT id, (row_number() OVER (ORDER BY id) - 1)::int AS si
                          FROM vendors_site) s ON s.id = p.site_id) x) y""",
    )


def _run_totals() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            UPDATE sampling_samplerun r SET population_size = s.population,
                sample_size = s.drawn, strata_count = s.strata
            FROM (SELECT run_id, sum(population) population, sum(drawn) drawn,
                         count(*) strata FROM sampling_samplestratum GROUP BY run_id) s
            WHERE s.run_id = r.id""")
        cursor.execute("DROP TABLE bench_pick")
    carry_verdicts()


def summary() -> str:
    return (
        f"{_scalar('SELECT count(*) FROM audits_ticket'):,} tickets, "
        f"{_scalar('SELECT count(*) FROM sampling_samplestratum'):,} strata in "
        f"{_scalar('SELECT count(*) FROM sampling_samplerun')} runs, "
        f"{_scalar('SELECT count(*) FROM audits_audit'):,} audits "
        f"({_scalar(COMPLETED_COUNT):,} completed), "
        f"database {_scalar('SELECT pg_size_pretty(pg_database_size(current_database()))')}"
    )


COMPLETED_COUNT = (
    "SELECT count(*) FROM audits_audit "
    "WHERE status IN ('submitted', 'disputed', 'resolved', 'final')"
)
