"""Training a new version of the built-in risk model on finalised audits.

The label of an audited ticket is its latest finalised vendor-work audit's verdict
(``Audit.passed`` False = failed QA). The audits come from the last ``HISTORY_DAYS``, the most
recent ``MAX_TRAINING_AUDITS`` tickets at most. Every audited ticket gets a cross-fitted score
(``learning.cross_fit``); the card's AUC, Brier score and calibration are measured on those
out-of-fold scores, and the stored estimator is fitted on all of them. Too few audits, or a
single outcome, is a refusal (``TrainingRefused``) with a message, and nothing is written.
Docs: docs/risk-model.md.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audits.models import VENDOR_WORK, Audit, AuditStatus
from sampling import stats
from tickets.models import Ticket

from . import learning
from .models import MAX_ESTIMATOR_BYTES, CalibrationBin, OutOfFoldScore, RiskModel

HISTORY_DAYS = 365
MAX_TRAINING_AUDITS = 100_000
FOLDS = 5
SEED = 20_261_207
# Below this many audited tickets a 5-fold model's AUC interval is wider than it is useful
# (± 0.1 or more) and the one-hot levels barely reach MIN_CATEGORY_AUDITS.
MIN_TRAINING_AUDITS = 100
# Each outcome needs this many tickets: every fold's training part must still hold
# INNER_FOLDS of each for the penalty search, and a handful of failures teaches nothing.
MIN_EACH_OUTCOME = max(10, learning.smallest_class_needed(FOLDS))
CONFIDENCE = 0.95
CHUNK = 2_000


class TrainingRefused(Exception):
    """Training was not attempted: the message says why and what is needed."""


def audited_tickets(now: dt.datetime) -> tuple[list[int], np.ndarray, list]:
    """(ticket ids in id order, failed 0/1, finalisation times) of the tickets with a finalised
    vendor-work audit in the window, each labelled by its latest such audit."""
    audits = (
        Audit.objects.filter(
            VENDOR_WORK,
            status=AuditStatus.FINAL,
            finalised_at__gte=now - dt.timedelta(days=HISTORY_DAYS),
            finalised_at__lte=now,
        )
        .order_by("-finalised_at", "-id")
        .values_list("ticket_id", "passed", "finalised_at")
    )
    latest: dict[int, tuple[bool, dt.datetime]] = {}
    for ticket_id, passed, finalised_at in audits.iterator(chunk_size=CHUNK):
        if ticket_id not in latest:
            latest[ticket_id] = (passed, finalised_at)
            if len(latest) >= MAX_TRAINING_AUDITS:
                break
    ids = sorted(latest)
    failed = np.array([0 if latest[i][0] else 1 for i in ids], dtype=int)
    return ids, failed, [latest[i][1] for i in ids]


def ticket_rows(ids: list[int]) -> list[dict]:
    """The features' fields of these tickets, in the order of ``ids``."""
    rows: dict[int, dict] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for row in Ticket.objects.filter(pk__in=chunk).values(*learning.TICKET_FIELDS):
            rows[row["id"]] = row
    return [rows[i] for i in ids]


def refusal(failed: np.ndarray) -> str | None:
    """Why these labels cannot train a model, or None."""
    n, failures = len(failed), int(failed.sum())
    if n < MIN_TRAINING_AUDITS:
        return (
            f"Not trained: {n} audited ticket{'s' if n != 1 else ''} with a finalised "
            f"audit in the last {HISTORY_DAYS} days; the model needs at least "
            f"{MIN_TRAINING_AUDITS}."
        )
    if failures == 0 or failures == n:
        outcome = "passed" if failures == 0 else "failed"
        return (
            f"Not trained: all {n} audited tickets {outcome}; a model needs both outcomes "
            "to learn what separates them."
        )
    if min(failures, n - failures) < MIN_EACH_OUTCOME:
        return (
            f"Not trained: only {min(failures, n - failures)} audited tickets "
            f"{'failed' if failures < n - failures else 'passed'}; the model needs at "
            f"least {MIN_EACH_OUTCOME} of each outcome."
        )
    return None


def train_risk_model(*, by=None, now: dt.datetime | None = None) -> RiskModel:
    """Train, measure and store the next version; raises ``TrainingRefused`` with the reason
    when the audits cannot support a model."""
    now = now or timezone.now()
    ids, failed, finalised = audited_tickets(now)
    reason = refusal(failed)
    if reason:
        raise TrainingRefused(reason)
    frame = learning.ticket_frame(ticket_rows(ids))
    crossed = learning.cross_fit(frame, failed, FOLDS, SEED)
    bundle = learning.fit_bundle(frame, failed)
    # The fold models score the unaudited tickets (their average: cross-prediction), so the
    # version keeps them with the final model (docs/risk-model.md#cross-fitting).
    bundle.folds = crossed.models
    estimator = bundle.dumps()
    if len(estimator) > MAX_ESTIMATOR_BYTES:
        raise TrainingRefused(
            f"Not stored: the fitted model takes {len(estimator):,} bytes, above the bound of "
            f"{MAX_ESTIMATOR_BYTES:,}."
        )
    auc = stats.auc_delong(failed, crossed.scores, CONFIDENCE)
    brier = stats.brier_score(failed, crossed.scores, CONFIDENCE)
    bins = stats.calibration_bins(failed, crossed.scores, confidence=CONFIDENCE)
    with transaction.atomic():
        # Two trainings at once: the unique version refuses the second's row.
        latest = RiskModel.objects.aggregate(v=Max("version"))["v"] or 0
        model = RiskModel.objects.create(
            version=latest + 1,
            trained_at=now,
            trained_by=by,
            audits=len(ids),
            failures=int(failed.sum()),
            folds=FOLDS,
            seed=SEED,
            finalised_from=min(finalised),
            finalised_to=max(finalised),
            auc=auc.value,
            auc_low=auc.low,
            auc_high=auc.high,
            brier=brier.value,
            brier_low=brier.low,
            brier_high=brier.high,
            confidence=CONFIDENCE,
            estimator_name=f"{learning.ESTIMATOR_NAME}; chosen C = {bundle.penalty:g}",
            features=learning.FEATURES,
            estimator=estimator,
            estimator_bytes=len(estimator),
        )
        CalibrationBin.objects.bulk_create(
            [
                CalibrationBin(
                    model=model,
                    low=b.low,
                    high=b.high,
                    count=b.count,
                    mean_score=b.mean_score,
                    observed=b.observed,
                    observed_low=b.observed_low,
                    observed_high=b.observed_high,
                )
                for b in bins
            ]
        )
        OutOfFoldScore.objects.bulk_create(
            [
                OutOfFoldScore(
                    model=model,
                    ticket_id=ticket_id,
                    fold=int(fold),
                    score=float(score),
                    failed=bool(label),
                )
                for ticket_id, fold, score, label in zip(
                    ids, crossed.fold, crossed.scores, failed, strict=True
                )
            ],
            batch_size=CHUNK,
        )
    return model
