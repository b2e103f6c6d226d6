"""Pages computed from the rollups, cached under the rollups' version (``rollups.version``):
an unchanged page is read from the cache instead of recomputed, and any refresh or rebuild of
the rollups makes every entry unreachable (never stale numbers).

What is cached is the page's data object (``Scorecard``, the overview's rollup sections),
never rendered HTML (CSRF tokens, the viewer's name). A key names the page kind, the rollups'
version, the database and every input of the computation besides the rollups: the page's
query (period, scope, confidence), the contract targets in effect and the viewer's vendor
(None for internal staff), so one vendor's entry can never answer another vendor's request.
The key also carries a digest of the code that builds and reads those objects
(``code_fingerprint``): after a release that changed them, a web worker never unpickles an
entry of the old shape (a dataclass without a field the new templates read).
Names of vendors, sites and workflows are read with the numbers: a rename shows once the
rollups change or the entry expires (PAGE_CACHE_SECONDS). docs/architecture.md ("Page
cache").
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, router
from redis.exceptions import RedisError

from rollups.models import AuditCell
from rollups.version import rollups_version
from vendors.models import ContractTarget

from .query import PageQuery

PAGE_CACHE_SECONDS = 600
# The packages whose dataclasses a cached page holds (scorecards, its rollups and estimates).
CACHED_SHAPES = ("scorecards", "rollups", "sampling")
logger = logging.getLogger(__name__)
T = TypeVar("T")


def cached_page(kind: str, parts: Iterable, compute: Callable[[], T]) -> T:
    """``compute()``'s result for these ``parts`` under the current rollups version, from
    the cache when it is there."""
    digest = hashlib.sha256(repr(tuple(parts)).encode()).hexdigest()[:32]
    try:
        key = (f"page:{kind}:{code_fingerprint()}:{connection.settings_dict['NAME']}:"
               f"{rollups_version()}:{digest}")
        found = cache.get(key)
    except RedisError:
        logger.warning("page cache unreachable: %s computed without it", kind, exc_info=True)
        return compute()  # a page without its cache is slower, not an error
    if found is None:
        found = compute()
        # A page read from a streaming replica may hold numbers older than the version (the
        # replica replays the refresh after the primary committed it): it is shown, never
        # stored. An entry computed on the primary is as fresh as its version.
        if router.db_for_read(AuditCell) == DEFAULT_DB_ALIAS:
            with contextlib.suppress(RedisError):
                cache.set(key, found, timeout=PAGE_CACHE_SECONDS)
    return found


@functools.cache
def code_fingerprint() -> str:
    """A digest of the Python sources of ``CACHED_SHAPES``, read once per process."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for package in CACHED_SHAPES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def query_parts(page_query: PageQuery, viewer) -> tuple:
    """The page's query as it names the numbers, and whose page it is."""
    vendor = viewer.vendor_id if getattr(viewer, "is_vendor_user", False) else None
    return (
        ("viewer_vendor", vendor),
        ("period", repr(page_query.period)),
        ("scope", page_query.scope),
        ("confidence", page_query.confidence),
    )


def targets_parts(targets: Iterable[ContractTarget]) -> tuple:
    """The contract targets a page was computed with, as values."""
    return tuple(
        sorted(
            (t.pk, t.vendor_id, t.workflow_id, t.metric, t.direction, str(t.target))
            for t in targets
        )
    )
