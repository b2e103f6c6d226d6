"""A real Celery worker for any task family, plus task-running fixtures.

``live_celery_worker`` starts ``celery -A qa_program worker`` as a subprocess against the
test database and REDIS_URL, and skips (with the reason shown in the pytest summary) when
there is no Redis or the database is not PostgreSQL (a worker process cannot see an
in-memory SQLite test database). Loaded for every test by ``pytest_plugins`` in
tests/conftest.py.
"""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

WORKER_START_TIMEOUT = 60


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded files go to a temporary directory, not the project's media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@contextmanager
def tasks_in_process():
    """Celery tasks run in the calling process inside the block (``task_always_eager``), and
    as they did before it afterwards."""
    from qa_program.celery import app

    was = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = was


@pytest.fixture(autouse=True)
def eager_tasks():
    """Run Celery tasks in-process even when REDIS_URL is set: most tests are about pages
    and outcomes, not the worker. ``live_celery_worker`` turns this off for its test."""
    with tasks_in_process():
        yield


def _worker_environment(media_dir: Path) -> dict:
    """The test process's environment, pointed at the test database pytest-django made."""
    from django.db import connection

    real = urlsplit(os.environ["DATABASE_URL"])
    # Not a test worker itself: REDIS_URL below already names this test worker's database.
    inherited = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}
    return {
        **inherited,
        "DATABASE_URL": urlunsplit(real._replace(path="/" + connection.settings_dict["NAME"])),
        "REDIS_URL": django_settings.REDIS_URL,
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "test-only-secret-key"),
        "QA_MEDIA_ROOT": str(media_dir),
        # The system checks (which import every view) run in the test process and in
        # tests/test_settings.py; a worker started twenty times a run skips them.
        "CELERY_SKIP_CHECKS": "1",
    }


def require_live_worker() -> None:
    """Skip, with the reason in the pytest summary, unless a worker process can take part:
    Redis for the broker and PostgreSQL for a test database another process can see."""
    from django.db import connection

    if not django_settings.REDIS_URL:
        pytest.skip("REDIS_URL is unset: the real Celery worker test needs Redis")
    if connection.vendor != "postgresql":
        pytest.skip(
            "a Celery worker process cannot reach the in-memory SQLite test database; "
            "set DATABASE_URL to PostgreSQL"
        )


@pytest.fixture
def live_celery_worker(transactional_db, settings, tmp_path):
    """A real ``celery worker`` process on REDIS_URL and the test database.

    Needs ``transactional_db`` (the worker is another connection: it only sees committed
    rows). Yields the worker process; the test's uploaded files go to a media directory
    the worker shares. Pending messages are purged first so the worker runs only this
    test's tasks. The worker's log is ``worker.log`` in the test's tmp_path
    (``live_celery_worker.log()`` reads it), to show that the task ran there.
    """
    require_live_worker()
    from qa_program.celery import app

    media_dir = tmp_path / "media"
    settings.MEDIA_ROOT = media_dir
    app.conf.task_always_eager = False  # restored by eager_tasks
    app.control.purge()
    cache.clear()  # marks of an earlier test's scheduled work (e.g. a rollup flush) go too
    worker = start_celery_worker(tmp_path / "worker.log", media_dir)
    try:
        yield worker
    finally:
        stop_celery_worker(worker)


@dataclass
class RunningWorker:
    process: subprocess.Popen
    log_path: Path
    hostname: str = ""

    def log(self) -> str:
        return self.log_path.read_text()

    def log_once_it_says(self, text: str, seconds: float = 30) -> str:
        """The log, once it holds ``text``: a task writes its results before the worker
        logs that it succeeded, so a test that saw the result may be ahead of the log."""
        deadline = time.monotonic() + seconds
        while text not in (log := self.log()) and time.monotonic() < deadline:
            time.sleep(0.1)
        return log


def start_celery_worker(
    log_path: Path, media_dir: Path, *, name: str = "test-worker", extra_env: dict | None = None
) -> RunningWorker:
    """Start a solo-pool worker on the test database and REDIS_URL and wait until it answers
    a ping. ``name`` keeps the hostnames of several workers in one test apart; ``extra_env``
    is added to its environment (e.g. a short ``CELERY_VISIBILITY_TIMEOUT``). The caller
    stops it with ``stop_celery_worker`` in a ``finally``; a worker that never gets ready is
    stopped here."""
    from qa_program.celery import app

    hostname = f"{name}-{os.getpid()}@{socket.gethostname()}"
    with log_path.open("w") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "qa_program",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--loglevel=info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname={hostname}",
            ],
            cwd=django_settings.BASE_DIR,
            env={**_worker_environment(media_dir), **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    worker = RunningWorker(process, log_path, hostname)
    try:
        _wait_until_ready(app, process, hostname, log_path)
    except BaseException:
        stop_celery_worker(worker)
        raise
    return worker


def stop_celery_worker(worker: RunningWorker, *, kill: bool = False) -> None:
    """Stop ``worker``: SIGTERM and up to 20 s to finish, then SIGKILL; ``kill=True`` sends
    SIGKILL at once (a worker dying mid-task). Safe to call on a worker already gone."""
    if worker.process.poll() is None and not kill:
        worker.process.terminate()
        try:
            worker.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    if worker.process.poll() is None:
        worker.process.kill()
    worker.process.wait(timeout=20)


def _wait_until_ready(app, worker: subprocess.Popen, hostname: str, log_path: Path) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"the Celery worker exited at start:\n{log_path.read_text()}")
        if app.control.ping(destination=[hostname], timeout=1.0):
            return
    pytest.fail(
        f"the Celery worker did not answer a ping in {WORKER_START_TIMEOUT} s:\n"
        f"{log_path.read_text()}"
    )
