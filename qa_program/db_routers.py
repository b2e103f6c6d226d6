"""Reads from a PostgreSQL streaming replica (``DATABASE_REPLICA_URL``), writes to the primary.

A request may read from the replica only when all of these hold (docs/operations.md,
"PostgreSQL primary and replicas"):

- the replica is configured (without it the middleware is not used and every query goes to
  ``default``, as before);
- it is a GET or HEAD of a page listed in ``REPLICA_VIEWS`` or under ``REPLICA_ROUTES``
  (dashboards, exports, the API's read endpoints), which ``ReplicaReadsMiddleware`` marks in
  a context variable for the view and, for a streamed file, for the streaming too;
- its caller is not pinned to the primary: any POST, PUT, PATCH or DELETE sets a cookie, and a
  request with an ``Authorization`` header a cache entry keyed by a digest of it, for
  ``DATABASE_REPLICA_PIN_SECONDS``, so whoever just wrote reads what they wrote;
- the request has not written yet (the router's first write clears the mark), is not inside a
  transaction, and the model is not one of ``PRIMARY_ONLY_APPS`` (logins, sessions, roles and
  tokens take effect at once).

Everything else — Celery workers, commands, migrations, every other page — uses ``default``.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

# Views (``namespace:url_name``, shell patterns) whose GETs may read from the replica.
REPLICA_VIEWS = (
    "scorecards:*",
    "audits:export_csv",
    "audits:export_xlsx",
    "portal:home",
    "portal:themes",
    "portal:audits_csv",
)
# URL routes whose GETs may read from the replica: the API's list and detail endpoints.
REPLICA_ROUTES = ("api/v1/",)
# Identity, sessions and tokens are always read from the primary.
PRIMARY_ONLY_APPS = frozenset(
    {
        "accounts",
        "auth",
        "authtoken",
        "sessions",
        "contenttypes",
        "admin",
        "account",
        "mfa",
        "socialaccount",
        "django_celery_beat",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD"})
PIN_COOKIE = "qa_primary"

_replica_reads: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "qa_replica_reads", default=False
)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextlib.contextmanager
def reading_from_replica() -> Iterator[None]:
    """Reads inside the block may go to the replica (the router still keeps writes,
    transactions and ``PRIMARY_ONLY_APPS`` on the primary)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class PrimaryReplicaRouter:
    """Every write goes to ``default``; a read goes to the replica only when this request
    was marked for it and has not written, and never inside a transaction."""

    def db_for_read(self, model, **hints):
        if (
            _replica_reads.get()
            and model._meta.app_label not in PRIMARY_ONLY_APPS
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        # Explicit, so an object read from the replica earlier in this request does not pull
        # its related rows from there after a write.
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        # From the first write on, this request reads its own writes.
        if _replica_reads.get():
            _replica_reads.set(False)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Primary and replica hold the same rows.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA


def _pin_key(request) -> str | None:
    header = request.headers.get("Authorization")
    if not header:
        return None
    return "qa:primary-pin:" + hashlib.sha256(header.encode()).hexdigest()


def _pinned(request) -> bool:
    if PIN_COOKIE in request.COOKIES:
        return True
    key = _pin_key(request)
    return bool(key and cache.get(key))


def _pin(request, response) -> None:
    seconds = settings.DATABASE_REPLICA_PIN_SECONDS
    response.set_cookie(
        PIN_COOKIE,
        "1",
        max_age=seconds,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    if key := _pin_key(request):
        cache.set(key, 1, seconds)


def replica_eligible(match) -> bool:
    """Whether a GET of the resolved view may read from the replica."""
    if match is None:
        return False
    if any(match.route.startswith(prefix) for prefix in REPLICA_ROUTES):
        return True
    return any(fnmatchcase(match.view_name, pattern) for pattern in REPLICA_VIEWS)


def _in_context(context: contextvars.Context, chunks: Iterable) -> Iterator:
    """A streamed response's chunks, each produced inside ``context`` (the view's)."""
    iterator = iter(chunks)
    while True:
        try:
            yield context.run(next, iterator)
        except StopIteration:
            return


class ReplicaReadsMiddleware:
    """Marks the requests that may read from the replica, and pins writers to the primary."""

    def __init__(self, get_response):
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        request.replica_reads_token = None
        response = self.get_response(request)
        token = request.replica_reads_token
        if token is not None:
            if response.streaming and not getattr(response, "is_async", False):
                response.streaming_content = _in_context(
                    contextvars.copy_context(), response.streaming_content
                )
            _replica_reads.reset(token)
        if request.method not in SAFE_METHODS:
            _pin(request, response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            request.method in SAFE_METHODS
            and replica_eligible(request.resolver_match)
            and not _pinned(request)
        ):
            request.replica_reads_token = _replica_reads.set(True)
        return None
