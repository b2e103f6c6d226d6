"""How every benchmark reports its result: the output contract, in one place.

Human mode prints the bench's own text and ends with ``RATIO name=value``, its headline
ratio to 2 decimals. With ``--json`` stdout carries one JSON object instead (measurements,
baseline, every ratio, dataset size and parameters, and ``"ratio": {name: value}``); the
bench's text then goes to stderr as progress, without the RATIO line, so stdout stays
valid JSON. docs/benchmarks.md ("Output") explains the choice.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object on stdout (the text goes to stderr)",
    )


@contextlib.contextmanager
def human_text(as_json: bool) -> Iterator[None]:
    """Around a bench's run: in --json mode its prints go to stderr, keeping stdout for JSON."""
    if not as_json:
        yield
        return
    with contextlib.redirect_stdout(sys.stderr):
        yield


def finish(results: dict, ratios: dict[str, float | None], *, headline: str, as_json: bool) -> None:
    """Print the closing report: ``RATIO headline=value`` last, or the JSON object.

    ``ratios`` holds every ratio the bench computed (None for one it could not measure);
    ``headline`` names the one the RATIO line carries.
    """
    rounded = {name: None if value is None else round(value, 2) for name, value in ratios.items()}
    value = rounded[headline]
    if as_json:
        report = {**results, "ratios": rounded, "ratio": {headline: value}}
        # allow_nan=False: a NaN or an infinity fails here rather than emitting invalid JSON.
        print(json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print(f"RATIO {headline}={'nan' if value is None else f'{value:.2f}'}")


def postgres_url(script: str) -> str | None:
    """``DATABASE_URL`` when it names PostgreSQL (the benches create a scratch database beside
    it); otherwise None, after saying so on stderr (the caller exits with 2)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url
    print(
        f"bench/{script} needs PostgreSQL: set DATABASE_URL=postgres://… "
        "(any database on the server; a scratch database is created beside it).",
        file=sys.stderr,
    )
    return None


def scratch_environment(url: str, database: str) -> dict[str, str]:
    """The environment a bench runs Django in: ``database`` beside ``url``'s on the same
    server, production-like settings (no DEBUG, so no query logging; no https redirect for
    plain-http requests), warnings only in the log. A secret key, a settings module or a log
    level already set are kept."""
    return {
        "DATABASE_URL": urlunsplit(urlsplit(url)._replace(path=f"/{database}")),
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only-secret-key"),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "qa_program.settings"),
        "DJANGO_LOG_LEVEL": os.environ.get("DJANGO_LOG_LEVEL", "WARNING"),
    }
