"""Shared fixtures: a small program with two vendors and one person of each role.

Run with DATABASE_URL set to a PostgreSQL URL and the same tests run there; with REDIS_URL
set the Celery tests use a real worker.
"""

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import tempfile
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from pytest_django.plugin import blocking_manager_key

from accounts.models import Role
from audit_forms.catalog import ensure_default_categories
from tests.audits.workspace_helpers import published_form
from tests.factories import (
    SiteFactory,
    UserFactory,
    VendorFactory,
    WorkflowFactory,
    enrol_totp,
    session_of,
)
from tests.security_fixtures import build_world

pytest_plugins = ["tests.live_worker"]

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's test database, made faster on PostgreSQL: every process (each xdist
    worker, or a plain run) copies a template database (CREATE DATABASE … TEMPLATE) migrated
    once per set of migrations, instead of running every migration itself."""
    from django.test.utils import setup_databases, teardown_databases

    verbosity = request.config.option.verbose
    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql" and not keepdb:
            databases = [copy_of_migrated_template(rebuild=django_db_createdb)]
        else:
            databases = setup_databases(verbosity=verbosity, interactive=False, keepdb=keepdb)
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(databases, verbosity=verbosity)


def migrations_fingerprint() -> str:
    """A digest of every installed app's migration files: a template migrated from the same
    files is the same database, so it is kept between runs and rebuilt when one changes."""
    from django.apps import apps

    digest = hashlib.sha256()
    for config in sorted(apps.get_app_configs(), key=lambda config: config.label):
        folder = Path(config.path) / "migrations"
        for path in sorted(folder.glob("*.py")):
            digest.update(f"{config.label}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def copy_of_migrated_template(rebuild: bool):
    """This process's test database as a copy of ``test_<name>_template_<fingerprint>``,
    migrated by the first process that needs it (``--create-db`` migrates it again) and kept
    for later runs; templates of older migrations are dropped. One process at a time holds the
    lock, since PostgreSQL copies a template only while nobody else is connected to it."""
    creation = connection.creation
    original = connection.settings_dict["NAME"]
    own = creation._get_test_db_name()  # test_<name>, or test_<name>_gw<N> under xdist
    prefix = own.rsplit("_gw", 1)[0] + "_template_"
    template = prefix + migrations_fingerprint()
    scratch = Path(tempfile.gettempdir())
    with open(scratch / f"{prefix}lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with creation._nodb_cursor() as cursor:
            cursor.execute("SELECT datname, shobj_description(oid, 'pg_database') "
                           "FROM pg_database WHERE left(datname, %s) = %s", [len(prefix), prefix])
            templates = dict(cursor.fetchall())
        if rebuild or templates.get(template) != MIGRATED:
            connection.settings_dict["TEST"]["NAME"] = template
            creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
            connection.close()
            connection.settings_dict["TEST"]["NAME"] = own
            django_settings.DATABASES[connection.alias]["NAME"] = original
            connection.settings_dict["NAME"] = original
        with creation._nodb_cursor() as cursor:
            cursor.execute(f"COMMENT ON DATABASE \"{template}\" IS '{MIGRATED}'")
            for stale in set(templates) - {template}:
                with contextlib.suppress(DatabaseError):  # still open in a run of older code
                    cursor.execute(f'DROP DATABASE IF EXISTS "{stale}"')
            cursor.execute(f'DROP DATABASE IF EXISTS "{own}"')
            cursor.execute(f'CREATE DATABASE "{own}" TEMPLATE "{template}"')
            # A test database need not survive a crash: commits return without waiting for
            # the disk (the browser, worker and concurrency tests commit for real).
            cursor.execute(f'ALTER DATABASE "{own}" SET synchronous_commit TO off')
            # Its tables are tiny, but never analysed: the planner's guesses put the rollups'
            # grouped queries past jit_above_cost, and compiling them costs more than running
            # them (about a tenth of PostgreSQL's CPU in the suite).
            cursor.execute(f'ALTER DATABASE "{own}" SET jit TO off')
    django_settings.DATABASES[connection.alias]["NAME"] = own
    connection.settings_dict["NAME"] = own
    connection.ensure_connection()
    return connection, original, True


MIGRATED = "migrated"  # the comment a template gets once every migration ran in it


def rows_for_every_test(django_db_blocker, build):
    """For a module- or class-scoped fixture (``yield from rows_for_every_test(blocker, f)``):
    ``build()``'s rows, made once for all the tests of the scope inside a transaction rolled
    back after the last of them. Each test runs in a savepoint of it (pytest-django's ``db``),
    so what a test changes goes with the test. The rows' deferred foreign keys are checked
    here, once: each test's end checks only what that test left pending."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            rows = build()
            connection.check_constraints()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    try:
        yield rows
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def answered_from_the_program(*names: str, in_a_class: bool = False, **keys: str) -> tuple:
    """Fixtures of this file that a module's tests ask for (``manager="manager"``,
    ``vendor_a="vendor"``: fixture name = key of the program's dict; a bare name is its own
    key), answered from the module's (or, ``in_a_class``, the class's) ``program`` fixture
    instead of made anew. Assign them to the same names, in the order given:
    ``manager, vendor_a = answered_from_the_program("manager", vendor_a="vendor")``."""
    def fixture(name: str, key: str):
        if in_a_class:  # pytest calls a fixture defined in a class body as a method
            return pytest.fixture(name=name)(lambda self, program, db: program[key])
        return pytest.fixture(name=name)(lambda program, db: program[key])

    keys = {**{name: name for name in names}, **keys}
    return tuple(fixture(name, key) for name, key in keys.items())


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Test users' passwords are hashed with MD5: production's PBKDF2 costs 0.3 s a hash, and
    the suite makes thousands of users and logins. Production keeps Django's default
    hashers (the settings name none)."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


def pytest_collection_modifyitems(items):
    """Files that need no database first, then long files: the files marked slow (longest
    first, by the ``seconds`` a file's mark gives), then those that start a browser or a
    Celery worker, then the rest. A parallel run hands out files in collection order: while
    the first worker to need the database migrates the template, the others run the pure
    files, and a long file handed out last would keep one worker busy while the others
    wait."""
    with_database = {item.path for item in items if needs_database(item)}

    def rank(item) -> tuple[bool, int, float]:
        slow = item.get_closest_marker("slow")
        if slow:
            group, longest = 0, -slow.kwargs.get("seconds", 0)
        elif item.get_closest_marker("browser") or item.get_closest_marker("celery_worker"):
            group, longest = 1, 0
        else:
            group, longest = 2, 0
        return (item.path in with_database, group, longest)

    items.sort(key=rank)


def pytest_xdist_make_scheduler(config, log):
    """Files handed out one at a time, as a worker starts its file's last test. xdist queues
    the next file behind a worker's current one as soon as two tests of it are left, and a
    long file of two tests (the migration trip) then holds the file behind it, perhaps long
    too, for minutes while the other workers run out of work."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class OneFileAhead(LoadFileScheduling):
        def _reschedule(self, node) -> None:
            if not node.shutting_down and self.workqueue and self._pending_of(
                    self.assigned_work[node]) > 1:
                return
            super()._reschedule(node)

    return OneFileAhead(config, log)


def needs_database(item) -> bool:
    return bool(item.get_closest_marker("django_db")) or bool(
        {"django_db_setup", "live_server"} & set(item.fixturenames))


def commits(item) -> bool:
    """The test commits for real (a live server, a worker, concurrent connections)."""
    marker = item.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(item.fixturenames)
    )


# Rows `migrate` makes (post_migrate) that no test changes: kept when a committing test's
# tables are emptied, so their ids (and Django's content-type cache) stay the same.
KEPT_WHEN_EMPTIED = {"django_content_type", "auth_permission"}


@pytest.fixture(autouse=True, scope="session")
def committed_rows_deleted_not_truncated():
    """A test that commits ends by emptying every table. Django's ``flush`` truncates them, on
    PostgreSQL 0.6 s a time (a new file for each of some ninety tables, then the content
    types and permissions made again); deleting the few rows such a test leaves costs 0.01 s.
    One transaction, the foreign keys checked at its end; should one not be deferrable, the
    test falls back to Django's flush."""
    from django.test import TransactionTestCase

    flush = TransactionTestCase._fixture_teardown

    def empty_every_table(self):
        if connection.vendor != "postgresql" or self.available_apps is not None:
            return flush(self)
        tables = [table for table in connection.introspection.django_table_names(
            only_existing=True, include_views=False) if table not in KEPT_WHEN_EMPTIED]
        quote = connection.ops.quote_name
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                for table in tables:
                    cursor.execute(f"DELETE FROM {quote(table)}")
        except DatabaseError:
            return flush(self)

    TransactionTestCase._fixture_teardown = empty_every_table
    yield
    TransactionTestCase._fixture_teardown = flush


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A test that commits ends by emptying every table (its last fixture teardown), and with
    them the default error categories that migration 0004 seeds: they are put back for the
    tests that run after it in the same process (after the last one, the test database is gone)."""
    result = yield
    if commits(item) and nextitem is not None:
        with item.config.stash[blocking_manager_key].unblock():
            ensure_default_categories()
    return result


FROZEN_NOW = "QA_FROZEN_NOW"


@pytest.fixture(autouse=True, scope="session")
def calendar_day_under_test():
    """With QA_FROZEN_NOW set (an ISO datetime, e.g. 2026-12-31T09:00:00+00:00) the whole run
    happens on that day, the clock ticking on from it: CI runs the date-sensitive tests on a
    month's first day, in ISO week 53, on New Year's Day and on a DST change, so no test
    passes only on the day it was written. A test that freezes its own clock still wins."""
    value = os.environ.get(FROZEN_NOW)
    if not value:
        yield None
        return
    moment = dt.datetime.fromisoformat(value)
    with time_machine.travel(moment, tick=True):
        yield moment


@pytest.fixture(autouse=True)
def static_files_without_manifest(settings):
    """The suite runs with DEBUG off, where production serves hashed static files from a
    collectstatic manifest; tests render pages without running collectstatic."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def forget_cached(pattern: str) -> None:
    """Drop the cache's keys matching ``pattern``. Locally the cache is a LocMemCache and is
    simply cleared; on Redis only those keys go, because that Redis database is also Celery's
    broker."""
    from django.core.cache import cache

    client = getattr(cache, "_cache", None)
    if hasattr(client, "get_client"):
        redis = client.get_client(write=True)
        keys = list(redis.scan_iter(match=pattern))
        if keys:
            redis.delete(*keys)
    else:
        cache.clear()


def forget_login_attempts() -> None:
    """Drop allauth's rate-limit counters."""
    forget_cached("*allauth:rl:*")


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Every test starts with no failed logins counted against 127.0.0.1 or any email."""
    forget_login_attempts()


@pytest.fixture(autouse=True, scope="session")
def no_progress_of_an_earlier_run():
    """A run's test database numbers its jobs from where the template left off, as the last
    run's did, and the progress records (accounts.progress) of that run's jobs outlive it in
    Redis: an upload's status page would open on the last run's "2 of 2 rows imported"."""
    forget_cached("*progress:*")


@pytest.fixture(autouse=True)
def local_servers_over_plain_http(settings):
    """The tests' IdPs and help desks are plain-http servers on 127.0.0.1, which production
    refuses (accounts.outbound; tests/accounts/test_vendor_sso.py checks the refusal)."""
    settings.QA_PLAIN_HTTP_TO_LOCALHOST = True


@pytest.fixture(autouse=True)
def fresh_page_cache():
    """Every test starts under a new rollups version, so no page cached by an earlier test
    (its database rolled back, the cache not) is served (scorecards.page_cache). Keys carry
    the database's name: xdist workers sharing one Redis never meet."""
    from rollups.version import new_version

    new_version()


@pytest.fixture(autouse=True)
def fresh_form_specs():
    """Every test reads published forms afresh (audit_forms.catalog.frozen_spec): a test
    database that rolls back, or resets its ids as the demo's seed does, may give a form's
    id to another form published at the same frozen instant."""
    from audit_forms.catalog import frozen_spec

    frozen_spec.cache_clear()


@pytest.fixture
def vendor_a(db):
    return VendorFactory(name="Acme Moderation", slug="acme")


@pytest.fixture
def vendor_b(db):
    return VendorFactory(name="Borealis Support", slug="borealis")


@pytest.fixture
def site_a(vendor_a):
    return SiteFactory(vendor=vendor_a, name="Manila", slug="manila")


@pytest.fixture
def site_b(vendor_b):
    return SiteFactory(
        vendor=vendor_b, name="Bogotá", slug="bogota", country="CO", timezone="America/Bogota"
    )


@pytest.fixture
def workflow(db):
    return WorkflowFactory(name="Hate speech (EN)", slug="hate-speech-en")


@pytest.fixture
def manager(db):
    return UserFactory(email="manager@example.com", role=Role.PROGRAM_MANAGER)


@pytest.fixture
def auditor(db):
    return UserFactory(email="auditor@example.com", role=Role.QA_AUDITOR)


@pytest.fixture
def poc_a(vendor_a):
    """A vendor POC of vendor A who has enrolled TOTP, as every vendor user must."""
    user = UserFactory(email="poc@acme.example", role=Role.VENDOR_POC, vendor=vendor_a)
    user.totp_secret = enrol_totp(user)
    return user


@pytest.fixture
def poc_b(vendor_b):
    """A vendor POC of vendor B, TOTP enrolled: the other vendor, whose data A must not see."""
    user = UserFactory(email="poc@borealis.example", role=Role.VENDOR_POC, vendor=vendor_b)
    user.totp_secret = enrol_totp(user)
    return user


@pytest.fixture
def client_as(client):
    """``client_as(user)`` logs the test client in as ``user`` and returns it."""

    def login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return login


def redis_url() -> str:
    return os.environ.get("REDIS_URL", "")


def on_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="module")
def browser(django_db_setup):
    """A real headless Chromium (Debian's package), driven by Playwright.

    Playwright's sync API keeps an asyncio loop running in the test thread while it is
    started, and Django refuses database calls from a thread with a running loop. The test
    thread only drives the browser and writes fixtures (pages are served by the live
    server's own thread), so that check is lifted while Playwright runs, and only then: the
    browser starts per module, after the test database exists.
    """
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def page(browser, live_server, settings):
    """A fresh browser tab pointed at the live test server (plain HTTP, so no SSL redirect)."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def log_in(page):
    """Log in through the real allauth login form; TOTP is answered when asked."""
    from tests.factories import PASSWORD, totp_code

    def login(user):
        page.goto("/accounts/login/")
        page.fill("input[name=login]", user.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        secret = getattr(user, "totp_secret", None)
        if secret:
            page.wait_for_selector("input[name=code]")
            page.fill("input[name=code]", totp_code(secret))
            page.click("form button[type=submit]")
        page.wait_for_load_state()
        return page

    return login


@pytest.fixture
def signed_in(page, live_server):
    """``signed_in(user)`` gives the browser a session of ``user``, as a login leaves it, and
    loads no page: the test opens its own next. A login through the form costs four pages
    (the form, the TOTP step, the landing page) that a test of what comes after throws away;
    the form and its TOTP step are walked by the tests that use ``log_in``."""
    def sign_in(user):
        page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME,
                                   "value": session_of(user), "url": live_server.url}])
        return page

    return sign_in


@pytest.fixture
def postgres_only(transactional_db):
    """Tests of concurrent connections to one test database: PostgreSQL only."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: concurrent connections to one test database (set DATABASE_URL)"
        )


@pytest.fixture
def version(workflow, manager):
    """The published moderation scorecard of tests/audits/workspace_helpers.py."""
    return published_form(workflow, by=manager)


@pytest.fixture
def step(django_capture_on_commit_callbacks):
    """Run one lifecycle step and, as in production, what it queued on commit (the cell
    refresh, eager)."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


@pytest.fixture
def world(vendor_a, site_a, vendor_b, site_b, workflow, manager, auditor, poc_a):
    """Two vendors' worth of every kind of object, for the tests that vendor A's POC reaches
    nothing of vendor B's (tests/security_fixtures.py)."""
    return build_world(
        vendor_a=vendor_a, site_a=site_a, vendor_b=vendor_b, site_b=site_b, workflow=workflow,
        manager=manager, auditor=auditor, poc_a=poc_a,
    )
