"""The progress of long work (an import, a draw, a scoring, a rebuild), in one shape.

A worker reports ``done`` of ``total`` units in a named phase ("checking rows",
"importing"); the record keeps when the phase started and when it was last updated, so a
reader can estimate the time left from the rate so far. Records live in the cache (Redis
when configured, shared by web and workers), not in the job's row: the work is often one
open transaction whose row updates nobody else could see until it commits.

Writes are bounded: a reporter is called once per chunk and writes at most every
``MIN_INTERVAL`` seconds (and at each change of phase and at the end), never once per row.
Status pages read a record through ``read_progress`` and poll a small JSON view
(static/js/progress.js); the job's row holds the outcome, and the last record is left to
lapse (``TTL``) so that it says how far a job got. docs/operations.md has the
list of jobs that report.

This is the lowest layer (``accounts``) so that tickets, sampling, risk_model and rollups
may all use it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from django.core.cache import cache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

TTL = 6 * 3600  # a record outlives any job; a lost worker's record lapses on its own
MIN_INTERVAL = 0.5  # seconds between two cache writes of one job: at most two a second
PERCENT = "percent"  # the unit of work measured in steps of a hundred (a draw)


def progress_key(kind: str, pk: int) -> str:
    """The cache key of job ``pk`` of ``kind`` ("import", "run", "risk-job", …)."""
    return f"progress:{kind}:{pk}"


@dataclass(frozen=True)
class Progress:
    """One snapshot: ``done`` of ``total`` ``unit`` in ``phase``; times are epoch seconds,
    ``started_at`` being the start of this phase (the rate of an earlier phase says nothing
    about this one). ``total`` is None while unknown."""

    phase: str
    done: int
    total: int | None
    unit: str
    started_at: float
    updated_at: float

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return max(0, min(100, int(100 * self.done / self.total)))

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the rate so far in this phase; None before there is a rate."""
        elapsed = self.updated_at - self.started_at
        if not self.total or self.done <= 0 or elapsed <= 0:
            return None
        remaining = max(self.total - self.done, 0)
        return remaining * elapsed / self.done

    @property
    def text(self) -> str:
        """"1,200 of 5,000 rows checked, about 2 min left" (what the bar says aloud)."""
        if self.unit == PERCENT:
            counted = f"{self.done}% done"
        elif self.total is None:
            counted = f"{self.done:,} {self.unit}"
        else:
            counted = f"{self.done:,} of {self.total:,} {self.unit}"
        if self.total is not None and self.done >= self.total:
            return counted
        eta = self.eta_seconds
        return f"{counted}, about {duration(eta)} left" if eta is not None else counted

    def as_json(self) -> dict:
        """What the status endpoints send (the record, its percent, ETA and text)."""
        return {
            **asdict(self),
            "started_at": _iso(self.started_at),
            "updated_at": _iso(self.updated_at),
            "percent": self.percent,
            "eta_seconds": None if self.eta_seconds is None else round(self.eta_seconds),
            "text": self.text,
        }


def duration(seconds: float) -> str:
    """A short human duration: "5 s", "2 min", "1 h 10 min"."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{max(seconds, 1)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def read_progress(kind: str, pk: int) -> Progress | None:
    """The last record a worker wrote for this job, or None (not started, or finished)."""
    try:
        stored = cache.get(progress_key(kind, pk))
    except RedisError:  # no cache, no bar: the page still shows the job's status
        return None
    if not isinstance(stored, dict):
        return None
    try:
        return Progress(**stored)
    except TypeError:  # a record of another shape (an older release's): as if none
        return None


class ProgressReporter:
    """What a worker calls: ``phase(name, total, unit)`` at the start of each phase, then
    ``update(done)`` once per chunk. With a ``kind`` and ``pk`` it writes the record to the
    cache at bounded frequency; ``listener`` (a command's progress bar) is told every update.
    ``clock`` is injectable for tests; it gives epoch seconds."""

    def __init__(
        self,
        kind: str | None = None,
        pk: int | None = None,
        *,
        listener: Callable[[Progress], None] | None = None,
        min_interval: float = MIN_INTERVAL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key = progress_key(kind, pk) if kind is not None and pk is not None else None
        self.listener = listener
        self.min_interval = min_interval
        self.clock = clock
        self.current: Progress | None = None
        self.written_at: float | None = None
        self.writes = 0

    def phase(self, name: str, total: int | None, unit: str) -> None:
        """Start a phase at 0 done (always written: a new phase is news)."""
        now = self.clock()
        self.current = Progress(name, 0, total, unit, now, now)
        self._report(force=True)

    def update(self, done: int, *, total: int | None = None, step: str | None = None) -> None:
        """``done`` units so far in this phase (and a better ``total`` when one is known).
        ``step`` renames the phase but keeps its start: a step of the same measure (a draw's
        percent), whose rate still counts from the phase's start."""
        if self.current is None:
            return
        current = self.current
        total = current.total if total is None else total
        self.current = Progress(
            step or current.phase, done, total, current.unit, current.started_at, self.clock()
        )
        finished = total is not None and done >= total
        self._report(force=finished or (step is not None and step != current.phase))

    def clear(self) -> None:
        """Forget the record (the job's row now says how it ended)."""
        if self.key:
            self._tell_cache(cache.delete, self.key)

    def _report(self, *, force: bool) -> None:
        now = self.current.updated_at
        due = force or self.written_at is None or now - self.written_at >= self.min_interval
        if self.key is not None and due:
            self._tell_cache(cache.set, self.key, asdict(self.current), timeout=TTL)
            self.written_at = now
            self.writes += 1
        if self.listener is not None:
            self.listener(self.current)


    def _tell_cache(self, operation: Callable, *args, **kwargs) -> None:
        """Progress is news, not the work: a cache outage loses the bar, never the job."""
        try:
            operation(*args, **kwargs)
        except RedisError:
            log.warning("progress of %s not recorded: the cache is unreachable", self.key)


def job_status(
    *, status: str, status_label: str, finished: bool, record: Progress | None, waiting: str
) -> dict:
    """The JSON every status endpoint sends (and its page renders first): the job's status,
    the progress record if a worker wrote one, and the bar's percent and text (``waiting``
    when there is no record: queued, or between records)."""
    return {
        "status": status,
        "status_label": status_label,
        "finished": finished,
        "progress": record.as_json() if record else None,
        "percent": record.percent if record else None,
        "phase": record.phase if record else "",
        "text": record.text if record else waiting,
    }
