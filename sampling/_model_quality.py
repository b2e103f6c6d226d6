"""How good a risk model's scores are, measured on audited tickets: the area under the ROC curve
with DeLong's interval, the Brier score with its normal interval, and calibration bins (mean
score beside the observed failure rate, with Wilson intervals). Pure; re-exported by
``sampling.stats``, import from there. Docs: docs/risk-model.md#how-the-model-is-measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import stats


@dataclass(frozen=True)
class ScoreQuality:
    """A measure of the scores (``value``) with its standard error and normal interval."""

    value: float
    se: float
    low: float
    high: float
    n: int
    confidence: float


@dataclass(frozen=True)
class CalibrationBin:
    """Scores in [``low``, ``high``): how many tickets, their mean score, the share that failed
    and its Wilson interval."""

    low: float
    high: float
    count: int
    mean_score: float
    observed: float
    observed_low: float
    observed_high: float


def _outcomes_and_scores(y: ArrayLike, scores: ArrayLike) -> tuple[NDArray, NDArray]:
    y = np.asarray(y, dtype=float)
    scores = np.asarray(scores, dtype=float)
    if y.ndim != 1 or scores.shape != y.shape:
        raise ValueError(f"{len(scores)} scores for {len(y)} outcomes: give one score per outcome")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("outcomes must be 0 (passed) or 1 (failed)")
    if not np.all(np.isfinite(scores) & (scores >= 0) & (scores <= 1)):
        raise ValueError("scores must be numbers between 0 and 1")
    return y, scores


def auc_delong(y: ArrayLike, scores: ArrayLike, confidence: float = 0.95) -> ScoreQuality:
    """Area under the ROC curve of ``scores`` for failures ``y`` (1) against passes (0), ties
    counting one half, with DeLong's nonparametric variance (DeLong, DeLong & Clarke-Pearson,
    Biometrics 44, 1988) computed from mid-ranks (Sun & Xu, IEEE Signal Processing Letters 21,
    2014) and the normal interval clipped to [0, 1]. Needs both outcomes."""
    stats._check_confidence(confidence)
    y, scores = _outcomes_and_scores(y, scores)
    positives, negatives = scores[y == 1], scores[y == 0]
    m, n = len(positives), len(negatives)
    if m < 2 or n < 2:
        raise ValueError("the AUC needs at least two failed and two passed audits")
    from scipy.stats import rankdata  # imported where used: see sampling.stats

    combined = rankdata(np.concatenate([positives, negatives]))
    within_positive, within_negative = rankdata(positives), rankdata(negatives)
    # V10: each failure's share of passes it outranks; V01: each pass's share of failures
    # outranking it (DeLong's structural components).
    v10 = (combined[:m] - within_positive) / n
    v01 = 1.0 - (combined[m:] - within_negative) / m
    auc = float(v10.mean())
    variance = float(np.var(v10, ddof=1)) / m + float(np.var(v01, ddof=1)) / n
    se = math.sqrt(variance)
    half = stats.z_value(confidence) * se
    return ScoreQuality(auc, se, max(0.0, auc - half), min(1.0, auc + half), m + n, confidence)


def brier_score(y: ArrayLike, scores: ArrayLike, confidence: float = 0.95) -> ScoreQuality:
    """Mean squared difference between score and outcome (Brier, Monthly Weather Review 78,
    1950): 0 is perfect, 0.25 is a constant 0.5. Its interval is the normal one of a mean
    (standard deviation of the squared errors / √n), clipped at 0."""
    stats._check_confidence(confidence)
    y, scores = _outcomes_and_scores(y, scores)
    if len(y) < 2:
        raise ValueError("the Brier score's interval needs at least two audits")
    errors = (scores - y) ** 2
    value = float(errors.mean())
    se = float(np.std(errors, ddof=1)) / math.sqrt(len(y))
    half = stats.z_value(confidence) * se
    return ScoreQuality(value, se, max(0.0, value - half), value + half, len(y), confidence)


def calibration_bins(
    y: ArrayLike, scores: ArrayLike, bins: int = 10, confidence: float = 0.95
) -> list[CalibrationBin]:
    """Equal-width bins of the scores over [0, 1] (the last one closed), each non-empty one
    with its count, mean score, observed failure rate and that rate's Wilson interval: a
    well-calibrated model's points lie on the diagonal (reliability diagram; Niculescu-Mizil
    & Caruana, ICML 2005)."""
    y, scores = _outcomes_and_scores(y, scores)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, bins - 1)
    out = []
    for b in range(bins):
        inside = index == b
        count = int(inside.sum())
        if not count:
            continue
        failures = int(y[inside].sum())
        low, high = stats.proportion_ci(failures, count, confidence, method="wilson")
        out.append(
            CalibrationBin(
                low=float(edges[b]),
                high=float(edges[b + 1]),
                count=count,
                mean_score=float(scores[inside].mean()),
                observed=failures / count,
                observed_low=float(low),
                observed_high=float(high),
            )
        )
    return out
