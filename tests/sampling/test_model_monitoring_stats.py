"""Watching a model: the statistics behind the model-monitoring page and its red flag, checked
against published values, an independent package and fixed-seed simulations. No database.

The published DeLong example is Hanley & McNeil's (1982, Radiology 143, Table 1) 109 CT images
rated 1–5 (58 normal, 51 abnormal); Stata's roctab, whose default standard error is DeLong's,
reports it in its manual ([R] roctab, example 1, hanley.dta): area 0.8932, std. err. 0.0307,
asymptotic normal 95 % interval 0.83295 – 0.95339.
"""

import numpy as np
import pytest
from scipy.stats import norm

from sampling.stats import (
    StratumScores,
    auc_delong,
    calibration_bins,
    calibration_in_the_large,
    degradation_test,
    expected_calibration_error,
    power_tuning_lambda,
    stratified_ppi,
)

# About ten seconds: two simulations of 2,000 replicates.
pytestmark = pytest.mark.slow

REPLICATES = 2000


def _hanley_mcneil():
    ratings = np.arange(1, 6) / 5
    normal, abnormal = [33, 6, 6, 11, 2], [3, 2, 2, 11, 33]
    y = np.r_[np.ones(sum(abnormal)), np.zeros(sum(normal))]
    scores = np.r_[np.repeat(ratings, abnormal), np.repeat(ratings, normal)]
    return y, scores


def test_delong_interval_matches_the_published_ct_ratings_example():
    y, scores = _hanley_mcneil()
    auc = auc_delong(y, scores)
    assert auc.value == pytest.approx(0.8932, abs=5e-5)
    assert auc.se == pytest.approx(0.0307, abs=5e-5)
    assert (auc.low, auc.high) == pytest.approx((0.83295, 0.95339), abs=5e-6)


def test_auc_point_value_matches_sklearn_with_ties():
    roc_auc_score = pytest.importorskip("sklearn.metrics").roc_auc_score
    rng = np.random.default_rng(7)
    scores = np.round(rng.random(300), 1)  # many ties
    y = (rng.random(300) < scores).astype(float)
    assert auc_delong(y, scores).value == pytest.approx(roc_auc_score(y, scores), abs=1e-12)


def test_delong_interval_covers_the_true_auc_95_percent_of_the_time():
    # Binormal scores (failures N(1, 1), passes N(0, 1), squashed into [0, 1] by the normal
    # CDF, which leaves the AUC alone): the true AUC is Φ(1/√2) ≈ 0.760.
    rng = np.random.default_rng(20261207)
    truth = norm.cdf(1 / np.sqrt(2))
    y = np.r_[np.ones(60), np.zeros(140)]
    covered = 0
    for _ in range(REPLICATES):
        scores = norm.cdf(rng.standard_normal(200) + y)
        auc = auc_delong(y, scores)
        covered += auc.low <= truth <= auc.high
    assert 0.94 <= covered / REPLICATES <= 0.96


def test_expected_calibration_error_weighs_each_bin_by_its_audits():
    # Bin 0.1–0.2: 4 audits scored 0.15, 1 failed (gap 0.10); bin 0.8–0.9: 6 scored 0.85, all
    # failed (gap 0.15): ECE = (4 · 0.10 + 6 · 0.15) / 10 = 0.13.
    y = np.r_[1, 0, 0, 0, np.ones(6)]
    scores = np.r_[np.full(4, 0.15), np.full(6, 0.85)]
    bins = calibration_bins(y, scores)
    assert [b.count for b in bins] == [4, 6]
    assert expected_calibration_error(bins) == pytest.approx(0.13)
    with pytest.raises(ValueError, match="no audit"):
        expected_calibration_error([])


def test_calibration_in_the_large_is_observed_minus_predicted():
    gap = calibration_in_the_large([1, 0, 0, 0], [0.5, 0.5, 0.5, 0.5])
    assert gap.gap == pytest.approx(-0.25)
    assert gap.se == pytest.approx(np.std([0.5, -0.5, -0.5, -0.5], ddof=1) / 2)
    with pytest.raises(ValueError, match="0 \\(passed\\) or 1"):
        calibration_in_the_large([2, 0], [0.1, 0.2])


def _calibrated(rng, n):
    scores = rng.beta(2, 5, n)
    return (rng.random(n) < scores).astype(float), scores


def test_a_model_that_turns_useless_is_degraded():
    rng = np.random.default_rng(5)
    reference = _calibrated(rng, 400)
    y_recent, _ = _calibrated(rng, 400)
    useless = rng.permutation(reference[1])  # the same spread of scores, unrelated to outcomes
    result = degradation_test(reference, (y_recent, useless))
    assert result.auc_fell and result.degraded
    assert result.reference_auc.value > 0.65 > 0.6 > result.recent_auc.value


def test_a_model_whose_failures_outrun_its_scores_is_degraded_on_calibration():
    rng = np.random.default_rng(6)
    reference = _calibrated(rng, 400)
    scores = rng.beta(2, 5, 400)
    y = (rng.random(400) < np.minimum(1, scores + 0.2)).astype(float)  # 20 points above
    result = degradation_test(reference, (y, scores))
    assert result.calibration_moved and result.degraded
    assert result.recent_calibration.gap > result.reference_calibration.gap


def test_too_few_audits_are_not_tested():
    rng = np.random.default_rng(8)
    result = degradation_test(_calibrated(rng, 400), _calibrated(rng, 20))
    assert result.auc_p is None and result.calibration_p is None
    assert not result.tested and not result.degraded


def test_the_degradation_tests_hold_their_level_when_nothing_changed():
    # The same calibrated model in both windows: each test rejects at α = 0.05 in 5 % of the
    # replicates (the band is ±2.9 binomial standard errors).
    rng = np.random.default_rng(42)
    auc_fell = calibration_moved = 0
    for _ in range(REPLICATES):
        result = degradation_test(_calibrated(rng, 300), _calibrated(rng, 300), alpha=0.05)
        auc_fell += result.auc_fell
        calibration_moved += result.calibration_moved
    assert 0.036 <= auc_fell / REPLICATES <= 0.064
    assert 0.036 <= calibration_moved / REPLICATES <= 0.064


def test_lambda_from_sums_is_the_stratified_estimates_lambda():
    rng = np.random.default_rng(11)
    y, scores = _calibrated(rng, 40)
    lam = power_tuning_lambda(len(y), y.sum(), scores.sum(), (scores**2).sum(), (y * scores).sum())
    population_scores = np.r_[scores, rng.beta(2, 5, 360)]
    estimate = stratified_ppi({"s": StratumScores.from_arrays(400, y, scores, population_scores)})
    assert lam == pytest.approx(estimate.lam["s"], rel=1e-9)
    assert power_tuning_lambda(5, 2, 1.5, 0.6, 0.8) == 0.0  # below MIN_AUDITS_TO_TUNE
    assert power_tuning_lambda(20, 5, 10, 5, 2.5) == 0.0  # one score for all
