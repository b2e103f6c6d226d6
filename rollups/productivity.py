"""Keep ``AuditorDay`` (the overview's productivity) and ``FinalisedDay`` (the dispute rates'
denominators) equal to the audits, per auditor and UTC day: ``refresh_auditor_days`` for the
writer's flush, ``rebuild_auditor_days`` for the nightly rebuild, both one ``INSERT … SELECT``.
Which days a refresh recomputes, and why the audit trail: docs/architecture.md#the-rollups.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from audits.models import SCORED_STATUSES, VENDOR_WORK, Audit, AuditEvent

from .models import AuditorDay, FinalisedDay
from .registry import insert_grouped, lock_tables


@dataclass(frozen=True)
class DayRollup:
    """How one table is computed from the audits: ``moment`` gives the row's UTC day, ``keys`` and
    ``counts`` its columns, ``scope`` which audits count; ``trail`` the event kinds that set
    ``moment`` and ``drift`` the day next to an event's on which ``moment`` can fall."""

    model: type[models.Model]
    moment: str
    keys: dict
    counts: dict
    scope: Q
    trail: tuple[str, ...]
    drift: int

    def rows(self, audits: Q | None = None):
        """One row per key of the audits in scope, columns ``key_<name>`` and ``count_<name>``."""
        return (
            Audit.objects.filter(self.scope & (audits or Q()))
            .annotate(**{f"key_{name}": expression for name, expression in self.keys.items()})
            .order_by()
            .values(*(f"key_{name}" for name in self.keys))
            .annotate(**{f"count_{name}": value for name, value in self.counts.items()})
        )


AUDITOR_DAYS = DayRollup(
    model=AuditorDay,
    moment="submitted_at",
    keys={
        "auditor_id": F("auditor_id"),
        "day": TruncDate("submitted_at", tzinfo=dt.UTC),
        "form_id": F("form_version__form_id"),
    },
    counts={"audits": Count("pk"), "seconds": Coalesce(Sum("time_spent_seconds"), Value(0))},
    # Re-audits grade other auditors' work and are shown on their own pages (audits.reaudits).
    scope=Q(status__in=SCORED_STATUSES, submitted_at__isnull=False, auditor__isnull=False)
    & VENDOR_WORK,
    trail=(AuditEvent.Kind.SUBMITTED, AuditEvent.Kind.RESCORED),
    drift=-1,
)
FINALISED_DAYS = DayRollup(
    model=FinalisedDay,
    moment="finalised_at",
    keys={
        "auditor_id": F("auditor_id"),
        "day": TruncDate("finalised_at", tzinfo=dt.UTC),
        "vendor_id": F("ticket__vendor_id"),
    },
    counts={"audits": Count("pk")},
    scope=Q(finalised_at__isnull=False) & VENDOR_WORK,
    trail=(AuditEvent.Kind.FINALISED,),
    drift=+1,
)
ROLLUPS = (AUDITOR_DAYS, FINALISED_DAYS)
# First key of pg_advisory_xact_lock(int, int): "ADAY", so auditor locks meet no other lock.
LOCK_CLASS = 0x41444159
NO_AUDITOR = 0  # the advisory lock key of audits without an auditor (user ids start at 1)


def refresh_auditor_days(audit_ids: Iterable[int]) -> int:
    """Recompute the rows the given audits fall in now or fell in before; rows left empty are
    deleted, unknown ids ignored. Returns the number of rows written."""
    ids = sorted({int(pk) for pk in audit_ids})
    if not ids:
        return 0
    with transaction.atomic():
        lock_tables([rollup.model for rollup in ROLLUPS], shared=True)
        moments = [rollup.moment for rollup in ROLLUPS]
        found = list(Audit.objects.filter(pk__in=ids).values("auditor_id", *moments))
        if not found:
            return 0
        auditors = {row["auditor_id"] for row in found}
        _lock_auditors(sorted(NO_AUDITOR if pk is None else pk for pk in auditors))
        kinds = {kind for rollup in ROLLUPS for kind in rollup.trail}
        trail = list(AuditEvent.objects.filter(audit_id__in=ids, kind__in=kinds)
                     .values_list("kind", "at"))
        written = 0
        for rollup in ROLLUPS:
            days = {_utc_day(row[rollup.moment]) for row in found if row[rollup.moment]}
            for kind, at in trail:
                if kind in rollup.trail:
                    days |= {_utc_day(at), _utc_day(at) + dt.timedelta(days=rollup.drift)}
            if not days:
                continue  # never submitted (finalised): counted nowhere, before or now
            rollup.model.objects.filter(_of_auditors(auditors), day__in=days).delete()
            written += _insert(rollup, _of_auditors(auditors) & _on_days(rollup.moment, days))
        return written


def rebuild_auditor_days() -> int:
    """Recompute both tables in one transaction (nightly, and after bulk writes that bypass the
    lifecycle). Returns the number of rows written."""
    with transaction.atomic():
        lock_tables([rollup.model for rollup in ROLLUPS], shared=False)
        written = 0
        for rollup in ROLLUPS:
            rollup.model.objects.all().delete()
            written += _insert(rollup, Q())
        return written


def _insert(rollup: DayRollup, audits: Q) -> int:
    """INSERT … SELECT the grouped rows of ``audits``, in the unique key's order."""
    keys = [f"key_{name}" for name in rollup.keys]
    columns = {**{name: f"key_{name}" for name in rollup.keys},
               **{name: f"count_{name}" for name in rollup.counts}}
    return insert_grouped(rollup.model, rollup.rows(audits), columns, keys)


def _of_auditors(auditors: set[int | None]) -> Q:
    """Rows or audits of ``auditors`` (None: those without an auditor)."""
    condition = Q(auditor_id__in=sorted(pk for pk in auditors if pk is not None))
    if None in auditors:
        condition |= Q(auditor__isnull=True)
    return condition


def _on_days(moment: str, days: set[dt.date]) -> Q:
    """Audits whose ``moment`` is on any of ``days`` (UTC), as ranges of consecutive days so an
    index on (auditor, moment) serves each one."""
    runs: list[list[dt.date]] = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + dt.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    condition = Q()
    for first, last in runs:
        condition |= Q(**{f"{moment}__gte": _midnight(first),
                          f"{moment}__lt": _midnight(last + dt.timedelta(days=1))})
    return condition


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
