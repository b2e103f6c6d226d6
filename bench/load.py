"""Benchmark: concurrent users against gunicorn — managers on the dashboards, auditors
scoring, vendor POCs on the portal — for a fixed time, with req/s and p50/p95 per page.

PostgreSQL and Redis. Builds the dashboards bench's program in a scratch database
(bench/_dashboard_data.py: 10 vendors, 40 sites, 5,000 agents, 300 workflows, --audits
audits of 10 × as many tickets, ~1 % of them still open), rebuilds the rollups, then starts
on 127.0.0.1 what production runs: gunicorn (--workers, 2 by default: one per core of this
machine; docker-compose runs 3) and one Celery worker (the debounced rollup flushes of the
auditors' submissions, and so the rollups version the page cache follows). Redis
(REDIS_URL) is the broker and the cache every web process shares. Users are threads, each
with its own session cookie written as tests/factories.sign_in writes it (no login form),
sending their next request as soon as the last one answers (no think time): a closed loop
that measures what the server can do. Three phases of --duration seconds each:

  hello     every user on a logged-in hello-world view: the baseline (req/s, p50/p95)
  overview  every user a program manager reloading the overview (the issue's 60 req/s)
  mix       --mix managers:auditors:POCs (default 5:3:2 of --users): managers walk the
            overview, a vendor's scorecard and its trends; auditors open their queue, take
            the next audit, open its scoring page and submit it; POCs walk their portal's
            scorecard, error themes and audits

and prints req/s, p50 and p95 (ms) and errors per page. Ends with
``RATIO overview_rps_vs_hello=…`` (overview phase req/s / hello phase req/s); ``--json``
prints one JSON object instead (docs/benchmarks.md, "Output"). The scratch database is
dropped at the end (--keep keeps it; --reuse measures a kept one without loading it again).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        python bench/load.py --audits 100000 --users 10 --duration 30
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import _report
from _dashboard_data import POSITIVE_ANSWERS

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# Django accepts an unmasked secret as the form's token: the same 32 characters in the
# csrftoken cookie and the csrfmiddlewaretoken field, so no page has to be parsed for one.
CSRF = secrets.token_hex(16)
# The answers the dashboards' loader scores its audits with, as the scoring form posts them.
ANSWERS = {f"q_{key}": value for key, value in json.loads(POSITIVE_ANSWERS).items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audits", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, help="default: 10 × --audits")
    parser.add_argument("--users", type=int, default=10, help="concurrent simulated users")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    parser.add_argument("--mix", default="5:3:2", help="managers:auditors:POCs in the mix")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database", default="qa_bench_load", help="the scratch database")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a kept database without loading it"
    )
    _report.add_json_flag(parser)
    args = parser.parse_args()
    url, redis = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not url.startswith(("postgres://", "postgresql://")) or not redis:
        print(
            "bench/load.py needs PostgreSQL and Redis: set DATABASE_URL=postgres://… (a "
            "scratch database is created beside it) and REDIS_URL=redis://…",
            file=sys.stderr,
        )
        return 2
    with _report.human_text(args.json):
        results, ratios = _run(args, url)
    _report.finish(results, ratios, headline="overview_rps_vs_hello", as_json=args.json)
    return 0


def _environment(url: str, database: str) -> dict[str, str]:
    """What the bench process, gunicorn and the worker share: the scratch database,
    production-like settings (``_report.scratch_environment``), a host gunicorn accepts."""
    return {**_report.scratch_environment(url, database), "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}


def wsgi_app():
    """gunicorn's entry (``load:wsgi_app()``): the project plus /bench-hello/, static files
    without a collectstatic manifest, as bench/dashboards.py serves them."""
    warnings.filterwarnings("ignore", message="No directory at")
    import audit_pages
    import django

    django.setup()
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    audit_pages._add_baseline_view(settings)
    return get_wsgi_application()


def _run(args: argparse.Namespace, url: str) -> tuple[dict, dict]:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import audit_pages
    import dashboards

    env = _environment(url, args.database)
    os.environ.update(env)
    if not args.reuse:
        audit_pages._admin(
            url, f"DROP DATABASE IF EXISTS {args.database}", f"CREATE DATABASE {args.database}"
        )
    server = worker = None
    try:
        import django

        django.setup()
        import _dashboard_data as data
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        dataset = {"build_s": None}
        if args.reuse:
            world = dashboards._existing_world()
        else:
            started = time.perf_counter()
            world = data.load(args.tickets or 10 * args.audits, args.audits)
            dataset["build_s"] = time.perf_counter() - started
            print(f"dataset built in {dataset['build_s']:.0f} s")
        dataset["summary"] = data.summary()
        print(f"PostgreSQL {audit_pages._scalar('SHOW server_version')}: {dataset['summary']}")
        dataset["rebuild"] = dashboards._rebuild()
        users = _users(world, args)
        server, worker = _start(args, env)
        phases = {
            "hello": _phase(args, [_hello] * args.users, users),
            "overview": _phase(args, [_overview] * args.users, users),
            "mix": _phase(args, _mixed_roles(args), users),
        }
    finally:
        for process in (server, worker):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        if not (args.keep or args.reuse):
            audit_pages._admin(url, f"DROP DATABASE IF EXISTS {args.database}")
    load = os.getloadavg()
    print(
        f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
        f"({os.cpu_count()} cores)"
    )
    hello = phases["hello"]["pages"]["hello"]["rps"]
    overview = phases["overview"]["pages"]["overview"]["rps"]
    results = {
        "bench": "load",
        "parameters": {
            name: getattr(args, name)
            for name in ("audits", "tickets", "users", "duration", "mix", "workers", "reuse")
        },
        "dataset": dataset,
        "baseline": {"what": "a logged-in hello-world view, every user", "rps": hello},
        "phases": phases,
        "load_average": list(load),
        "cores": os.cpu_count(),
    }
    ratios = {"overview_rps_vs_hello": overview / hello if hello else None}
    for name, page in phases["mix"]["pages"].items():
        ratios[f"mix_{_key(name)}_p95_ms"] = page["p95_ms"]
    return results, ratios


def _key(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def _users(world: dict, args) -> dict:
    """Session cookies: the program manager, one per auditor with open audits (most open
    first) and a TOTP-enrolled POC of each vendor."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.db.models import Count

    from accounts.models import Role, User
    from audits.models import OPEN_STATUSES, Audit
    from vendors.models import Vendor

    auditors = (
        Audit.objects.filter(status__in=OPEN_STATUSES)
        .values("auditor")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("auditor", flat=True)[: args.users]
    )
    pocs = []
    for vendor in Vendor.objects.order_by("name"):
        poc, created = User.objects.get_or_create(
            email=f"poc@{vendor.slug}.bench.example",
            defaults={"role": Role.VENDOR_POC, "vendor": vendor},
        )
        if created:
            TOTP.activate(poc, generate_totp_secret())
        pocs.append((vendor.slug, _session(poc)))
    return {
        "manager": _session(world["manager"]),
        "auditors": [_session(user) for user in User.objects.filter(pk__in=list(auditors))],
        "pocs": pocs,
        "month": dashboards_month(world),
    }


def dashboards_month(world: dict) -> str:
    """The period the dashboards bench measures: the month of the 11th week's Wednesday."""
    import datetime as dt

    day = world["start"] + dt.timedelta(weeks=10, days=2)
    return urlencode({"period": "month", "date": day.isoformat()})


def _session(user) -> str:
    """A session key for ``user``, written as tests/factories.sign_in writes it."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def _start(args, env: dict) -> tuple[subprocess.Popen, subprocess.Popen]:
    """gunicorn and a Celery worker on the scratch database; returns once /healthz answers."""
    full = {**os.environ, **env}
    worker = subprocess.Popen(
        [
            str(VENV_BIN / "celery"),
            "-A",
            "qa_program",
            "worker",
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=full,
        stdout=sys.stderr,  # stdout stays the report's (--json)
    )
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "load:wsgi_app()",
            "--pythonpath",
            f"{ROOT},{ROOT / 'bench'}",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=full,
        stdout=sys.stderr,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _request(args.port, "GET", "/healthz", None)[0] == 200:
                return server, worker
        except OSError:
            time.sleep(0.5)
    server.terminate()
    worker.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def _request(
    port: int,
    method: str,
    path: str,
    session: str | None,
    body: dict | None = None,
    csrf: str | None = None,
) -> tuple[int, str]:
    """One request on a fresh connection (gunicorn's sync workers close each one)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Host": "127.0.0.1"}
    cookies = {"sessionid": session, "csrftoken": csrf}
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items() if value)
    if cookie:
        headers["Cookie"] = cookie
    payload = None
    if body is not None:
        payload = urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, payload, headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        if 300 <= response.status < 400:
            text = response.getheader("Location", "")
        return response.status, text
    finally:
        connection.close()


class Recorder:
    """Each page's response times and failures, shared by the user threads."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.lock = threading.Lock()

    def get(self, port, label, method, path, session, expect=(200,), **kwargs):
        started = time.perf_counter()
        try:
            status, text = _request(port, method, path, session, **kwargs)
        except OSError:
            status, text = 0, ""
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            if status in expect:
                self.times[label].append(elapsed)
            else:
                self.errors[label] += 1
        return status, text


# Each role is a function of (recorder, port, users, index) doing one round of its pages.
def _hello(rec, port, users, i):
    rec.get(port, "hello", "GET", "/bench-hello/", users["manager"])


def _overview(rec, port, users, i):
    rec.get(port, "overview", "GET", f"/scorecards/?{users['month']}", users["manager"])


def _manager(rec, port, users, i):
    vendor = f"vendor-{i % 10}"
    month, session = users["month"], users["manager"]
    rec.get(port, "overview", "GET", f"/scorecards/?{month}", session)
    rec.get(port, "scorecard", "GET", f"/scorecards/vendors/{vendor}/?{month}", session)
    rec.get(port, "trends", "GET", f"/scorecards/trends/?vendor={vendor}&{month}", session)


def _auditor(rec, port, users, i):
    """Open the queue, take the next audit (a POST), open its scoring page, submit it."""
    session = users["auditors"][i % len(users["auditors"])]
    form = {"csrfmiddlewaretoken": CSRF}
    rec.get(port, "auditor queue", "GET", "/audits/queue/", session)
    status, location = rec.get(
        port,
        "next audit",
        "POST",
        "/audits/queue/next/",
        session,
        expect=(302,),
        body=form,
        csrf=CSRF,
    )
    if status != 302 or "/score/" not in location:
        return  # the queue is empty: this auditor only browses it now
    path = urlsplit(location).path
    if rec.get(port, "scoring page", "GET", path, session)[0] != 200:
        return
    body = {**form, "time_spent_seconds": "180", **ANSWERS}
    rec.get(port, "submit audit", "POST", path, session, expect=(302,), body=body, csrf=CSRF)


def _poc(rec, port, users, i):
    _slug, session = users["pocs"][i % len(users["pocs"])]
    month = users["month"]
    rec.get(port, "portal scorecard", "GET", f"/portal/?{month}", session)
    rec.get(port, "portal themes", "GET", f"/portal/themes/?{month}", session)
    rec.get(port, "portal audits", "GET", f"/portal/audits/?{month}", session)


def _mixed_roles(args) -> list:
    weights = [int(part) for part in args.mix.split(":")]
    roles = [_manager] * weights[0] + [_auditor] * weights[1] + [_poc] * weights[2]
    return [roles[i * len(roles) // args.users] for i in range(args.users)]


def _phase(args, roles: list, users: dict) -> dict:
    """Every role on its own thread, looping until --duration is over."""
    rec = Recorder()
    stop = time.monotonic() + args.duration

    def loop(role, index):
        while time.monotonic() < stop:
            role(rec, args.port, users, index)

    threads = [threading.Thread(target=loop, args=(role, i)) for i, role in enumerate(roles)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    counts = Counter(role.__name__.strip("_") for role in roles)
    names = ", ".join(f"{n} {name}" for name, n in counts.items())
    print(f"\n{len(roles)} users ({names}), {elapsed:.0f} s, {args.workers} gunicorn workers")
    print(f"{'page':<18} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
    pages = {}
    for label in sorted(set(rec.times) | set(rec.errors)):
        times = rec.times.get(label, [])
        page = {
            "requests": len(times),
            "rps": len(times) / elapsed,
            "p50_ms": statistics.median(times) if times else None,
            "p95_ms": statistics.quantiles(times, n=20)[18] if len(times) > 1 else None,
            "errors": rec.errors.get(label, 0),
        }
        pages[label] = page
        p50 = f"{page['p50_ms']:8.1f}" if times else f"{'-':>8}"
        p95 = f"{page['p95_ms']:8.1f}" if len(times) > 1 else f"{'-':>8}"
        print(
            f"{label:<18} {page['requests']:8d} {page['rps']:7.1f} {p50} {p95} {page['errors']:7d}"
        )
    return {"users": names, "seconds": elapsed, "pages": pages}


if __name__ == "__main__":
    sys.exit(main())
