"""The rollups' version: a token in the shared cache that changes whenever the rollups do, so
a page computed from them can be cached under it (``scorecards.page_cache``) and is never
served once they have changed.

``rollups.writer`` calls ``rollups_changed`` inside every refresh's and rebuild's transaction.
The token changes at once (a reader in the same transaction sees the new cells under the new
token) and again when the transaction commits: a reader elsewhere may have cached the numbers
of before the commit under the first new token, and the second one makes sure nobody reads
that entry. A token is random, not a counter, so a cache that lost it (evicted, restarted)
can never hand out an old page under a reissued version.

The cache must be shared by every web process (Redis in production): a per-process cache
(LocMemCache, the single-process development server) would keep each process's token to
itself. Keys carry the database's name, so two programs (or test workers) sharing one Redis
never read each other's pages. docs/architecture.md ("Page cache") has the whole mechanism.
"""

from __future__ import annotations

import logging
import uuid

from django.core.cache import cache
from django.db import connection, transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _key() -> str:
    return f"rollups-version:{connection.settings_dict['NAME']}"


def rollups_version() -> str:
    """The current token (a new one is issued if the cache has none)."""
    token = cache.get(_key())
    if token is None:
        cache.add(_key(), uuid.uuid4().hex, timeout=None)
        token = cache.get(_key())
    return token


def new_version() -> None:
    """Issue a new token: every page cached under the old one is out of date."""
    cache.set(_key(), uuid.uuid4().hex, timeout=None)


def rollups_changed() -> None:
    """Called by the writer inside its transaction: a new token now and once it commits.
    An unreachable cache does not fail the write: pages read without it meanwhile, and the
    renewal on commit is still tried (a cache back by then gets its new token; one still
    down is logged, and its entries lapse after PAGE_CACHE_SECONDS)."""
    try:
        new_version()
    except RedisError:
        logger.warning("rollups version not renewed: the cache is unreachable", exc_info=True)
    transaction.on_commit(new_version, robust=True)
