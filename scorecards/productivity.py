"""Keep ``AuditorDay`` equal to what the audits say, incrementally and in full.

An auditor-day counts the audits of one auditor with one audit form (``form_version.form``)
whose ``submitted_at`` falls on one UTC day and which are now in a scored status (submitted,
disputed, resolved, final), sampled or ad hoc, with the sum of their recorded scoring time.
Both ways compute rows the same way: ONE grouped query over the audits, written with
``INSERT … SELECT`` so no audit passes through Python (the ``audit_auditor_submitted`` index
on (auditor, submitted_at) serves a refresh). Counts are totals, never ±1 deltas: refreshing
twice, out of order, or after a full rebuild writes the same rows.

Which rows a refresh recomputes: every form's row of every (auditor, day) in the *box*
auditors × days, where the auditors are the given audits' auditors and the days are

- the UTC day of each audit's ``submitted_at`` now (an audit reopened keeps its
  ``submitted_at`` until it is scored again, so a refresh after a reopen recounts the day it
  leaves), and
- the UTC day of each of its earlier submissions, read from the audit trail (``AuditEvent``
  of kind submitted or rescored), and the day before each: a rescored audit gets a new
  ``submitted_at``, and if the refresh of its reopening never ran (a lost task) or ran after
  the rescoring (a queue backlog), the trail is the only record of the day it left. The
  event is written a moment after ``submitted_at`` is taken, so across midnight the
  submission is on the day before the event's.

The same predicate selects the rows to delete and the audits to count, so the box is exact
whatever else those auditors did on those days. What a refresh cannot see: an audit whose
auditor was changed, or whose ``submitted_at`` was rewritten, outside the lifecycle (bulk
loads, the admin), and deleted audits. The nightly ``rebuild_auditor_days`` (called by
``rollups.rebuild_all``) is the safety net for those.

Concurrency (PostgreSQL): a refresh takes ROW EXCLUSIVE on the table and a transaction-level
advisory lock per auditor (in id order) *before* reading audits, so two refreshes of the same
auditor run one after the other and the later one reads the later data (without it both
would delete the same rows and the second insert would break the unique key). A rebuild
takes SHARE ROW EXCLUSIVE, which waits for refreshes in flight and holds new ones back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from audits.models import SCORED_STATUSES, Audit, AuditEvent

from .models import AuditorDay

SCORED = Q(status__in=SCORED_STATUSES, submitted_at__isnull=False, auditor__isnull=False)
# Trail steps that set ``submitted_at``.
SUBMISSIONS = (AuditEvent.Kind.SUBMITTED, AuditEvent.Kind.RESCORED)
# Row column → the audit's value for it, in the unique key's order (auditor, day, form).
KEYS = {
    "auditor_id": F("auditor_id"),
    "day": TruncDate("submitted_at", tzinfo=dt.UTC),
    "form_id": F("form_version__form_id"),
}
# First key of pg_advisory_xact_lock(int, int): "ADAY", so auditor locks meet no other lock.
LOCK_CLASS = 0x41444159


def refresh_auditor_days(audit_ids: Iterable[int]) -> int:
    """Recompute the auditor-days the given audits fall in now or fell in before (see the
    module docstring for the exact rule); rows left empty are deleted. Returns the number of
    rows written. Unknown ids are ignored."""
    ids = sorted({int(pk) for pk in audit_ids})
    if not ids:
        return 0
    with transaction.atomic():
        _lock_table(shared=True)
        found = list(Audit.objects.filter(pk__in=ids, auditor__isnull=False)
                     .values_list("auditor_id", "submitted_at"))
        auditors = sorted({auditor for auditor, _at in found})
        if not auditors:
            return 0
        _lock_auditors(auditors)
        days = {_utc_day(at) for _auditor, at in found if at is not None}
        for at in AuditEvent.objects.filter(audit_id__in=ids, kind__in=SUBMISSIONS) \
                .values_list("at", flat=True):
            days |= {_utc_day(at), _utc_day(at) - dt.timedelta(days=1)}
        if not days:
            return 0  # never submitted: counted nowhere, before or now
        AuditorDay.objects.filter(auditor_id__in=auditors, day__in=days).delete()
        return _insert_days(Q(auditor_id__in=auditors) & _submitted_on(days))


def rebuild_auditor_days() -> int:
    """Recompute every auditor-day from the audits in one transaction (the nightly safety
    net, and after bulk writes that bypass the lifecycle). Returns the row count."""
    with transaction.atomic():
        _lock_table(shared=False)
        AuditorDay.objects.all().delete()
        return _insert_days(Q())


def auditor_day_rows(audits: Q | None = None):
    """The grouped query: one row per (auditor, day, form) of the scored audits matching
    ``audits``, columns named ``key_<column>`` and ``day_audits`` / ``day_seconds``."""
    return (
        Audit.objects.filter(SCORED & (audits or Q()))
        .annotate(**{f"key_{name}": expression for name, expression in KEYS.items()})
        .order_by()
        .values(*(f"key_{name}" for name in KEYS))
        .annotate(day_audits=Count("pk"),
                  day_seconds=Coalesce(Sum("time_spent_seconds"), Value(0)))
    )


def _insert_days(audits: Q) -> int:
    """INSERT … SELECT the grouped rows of ``audits``, in the unique key's order."""
    sql, params = auditor_day_rows(audits).query.sql_with_params()
    quote = connection.ops.quote_name
    keys = [f"rows.{quote(f'key_{name}')}" for name in KEYS]
    statement = (
        f"INSERT INTO {quote(AuditorDay._meta.db_table)} "
        f"({', '.join(quote(column) for column in [*KEYS, 'audits', 'seconds'])}) "
        f"SELECT {', '.join(keys)}, rows.{quote('day_audits')}, rows.{quote('day_seconds')} "
        f"FROM ({sql}) rows ORDER BY {', '.join(keys)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def _submitted_on(days: set[dt.date]) -> Q:
    """Audits submitted on any of ``days`` (UTC), as half-open ranges of consecutive days so
    the (auditor, submitted_at) index serves each one."""
    runs: list[list[dt.date]] = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + dt.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    condition = Q()
    for first, last in runs:
        condition |= Q(submitted_at__gte=_midnight(first),
                       submitted_at__lt=_midnight(last + dt.timedelta(days=1)))
    return condition


def _lock_table(*, shared: bool) -> None:
    """PostgreSQL table lock that orders refreshes against a rebuild (module docstring)."""
    if connection.vendor != "postgresql":
        return  # SQLite runs one writing transaction at a time anyway
    mode = "ROW EXCLUSIVE" if shared else "SHARE ROW EXCLUSIVE"
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {AuditorDay._meta.db_table} IN {mode} MODE")


def _lock_auditors(auditors: list[int]) -> None:
    """Refreshes of the same auditor take turns (ids in order, so two never deadlock)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, id) FROM unnest(%s::int[]) AS id ORDER BY id",
            [LOCK_CLASS, auditors],
        )


def _utc_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
