"""Disputes and coaching on the program overview: per vendor, per auditor, and their red flags.

Read with a fixed number of grouped queries whatever the number of vendors, auditors or
questions: ``scorecards.dispute_rates.dispute_rates`` (six), ``open_disputes_by_vendor`` (one), the
pending and the overdue coaching actions per vendor (two) and the vendors named (one).

* **Rates** are over the audits *finalised* in the page's period, as ``dispute_rates`` counts
  them: the dispute rate is the share of those audits disputed, the overturn rate the share of
  their decided disputed questions overturned in full or in part. Plain counts: the vendor
  chooses what to dispute, so they describe the disputes, not a sample of the work.
* **Open and overdue** disputes and coaching actions are the state *now*, whatever the
  period: an overdue dispute of last month's audit still waits for a decision. Overdue as the
  models say it (``Dispute.is_overdue``, ``CoachingAction.objects.overdue``).
* **Calibration signal**: a question of a form, or an auditor's audits, with at least
  CALIBRATION_MIN_DECIDED disputed questions decided in the period and at least
  CALIBRATION_OVERTURN_SHARE of them overturned: the leads corrected the auditors at least as
  often as they stood by them, on enough decisions for it not to be one unlucky week. It is a
  rule of thumb, not a test: disputes are chosen by the vendor, not sampled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from accounts.formats import percent
from audits.disputes import OpenDisputes, open_disputes_by_vendor
from coaching.models import PENDING_STATUSES, CoachingAction
from scorecards.dispute_rates import DisputeRate, dispute_rates
from vendors.models import Vendor

from .flags import RedFlag

CALIBRATION_MIN_DECIDED = 5
CALIBRATION_OVERTURN_SHARE = 0.5
NO_OPEN_DISPUTES = OpenDisputes(open=0, overdue=0)


@dataclass(frozen=True)
class VendorFollowUp:
    """One vendor's disputes in the period, and its open disputes and coaching now."""

    vendor: Vendor
    rates: DisputeRate | None  # None: no audit of the vendor finalised in the period
    disputes: OpenDisputes
    coaching_open: int  # not completed nor cancelled (open or acknowledged)
    coaching_overdue: int
    disputes_url: str
    coaching_url: str

    @property
    def finalised(self) -> int:
        return self.rates.finalised if self.rates else 0

    @property
    def disputed(self) -> int:
        return self.rates.disputed if self.rates else 0

    @property
    def dispute_rate(self) -> float | None:
        return self.rates.dispute_rate if self.rates else None

    @property
    def decided(self) -> int:
        return self.rates.decided if self.rates else 0

    @property
    def overturned(self) -> int:
        return self.rates.overturned if self.rates else 0

    @property
    def overturn_rate(self) -> float | None:
        return self.rates.overturn_rate if self.rates else None


@dataclass
class FollowUps:
    vendors: list[VendorFollowUp]
    by_auditor: dict[int, DisputeRate]  # auditor id → rates of their audits
    by_question: list[DisputeRate]
    flags: list[RedFlag] = field(default_factory=list)


def follow_ups(period, now: dt.datetime | None = None) -> FollowUps:
    """Disputes and coaching of every vendor for ``period`` (a ``rollups.periods.Period``),
    and the red flags they raise: overdue disputes, overdue coaching, calibration signals."""
    now = now or timezone.now()
    rates = dispute_rates(period)
    open_disputes = open_disputes_by_vendor(now)
    coaching_open, coaching_overdue = coaching_by_vendor(timezone.localdate(now))
    by_vendor = {rate.key: rate for rate in rates.by_vendor}
    named = set(by_vendor) | set(open_disputes) | set(coaching_open)
    vendors = [
        VendorFollowUp(
            vendor=vendor, rates=by_vendor.get(vendor.pk),
            disputes=open_disputes.get(vendor.pk, NO_OPEN_DISPUTES),
            coaching_open=coaching_open.get(vendor.pk, 0),
            coaching_overdue=coaching_overdue.get(vendor.pk, 0),
            disputes_url=disputes_url(vendor), coaching_url=coaching_url(vendor),
        )
        for vendor in (Vendor.objects.filter(pk__in=named).order_by("name") if named else [])
    ]
    result = FollowUps(
        vendors=vendors,
        by_auditor={rate.key: rate for rate in rates.by_auditor if rate.key is not None},
        by_question=rates.by_question,
    )
    result.flags = [*_overdue_flags(vendors), *_calibration_flags(rates.by_question,
                                                                  rates.by_auditor,
                                                                  reverse("audits:dispute_queue"))]
    return result


def coaching_by_vendor(today: dt.date) -> tuple[dict[int, int], dict[int, int]]:
    """Per vendor id: coaching actions still owed by the vendor (open or acknowledged), and
    those of them overdue on ``today``. Two grouped queries."""
    pending = _count_by_vendor(CoachingAction.objects.filter(status__in=PENDING_STATUSES))
    return pending, _count_by_vendor(CoachingAction.objects.overdue(today))


def _count_by_vendor(actions) -> dict[int, int]:
    return dict(actions.order_by().values("vendor").annotate(n=Count("id"))
                .values_list("vendor", "n"))


def disputes_url(vendor: Vendor) -> str:
    """The dispute queue narrowed to ``vendor`` (open and overdue first)."""
    return f"{reverse('audits:dispute_queue')}?{urlencode({'vendor': vendor.slug})}"


def coaching_url(vendor: Vendor, *, overdue: bool = False) -> str:
    """The coaching list narrowed to ``vendor`` (and to overdue actions)."""
    query = {"vendor": vendor.slug, **({"overdue": "1"} if overdue else {})}
    return f"{reverse('coaching:action_list')}?{urlencode(query)}"


def is_calibration_signal(rate: DisputeRate) -> bool:
    """Enough decisions, and at least the threshold share of them overturned."""
    return (rate.decided >= CALIBRATION_MIN_DECIDED
            and rate.overturned >= CALIBRATION_OVERTURN_SHARE * rate.decided)


def _overdue_flags(vendors: list[VendorFollowUp]) -> list[RedFlag]:
    flags = []
    for row in vendors:
        late = row.disputes.overdue
        if late:
            flags.append(RedFlag("dispute_overdue", (
                f"{row.vendor.name}: {late} of {row.disputes.open} open dispute"
                f"{_s(row.disputes.open)} past the {settings.DISPUTE_SLA_DAYS}-day SLA: a QA "
                f"lead must decide {'them' if late > 1 else 'it'}."
            ), row.disputes_url))
    for row in vendors:
        late = row.coaching_overdue
        if late:
            flags.append(RedFlag("coaching_overdue", (
                f"{row.vendor.name}: {late} of {row.coaching_open} coaching action"
                f"{_s(row.coaching_open)} still owed past {'their' if late > 1 else 'its'} "
                "due date."
            ), coaching_url(row.vendor, overdue=True)))
    return flags


def _calibration_flags(by_question: list[DisputeRate], by_auditor: list[DisputeRate],
                       queue: str) -> list[RedFlag]:
    flags = []
    for rate in by_question:
        if is_calibration_signal(rate):
            form, question = rate.key
            flags.append(RedFlag("calibration", (
                f"{form}, question {question}: {rate.overturned} of {rate.decided} disputed "
                f"answers overturned ({percent(rate.overturn_rate)}) on audits finalised in "
                "the period: a calibration signal."
            ), queue))
    for rate in by_auditor:
        if rate.key is not None and is_calibration_signal(rate):
            flags.append(RedFlag("calibration", (
                f"Auditor {rate.label}: {rate.overturned} of {rate.decided} disputed answers on "
                f"their audits overturned ({percent(rate.overturn_rate)}) in the period: a "
                "calibration signal."
            ), queue))
    return flags


def _s(count: int) -> str:
    return "" if count == 1 else "s"
