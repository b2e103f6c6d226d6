"""Dispute and overturn rates per vendor, auditor and question, over the audits finalised in
a period: the disputes page and the overview's follow-ups read them. They are plain counts that
describe the disputes themselves, not a sample estimate.

The finalised audits come from the ``FinalisedDay`` rollup, which is why the rates live here
and not with the disputes (``audits.disputes`` decides them)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum

from accounts.models import User
from audits.disputes import CORRECTING
from audits.models import Dispute, DisputedQuestion
from rollups.models import FinalisedDay
from vendors.models import Vendor


@dataclass(frozen=True)
class DisputeRate:
    """Disputes of one vendor, auditor or question. ``finalised``/``disputed`` are audits
    (None for a question); ``questions`` disputed questions, ``decided`` those resolved,
    ``overturned`` those overturned or partially overturned."""

    key: object
    label: str
    finalised: int | None
    disputed: int | None
    questions: int
    decided: int
    overturned: int

    @property
    def dispute_rate(self) -> float | None:
        return self.disputed / self.finalised if self.finalised else None

    @property
    def overturn_rate(self) -> float | None:
        return self.overturned / self.decided if self.decided else None


@dataclass(frozen=True)
class DisputeRates:
    by_vendor: list[DisputeRate]
    by_auditor: list[DisputeRate]
    by_question: list[DisputeRate]


def dispute_rates(period=None) -> DisputeRates:
    """Dispute and overturn rates per vendor, auditor and question (a question overturned
    often is a calibration signal). Audits count when finalised (``finalised_at``) within
    ``period`` (a ``rollups.periods.Period``; all time when None): ``dispute_rate`` is
    the share of them disputed, ``overturn_rate`` the share of their decided disputed
    questions overturned in full or in part.

    No query reads every audit of the period: the finalised audits are summed from the
    ``rollups.FinalisedDay`` rollup (per auditor, vendor and UTC day, kept by every
    lifecycle step), and the disputed ones and their questions are counted from the disputes,
    joined to their audits by key: one grouped read of the rollup for both levels (an
    index-only scan), one of the disputes per level and one for the questions, and the
    vendors' names and auditors' emails."""
    days = FinalisedDay.objects.all()
    if period is not None:
        days = days.filter(day__gte=period.first, day__lte=period.end)
    per_vendor, per_auditor = Counter(), Counter()
    for vendor, auditor, audits in (days.order_by().values_list("vendor", "auditor")
                                    .annotate(audits=Sum("audits"))):
        per_vendor[vendor] += audits
        per_auditor[auditor] += audits
    names = dict(Vendor.objects.filter(pk__in=list(per_vendor)).values_list("pk", "name"))
    emails = dict(User.objects.filter(pk__in=[pk for pk in per_auditor if pk is not None])
                  .values_list("pk", "email"))
    disputed = Dispute.objects.filter(_finalised_in(period, "audit"))
    questions = DisputedQuestion.objects.filter(_finalised_in(period, "dispute__audit"))
    return DisputeRates(
        by_vendor=_rates(per_vendor, names, disputed, "ticket__vendor"),
        by_auditor=_rates(per_auditor, emails, disputed, "auditor"),
        by_question=[
            DisputeRate((row["form"], row["question_key"]), f"{row['form']} · "
                        f"{row['question_key']}", None, None, *_question_counts(row))
            for row in questions.values(form=F("dispute__audit__form_version__form__name"))
            .values("form", "question_key").annotate(**_question_aggregates())
            .order_by("form", "question_key")
        ],
    )


def _finalised_in(period, audit: str) -> Q:
    """The audits reached through ``audit`` were finalised within ``period`` (UTC days;
    ever, when None)."""
    condition = Q(**{f"{audit}__finalised_at__isnull": False})
    if period is not None:
        start = dt.datetime.combine(period.first, dt.time.min, tzinfo=dt.UTC)
        end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        condition &= Q(**{f"{audit}__finalised_at__gte": start,
                          f"{audit}__finalised_at__lt": end})
    return condition


def _question_aggregates(path: str = "") -> dict:
    """Disputed questions, decided ones and overturned ones, reached through ``path``
    (empty from ``DisputedQuestion`` itself, ``questions__`` from ``Dispute``)."""
    return {
        "n_questions": Count(f"{path}id"),
        "n_decided": Count(f"{path}id", filter=~Q(**{f"{path}decision": ""})),
        "n_overturned": Count(f"{path}id", filter=Q(**{
            f"{path}decision__in": [d.value for d in CORRECTING]})),
    }


def _question_counts(row) -> tuple[int, int, int]:
    return row["n_questions"], row["n_decided"], row["n_overturned"]


def _rates(finalised: Mapping, labels: Mapping, disputed: QuerySet, audit_key: str
           ) -> list[DisputeRate]:
    """One rate per key of ``finalised`` (vendor or auditor id → audits finalised), ordered by
    its label (an auditor without one, "unassigned", last); ``audit_key`` is the same key
    reached from an audit."""
    dispute_rows = {
        row["rate_key"]: row
        for row in disputed.order_by().values(rate_key=F(f"audit__{audit_key}")).annotate(
            n_disputed=Count("audit", distinct=True), **_question_aggregates("questions__"))
    }
    empty = {"n_disputed": 0, "n_questions": 0, "n_decided": 0, "n_overturned": 0}
    rates = []
    for key in sorted(finalised, key=lambda key: (key not in labels, labels.get(key, ""))):
        counts = dispute_rows.get(key, empty)
        rates.append(DisputeRate(key, labels.get(key, "unassigned"), finalised[key],
                                 counts["n_disputed"], *_question_counts(counts)))
    return rates


