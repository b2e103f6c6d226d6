"""Risk-weighted (πps Poisson) designs, pure: the probabilities, the planner's trade, and the
coverage of the Hájek interval over thousands of fixed-seed draws.

A risk-weighted sample finds more errors per audit and still estimates the rate without bias,
at the price of a wider interval; the planner shows that trade before anyone commits to it.
"""

import numpy as np
import pytest
from pytest import approx

from sampling._assisted import ht_proportion
from sampling._risk import inclusion_probabilities, risk_sizes, risk_trade


def test_probabilities_are_proportional_to_size_and_capped_at_one():
    # Särndal, Swensson & Wretman 1992 §3.6.2: the big unit is taken for sure, the other
    # three audits spread evenly over the four equal units.
    assert inclusion_probabilities([10, 1, 1, 1, 1], 2) == approx([1, 0.25, 0.25, 0.25, 0.25])
    # Capping twice: after the first cap the second unit passes 1 too.
    assert inclusion_probabilities([100, 9, 1, 1, 1], 3) == approx([1, 1, 1 / 3, 1 / 3, 1 / 3])
    pi = inclusion_probabilities(np.linspace(0.05, 1.05, 1000), 100)
    assert pi.sum() == approx(100)
    assert pi[-1] / pi[0] == approx(1.05 / 0.05)
    assert inclusion_probabilities([0.3] * 5, 5) == approx([1] * 5)
    assert inclusion_probabilities([0.3] * 5, 0) == approx([0] * 5)


def test_a_missing_score_counts_at_the_mean_of_the_others():
    assert risk_sizes([0.1, np.nan, 0.3], 0.05) == approx([0.15, 0.25, 0.35])
    assert risk_sizes([np.nan, np.nan], 0.05) == approx([0.05, 0.05])
    with pytest.raises(ValueError, match="floor"):
        risk_sizes([0.1], 0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        risk_sizes([1.2], 0.05)
    with pytest.raises(ValueError, match="expected sample size"):
        inclusion_probabilities([1, 2], 3)


def poisson_hajek(scores, y, n, floor, rng, replicates, confidence=0.95):
    """Draw ``replicates`` Poisson πps samples; each one's Hájek estimate and interval."""
    pi = inclusion_probabilities(risk_sizes(scores, floor), n)
    estimates = []
    for _ in range(replicates):
        drawn = rng.random(len(pi)) < pi
        estimates.append(ht_proportion(y[drawn], pi[drawn], confidence=confidence))
    return pi, estimates


@pytest.mark.parametrize("seed", [2024, 7])
def test_the_hajek_interval_covers_the_true_rate_95_percent_of_the_time(seed):
    rng = np.random.default_rng(seed)
    scores = rng.beta(0.6, 4.0, size=4000)  # a skewed model: most tickets look safe
    y = (rng.random(4000) < scores).astype(float)  # 1 = the audit fails; calibrated scores
    truth = y.mean()
    _, estimates = poisson_hajek(scores, y, 250, 0.05, rng, replicates=2500)
    covered = np.mean([e.low <= truth <= e.high for e in estimates])
    assert 0.94 <= covered <= 0.96
    # Unbiased: the mean estimate is the truth to within its Monte Carlo error.
    values = np.array([e.p for e in estimates])
    assert abs(values.mean() - truth) < 3 * values.std() / np.sqrt(len(values))


def test_equal_scores_make_the_two_designs_the_same():
    trade = risk_trade({"a": (50, np.full(1000, 0.2)), "b": (20, np.full(300, 0.4))}, 0.05)
    assert trade.risk_weighted.errors_per_100 == approx(trade.equal.errors_per_100)
    assert trade.risk_weighted.interval_width == approx(trade.equal.interval_width)
    assert trade.audits == 70 and trade.population == 1300


def test_targeting_finds_more_errors_and_the_width_is_what_draws_show():
    rng = np.random.default_rng(99)
    scores = rng.beta(0.6, 4.0, size=3000)
    y = (rng.random(3000) < scores).astype(float)
    trade = risk_trade({"all": (200, scores)}, 0.05)
    assert trade.risk_weighted.errors_per_100 > 1.5 * trade.equal.errors_per_100
    assert trade.equal.errors_per_100 == approx(100 * scores.mean())
    # The promised width is the spread of the estimates over repeated draws (2 z SD), within
    # Monte Carlo error and the expectation over outcomes.
    _, estimates = poisson_hajek(scores, y, 200, 0.05, rng, replicates=2000)
    drawn_width = 2 * 1.959964 * np.std([e.p for e in estimates])
    assert trade.risk_weighted.interval_width == approx(drawn_width, rel=0.12)
    # Equal probability: the textbook SRS width at the mean score.
    p = scores.mean()
    srs = 2 * 1.959964 * np.sqrt((1 - 200 / 3000) * p * (1 - p) / 200)
    assert trade.equal.interval_width == approx(srs, rel=1e-6)
    # A higher floor gives up errors found: towards equal probability.
    higher_floor = risk_trade({"all": (200, scores)}, 0.5)
    assert (trade.equal.errors_per_100 < higher_floor.risk_weighted.errors_per_100
            < trade.risk_weighted.errors_per_100)


def test_targeting_can_cost_width():
    """Where outcomes are least certain (scores near 0.3) is not where a risk-weighted draw
    goes (scores near 1): it finds more errors per audit, but its interval is wider."""
    rng = np.random.default_rng(5)
    scores = np.where(rng.random(3000) < 0.5, 0.3, 0.97)
    trade = risk_trade({"all": (200, scores)}, 0.05)
    assert trade.risk_weighted.errors_per_100 > trade.equal.errors_per_100
    assert trade.width_ratio > 1.2
