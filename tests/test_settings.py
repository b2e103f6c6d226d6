"""The one settings module, read from the environment.

Settings are computed once per process, so each story starts a fresh Python with exactly
the environment it describes (nothing inherited from the test run).
"""

import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY_KEY = secrets.token_urlsafe(60)  # 80 random characters, as production would use


def run_python(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run this project's Python in ROOT with only ``env`` (plus PATH) set."""
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tempfile.gettempdir()}
    clean.update(env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def settings_under(env: dict[str, str], *names: str) -> dict:
    """The named settings as a fresh process configured by ``env`` sees them."""
    code = (
        "import json, sys\n"
        "from django.conf import settings\n"
        "print(json.dumps({n: getattr(settings, n) for n in sys.argv[1:]}, default=str))\n"
    )
    result = run_python(
        {"DJANGO_SETTINGS_MODULE": "qa_program.settings", **env}, "-c", code, *names
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


PRODUCTION = {"DJANGO_SECRET_KEY": DEPLOY_KEY, "DJANGO_ALLOWED_HOSTS": "qa.example.com"}


def test_with_no_database_url_the_app_uses_a_sqlite_file_in_the_project():
    database = settings_under(PRODUCTION, "DATABASES")["DATABASES"]["default"]

    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(ROOT / "db.sqlite3")


def test_a_sqlite_database_url_is_used_as_given(tmp_path):
    path = tmp_path / "program.sqlite3"

    database = settings_under({**PRODUCTION, "DATABASE_URL": f"sqlite:///{path}"}, "DATABASES")

    assert database["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert database["DATABASES"]["default"]["NAME"] == str(path)


def test_a_postgres_database_url_configures_postgresql():
    url = "postgres://qa:s3cret@db.internal:5433/qa_program"

    database = settings_under({**PRODUCTION, "DATABASE_URL": url}, "DATABASES")
    default = database["DATABASES"]["default"]

    assert default["ENGINE"] == "django.db.backends.postgresql"
    assert (default["HOST"], default["PORT"]) == ("db.internal", 5433)
    assert default["NAME"] == "qa_program"
    assert (default["USER"], default["PASSWORD"]) == ("qa", "s3cret")


def test_without_redis_celery_runs_tasks_eagerly_in_process():
    found = settings_under(
        PRODUCTION, "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL", "REDIS_URL", "CACHES"
    )

    assert found["CELERY_TASK_ALWAYS_EAGER"] is True
    assert found["CELERY_BROKER_URL"] == "memory://"
    assert found["REDIS_URL"] == ""
    assert found["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")


def test_with_redis_celery_sends_tasks_to_the_broker_and_the_cache_is_shared():
    url = "redis://cache.internal:6379/3"

    found = settings_under(
        {**PRODUCTION, "REDIS_URL": url},
        "CELERY_TASK_ALWAYS_EAGER",
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
        "CACHES",
    )

    assert found["CELERY_TASK_ALWAYS_EAGER"] is False
    assert found["CELERY_BROKER_URL"] == url
    assert found["CELERY_RESULT_BACKEND"] == url
    assert found["CACHES"]["default"]["LOCATION"] == url


@pytest.mark.parametrize(
    ("value", "debug"),
    [(None, False), ("", False), ("0", False), ("false", False), ("1", True), ("true", True)],
)
def test_debug_is_off_unless_explicitly_turned_on(value, debug):
    env = dict(PRODUCTION)
    if value is not None:
        env["DJANGO_DEBUG"] = value

    assert settings_under(env, "DEBUG")["DEBUG"] is debug


def test_without_a_secret_key_and_without_debug_the_app_refuses_to_start():
    result = run_python(
        {"DJANGO_SETTINGS_MODULE": "qa_program.settings"},
        "-c",
        "from django.conf import settings; settings.DEBUG",
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_without_a_secret_key_uses_a_development_key():
    found = settings_under({"DJANGO_DEBUG": "1"}, "SECRET_KEY", "ALLOWED_HOSTS")

    assert found["SECRET_KEY"].startswith("insecure-development-key")
    assert found["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]


def test_allowed_hosts_are_a_comma_separated_list():
    env = {**PRODUCTION, "DJANGO_ALLOWED_HOSTS": " qa.example.com, .internal.example ,,"}

    assert settings_under(env, "ALLOWED_HOSTS")["ALLOWED_HOSTS"] == [
        "qa.example.com",
        ".internal.example",
    ]


def test_without_debug_no_host_is_allowed_until_configured():
    env = {"DJANGO_SECRET_KEY": DEPLOY_KEY}

    assert settings_under(env, "ALLOWED_HOSTS")["ALLOWED_HOSTS"] == []


def test_an_email_host_switches_mail_to_smtp():
    env = {
        **PRODUCTION,
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": "2525",
        "EMAIL_HOST_USER": "qa-mailer",
        "EMAIL_HOST_PASSWORD": "mail-secret",
        "EMAIL_USE_TLS": "0",
        "DEFAULT_FROM_EMAIL": "qa@example.com",
    }

    found = settings_under(
        env,
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
        "EMAIL_USE_TLS",
        "DEFAULT_FROM_EMAIL",
    )

    assert found == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": 2525,
        "EMAIL_HOST_USER": "qa-mailer",
        "EMAIL_HOST_PASSWORD": "mail-secret",
        "EMAIL_USE_TLS": False,
        "DEFAULT_FROM_EMAIL": "qa@example.com",
    }


def test_without_an_email_host_mail_is_printed_to_the_console():
    found = settings_under(PRODUCTION, "EMAIL_BACKEND")

    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_a_production_configuration_passes_the_deployment_checklist():
    env = {**PRODUCTION, "DJANGO_DEBUG": "0"}
    assert len(env["DJANGO_SECRET_KEY"]) >= 50

    result = run_python(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
