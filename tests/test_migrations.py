"""Every model change ships with its migration, so a fresh `migrate` builds the real schema."""

import os
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

# `migrate` from nothing on SQLite, in a process of its own, takes half a minute of CPU.
pytestmark = pytest.mark.slow(seconds=30)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"models have changes without a migration:\n{out.getvalue()}")


def test_a_fresh_sqlite_database_migrates_from_nothing(tmp_path):
    """`make demo` migrates an empty SQLite file: every migration must run there too (SQLite
    rebuilds a table to change it, which a view over the table blocks)."""
    env = {**os.environ, "DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    done = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "analyst_audits" in _sqlite_views(tmp_path / "demo.db")


def _sqlite_views(path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'view'")}
