"""Risk-weighted (πps Poisson) designs, pure: the probabilities, the planner's trade, and the
coverage of the Hájek interval over thousands of fixed-seed draws.

A risk-weighted sample finds more errors per audit and still estimates the rate without bias,
at the price of a wider interval; the planner shows that trade before anyone commits to it.
"""

import numpy as np
import pytest
from pytest import approx

from sampling._assisted import ht_proportion, stratified_hajek
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


def test_stratified_hajek_on_one_stratum_is_hajek():
    # One stratum: g/π_i sums to N, and p̂_h is the whole rate, so the stratified form is
    # ht_proportion's Hájek estimate with its Poisson variance, whatever N is.
    rng = np.random.default_rng(11)
    pi = rng.uniform(0.05, 1, 60)
    y = (rng.random(60) < 0.3).astype(float)
    one = stratified_hajek([(5000, y, pi)])
    alone = ht_proportion(y, pi, method="hajek")
    assert (one.p, one.se, one.low, one.high) == approx((alone.p, alone.se, alone.low, alone.high))
    assert one.population == 5000 and one.n == 60


def test_stratified_hajek_combines_strata_by_their_known_sizes():
    # Two strata of equal draw weights: the rate is Σ N_h p̂_h / N, not the pooled share.
    small = ([1.0, 1.0, 0.0, 0.0], [0.5] * 4)  # p̂ = 0.5, N = 100
    large = ([1.0, 0.0, 0.0, 0.0], [0.1] * 4)  # p̂ = 0.25, N = 900
    found = stratified_hajek([(100, *small), (900, *large)])
    assert found.p == approx((100 * 0.5 + 900 * 0.25) / 1000)
    # Variance by hand: Σ_h Σ (1 − π)(g_h/π)² (y − p̂_h)² / N², g_h = N_h / Σ 1/π.
    g_small, g_large = 100 / 8, 900 / 40
    by_hand = (4 * 0.5 * (g_small / 0.5) ** 2 * 0.25
               + 0.9 * (g_large / 0.1) ** 2 * (0.75**2 + 3 * 0.25**2)) / 1000**2
    assert found.se == approx(np.sqrt(by_hand))
    with pytest.raises(ValueError, match="nothing to estimate"):
        stratified_hajek([(100, [], [])])


def test_stratified_hajek_covers_the_rate_of_risk_weighted_runs_with_non_response():
    # Three strata of different error rates, each drawn by Poisson πps on floor + score, a
    # quarter of each stratum's drawn audits never done (at random): each completed audit's
    # π* = π · done/drawn. 2,000 replicates with a fixed seed. (With half these audits the
    # ratio's small-sample bias shows: about 93.5 % here, 94.3 % without non-response.)
    rng = np.random.default_rng(20261207)
    strata = []
    for big_n, a, b, n in ((3000, 0.3, 3.0, 240), (1500, 0.8, 2.0, 180), (600, 1.5, 1.5, 120)):
        risk = rng.beta(a, b, big_n)
        y = (rng.random(big_n) < risk).astype(float)
        score = np.clip(risk + 0.1 * rng.standard_normal(big_n), 0, 1)
        strata.append((big_n, y, inclusion_probabilities(risk_sizes(score, 0.05), n)))
    truth = sum(y.sum() for _, y, _ in strata) / sum(big_n for big_n, _, _ in strata)
    covered, replicates = 0, 2000
    for _ in range(replicates):
        sample = []
        for big_n, y, pi in strata:
            drawn = np.flatnonzero(rng.random(big_n) < pi)
            done = drawn[rng.random(drawn.size) < 0.75]
            response = done.size / drawn.size
            sample.append((big_n, y[done], pi[done] * response))
        found = stratified_hajek(sample)
        covered += found.low <= truth <= found.high
    assert 0.94 <= covered / replicates <= 0.96
