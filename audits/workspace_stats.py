"""An auditor's own numbers for their home page: audits done, time, disputes, overturns.

Two windows, both ending now: this week (from Monday 00:00, server time) and the last
four weeks (28 days including today). Audits done are submissions in the window (audits in
a scored status, by ``submitted_at``); the median time is over those audits' time on task.
Dispute and overturn rates are of the auditor's audits *finalised* in the window, with the
same definitions as the disputes page (``scorecards.dispute_rates.dispute_rates``): the share of
finalised audits disputed, and the share of decided disputed questions overturned in full
or in part. Three queries, each bounded by the auditor and the four-week window.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from accounts.formats import percent as _percent

from .dispute_models import CORRECTING_DECISIONS, Dispute, DisputedQuestion
from .models import SCORED_STATUSES, Audit

WINDOW_DAYS = 28


@dataclass(frozen=True)
class AuditorWindow:
    """One auditor's numbers over one window."""

    key: str
    label: str
    start: dt.datetime
    done: int
    median_seconds: float | None
    finalised: int
    disputed: int
    questions_decided: int
    questions_overturned: int

    @property
    def dispute_rate(self) -> float | None:
        return self.disputed / self.finalised if self.finalised else None

    @property
    def overturn_rate(self) -> float | None:
        return (self.questions_overturned / self.questions_decided
                if self.questions_decided else None)

    @property
    def median_time(self) -> str:
        return minutes_and_seconds(self.median_seconds)

    @property
    def dispute_rate_text(self) -> str:
        return _percent(self.dispute_rate)

    @property
    def overturn_rate_text(self) -> str:
        return _percent(self.overturn_rate)


def window_starts(now: dt.datetime) -> dict[str, dt.datetime]:
    """Start of this week (Monday 00:00) and of the last 28 days, in the server's time zone."""
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "week": midnight - dt.timedelta(days=midnight.weekday()),
        "four_weeks": midnight - dt.timedelta(days=WINDOW_DAYS - 1),
    }


def auditor_numbers(user, *, now: dt.datetime | None = None) -> list[AuditorWindow]:
    """``user``'s numbers this week and over the last four weeks."""
    now = now or timezone.now()
    starts = window_starts(now)
    earliest = min(starts.values())
    mine = Audit.objects.filter(auditor=user)

    submissions = list(
        mine.filter(status__in=SCORED_STATUSES, submitted_at__gte=earliest)
        .values_list("submitted_at", "time_spent_seconds")
    )
    in_window = {key: Q(finalised_at__gte=start) for key, start in starts.items()}
    finalised = mine.filter(finalised_at__gte=earliest).annotate(
        was_disputed=Exists(Dispute.objects.filter(audit=OuterRef("pk")))
    ).aggregate(**{
        name: Count("pk", filter=condition)
        for key, window in in_window.items()
        for name, condition in (
            (f"finalised_{key}", window),
            (f"disputed_{key}", window & Q(was_disputed=True)),
        )
    })
    questions = DisputedQuestion.objects.filter(
        dispute__audit__auditor=user, dispute__audit__finalised_at__gte=earliest
    ).aggregate(**{
        name: Count("pk", filter=Q(dispute__audit__finalised_at__gte=start) & condition)
        for key, start in starts.items()
        for name, condition in (
            (f"decided_{key}", ~Q(decision="")),
            (f"overturned_{key}", Q(decision__in=list(CORRECTING_DECISIONS))),
        )
    })

    labels = {"week": "This week", "four_weeks": f"Last {WINDOW_DAYS // 7} weeks"}
    windows = []
    for key, start in starts.items():
        seconds = [spent for at, spent in submissions if at >= start]
        windows.append(AuditorWindow(
            key=key,
            label=labels[key],
            start=start,
            done=len(seconds),
            median_seconds=statistics.median(seconds) if seconds else None,
            finalised=finalised[f"finalised_{key}"],
            disputed=finalised[f"disputed_{key}"],
            questions_decided=questions[f"decided_{key}"],
            questions_overturned=questions[f"overturned_{key}"],
        ))
    return windows


def minutes_and_seconds(seconds: float | None) -> str:
    """A duration as m:ss (e.g. 4:05), or an en dash when there is none."""
    if seconds is None:
        return "–"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


