"""Watching a model's scores against fresh audits: whether it got worse between a reference and a
recent window (DeLong's AUC, calibration in the large), the expected calibration error of a
reliability diagram, and the power-tuning λ a stratum's audits give the AI-assisted estimate.
The measures themselves (``auc_delong``, ``brier_score``, ``calibration_bins``) are
``sampling._model_quality``'s. Pure; re-exported by ``sampling.stats``, import from there.

``y`` is 1 for an audit that failed QA and 0 for one that passed; ``scores`` the model's
predicted probability of failure for the same tickets.
Formulas and references: docs/statistics.md#watching-the-model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._assisted import MIN_AUDITS_TO_TUNE
from ._model_quality import CalibrationBin, ScoreQuality, _outcomes_and_scores, auc_delong

# Each window needs this many failures and as many passes before its AUC is compared, and this
# many audits before its calibration is: below them the normal approximations are too rough.
MIN_EACH_OUTCOME = 10
MIN_AUDITS_TO_COMPARE = 30
# A degradation is declared at this level per test (two tests: at most 2 % false alarms).
DEGRADATION_ALPHA = 0.01


def expected_calibration_error(bins: Sequence[CalibrationBin]) -> float:
    """ECE: the audits-weighted mean gap |observed − mean score| over the bins of
    ``calibration_bins`` (Naeini, Cooper & Hauskrecht 2015; Guo et al. 2017). 0 is perfect; it
    depends on the binning and is biased upwards in small samples, so pages show it beside the
    bins, never alone."""
    total = sum(b.count for b in bins)
    if not total:
        raise ValueError("no audit in any bin: nothing to measure")
    return sum(b.count * abs(b.observed - b.mean_score) for b in bins) / total


@dataclass(frozen=True)
class CalibrationInTheLarge:
    """The mean of (y − f): observed minus predicted failure rate (0 when calibrated in the
    large), with its standard error."""

    gap: float
    se: float
    n: int


def calibration_in_the_large(y: ArrayLike, scores: ArrayLike) -> CalibrationInTheLarge:
    """Observed minus predicted failure rate over the audits, mean(y − f), and the standard
    error of that mean from the per-audit residuals (Cox 1958's calibration in the large; Van
    Calster et al. 2016's "mean calibration")."""
    y, f = _outcomes_and_scores(y, scores)
    if len(y) < 2:
        raise ValueError("calibration in the large needs at least two audits")
    residuals = y - f
    return CalibrationInTheLarge(
        float(residuals.mean()), float(np.std(residuals, ddof=1)) / math.sqrt(len(y)), len(y)
    )


@dataclass(frozen=True)
class Degradation:
    """The recent window against the reference. ``auc_z``/``auc_p``: the one-sided test that
    the AUC fell (None when a window has too few failures or passes); ``calibration_z``/
    ``calibration_p``: the two-sided test that observed-minus-predicted moved (None when a
    window has too few audits). ``degraded`` when either p is below ``alpha``."""

    reference_auc: ScoreQuality | None
    recent_auc: ScoreQuality | None
    auc_z: float | None
    auc_p: float | None
    reference_calibration: CalibrationInTheLarge
    recent_calibration: CalibrationInTheLarge
    calibration_z: float | None
    calibration_p: float | None
    alpha: float

    @property
    def auc_fell(self) -> bool:
        return self.auc_p is not None and self.auc_p < self.alpha

    @property
    def calibration_moved(self) -> bool:
        return self.calibration_p is not None and self.calibration_p < self.alpha

    @property
    def degraded(self) -> bool:
        return self.auc_fell or self.calibration_moved

    @property
    def tested(self) -> bool:
        return self.auc_p is not None or self.calibration_p is not None


def _comparable_auc(y, scores) -> ScoreQuality | None:
    failures = int(y.sum())
    if min(failures, len(y) - failures) < MIN_EACH_OUTCOME:
        return None
    return auc_delong(y, scores)


def degradation_test(
    reference: tuple[ArrayLike, ArrayLike],
    recent: tuple[ArrayLike, ArrayLike],
    alpha: float = DEGRADATION_ALPHA,
) -> Degradation:
    """Has the model got worse between two windows of different audits (independent samples)?
    Each window is (y, scores).

    Discrimination: z = (AUC_ref − AUC_recent) / √(se_ref² + se_recent²) with DeLong's
    variances, one-sided (Hanley & McNeil 1983 for areas from unpaired samples; DeLong et al.
    1988). Calibration: z = (gap_recent − gap_ref) / √(se_ref² + se_recent²), gap = mean(y − f),
    two-sided: a model whose failures now run above (or below) what it predicts mis-states
    every rate it feeds, whichever way."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    (y_ref, f_ref), (y_new, f_new) = (
        _outcomes_and_scores(*reference),
        _outcomes_and_scores(*recent),
    )
    ref_auc, new_auc = _comparable_auc(y_ref, f_ref), _comparable_auc(y_new, f_new)
    auc_z = auc_p = None
    if ref_auc and new_auc:
        spread = math.hypot(ref_auc.se, new_auc.se)
        if spread > 0:
            auc_z = (ref_auc.value - new_auc.value) / spread
            auc_p = _upper_tail(auc_z)
    ref_cal = calibration_in_the_large(y_ref, f_ref)
    new_cal = calibration_in_the_large(y_new, f_new)
    cal_z = cal_p = None
    if min(ref_cal.n, new_cal.n) >= MIN_AUDITS_TO_COMPARE:
        spread = math.hypot(ref_cal.se, new_cal.se)
        if spread > 0:
            cal_z = (new_cal.gap - ref_cal.gap) / spread
            cal_p = 2 * _upper_tail(abs(cal_z))
    return Degradation(ref_auc, new_auc, auc_z, auc_p, ref_cal, new_cal, cal_z, cal_p, alpha)


def power_tuning_lambda(
    n: int,
    y_sum: float,
    score_sum: float,
    score2_sum: float,
    y_score_sum: float,
    minimum: int | None = None,
) -> float:
    """A stratum's λ_h in ``stratified_ppi`` from the sums of its audits (n, Σy, Σf, Σf², Σyf):
    the least-squares slope of the outcome on the score, Σ(y − ȳ)(f − f̄) / Σ(f − f̄)²
    (Särndal, Swensson & Wretman 1992 §6.4); 0, the classical estimate, below ``minimum``
    audits (MIN_AUDITS_TO_TUNE) or when every audit has the same score."""
    if n < (MIN_AUDITS_TO_TUNE if minimum is None else minimum):
        return 0.0
    spread = score2_sum - score_sum**2 / n
    if spread <= 1e-12 * n:
        return 0.0
    return (y_score_sum - y_sum * score_sum / n) / spread


def _upper_tail(z: float) -> float:
    """P(Z > z) for a standard normal Z, exact far into the tail (scipy's ``norm.sf``)."""
    return 0.5 * math.erfc(z / math.sqrt(2))
