"""The AI-assisted and unequal-probability estimators against independent references.

- ``ppi_proportion`` against ppi-python (the authors' package, a dev dependency) on random cases.
- ``stratified_ppi`` against the classical stratified estimate it must reduce to, and, with a
  fixed λ = 1, against an exhaustive enumeration of every simple random sample of a small
  population (the difference estimator and its variance estimator are exactly unbiased then).
- ``ht_proportion`` against a small example worked by hand in exact fractions, and an exhaustive
  enumeration of every Poisson sample (the Horvitz–Thompson estimate and its Poisson-sampling
  variance estimate are exactly unbiased; Särndal, Swensson & Wretman 1992, ch. 2–3).
"""

import itertools
import math
from fractions import Fraction

import numpy as np
import ppi_py
import pytest

from sampling.stats import (
    MIN_AUDITS_TO_TUNE,
    StratumScores,
    ht_proportion,
    ppi_proportion,
    stratified_ppi,
    stratified_proportion,
    z_value,
)


def _random_case(rng, case):
    """Audited outcomes and scores of varied size, rate and model quality."""
    n = int(rng.integers(20, 400))
    big_n = int(rng.integers(50, 3000))
    rate = rng.uniform(0.05, 0.6)
    quality = rng.uniform(-1, 1)  # below 0 the scores point the wrong way
    risk = rng.beta(rate * 2, (1 - rate) * 2, size=n + big_n)
    y = (rng.random(n) < risk[:n]).astype(float)
    noise = rng.random(n + big_n)
    scores = np.clip(quality * risk + (1 - abs(quality)) * noise + (quality < 0), 0, 1)
    if case % 5 == 0:  # some models output hard 0/1 verdicts, as an LLM grader may
        scores = (scores > 0.5).astype(float)
    return y, scores[:n], scores[n:]


@pytest.mark.parametrize("tuned", [False, True])
def test_ppi_proportion_equals_ppi_python_on_random_cases(tuned):
    rng = np.random.default_rng(20231109)
    lam = None if tuned else 1
    worst, unclipped = 0.0, 0
    for case in range(60):
        y, yhat, yhat_unlabeled = _random_case(rng, case)
        confidence = (0.8, 0.9, 0.95, 0.99)[case % 4]
        ours = ppi_proportion(y, yhat, yhat_unlabeled, confidence=confidence, tuned=tuned)
        low, high = map(
            float,
            np.squeeze(ppi_py.ppi_mean_ci(y, yhat, yhat_unlabeled, alpha=1 - confidence, lam=lam)),
        )
        point = float(np.squeeze(ppi_py.ppi_mean_pointestimate(y, yhat, yhat_unlabeled, lam=lam)))
        # Our interval is clipped to [0, 1]; ppi-python's is not.
        diffs = [ours.p - point, ours.low - max(0.0, low), ours.high - min(1.0, high)]
        if 0 < low and high < 1:
            unclipped += 1
            # The interval is p ± z·se, as ppi-python's.
            diffs.append(ours.se * z_value(confidence) - (high - low) / 2)
        worst = max(worst, *map(abs, diffs))
        assert 0 <= ours.lam <= 1
        if not tuned:
            assert ours.lam == 1
    assert unclipped >= 50
    assert worst < 1e-9


def test_ppi_proportion_with_useless_scores_tunes_lambda_towards_the_classical_estimate():
    rng = np.random.default_rng(7)
    y = (rng.random(500) < 0.3).astype(float)
    scores = np.full(500, 0.4)
    estimate = ppi_proportion(y, scores, np.full(2000, 0.4))
    # Scores that never vary carry no information: λ = 0 and the audits-only estimate.
    assert estimate.lam == 0
    assert estimate.p == pytest.approx(y.mean())
    assert estimate.se == pytest.approx(estimate.classical_se)
    assert estimate.equivalent_audits == pytest.approx(500)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0, 1, 0.5], [0.1, 0.2, 0.3], [0.5]), "y must be 0 or 1"),
        (([0, 1, 1], [0.1, 0.2], [0.5]), "yhat has 2 scores for 3"),
        (([0, 1, 1], [0.1, 0.2, 1.5], [0.5]), "yhat must be numbers between 0 and 1"),
        (([1], [0.1], [0.5]), "at least 2 audited"),
        (([0, 1], [0.1, 0.2], []), "at least 2 audited tickets and 1 unaudited"),
    ],
)
def test_ppi_proportion_rejects_bad_input_by_name(args, message):
    with pytest.raises(ValueError, match=message):
        ppi_proportion(*args)


# --- stratified_ppi ---------------------------------------------------------------------------


def _stratum_rows(rng, big_n, n, rate):
    risk = rng.beta(rate, 1 - rate, size=big_n)
    y_all = (rng.random(big_n) < risk).astype(float)
    sampled = rng.choice(big_n, n, replace=False)
    return y_all[sampled], risk[sampled], risk


def test_stratified_ppi_reports_the_classical_stratified_estimate_it_improves_on():
    rng = np.random.default_rng(11)
    plan = {"chat": (3000, 120, 0.1), "email": (1200, 60, 0.3), "voice": (400, 5, 0.5)}
    strata, counts = {}, {}
    for key, (big_n, n, rate) in plan.items():
        y, yhat, scores = _stratum_rows(rng, big_n, n, rate)
        strata[key] = (big_n, y, yhat, scores)
        counts[key] = (big_n, n, int(y.sum()))
    estimate = stratified_ppi(strata)
    classical = stratified_proportion(counts)
    assert estimate.classical_p == pytest.approx(classical.p, abs=1e-12)
    assert estimate.classical_se == pytest.approx(classical.se, abs=1e-12)
    # "voice" has fewer audits than it takes to tune: λ = 0 there, the classical estimate.
    assert 5 < MIN_AUDITS_TO_TUNE
    assert estimate.lam["voice"] == 0
    assert estimate.lam["chat"] > 0.5  # calibrated scores: a slope near 1
    assert estimate.se < estimate.classical_se
    assert estimate.n == 185 and estimate.population == 4600
    assert estimate.equivalent_audits > 185


def test_stratified_ppi_with_lambda_zero_everywhere_is_stratified_proportion():
    rng = np.random.default_rng(5)
    strata, counts = {}, {}
    for key, big_n in enumerate([500, 800, 50]):
        n = MIN_AUDITS_TO_TUNE - 1
        y, yhat, scores = _stratum_rows(rng, big_n, n, 0.3)
        strata[key] = (big_n, y, yhat, float(scores.sum()))  # the sum instead of the scores
        counts[key] = (big_n, n, int(y.sum()))
    estimate, classical = stratified_ppi(strata), stratified_proportion(counts)
    assert set(estimate.lam.values()) == {0.0}
    assert (estimate.p, estimate.se) == pytest.approx((classical.p, classical.se), abs=1e-12)
    assert (estimate.low, estimate.high) == pytest.approx((classical.low, classical.high))


def test_stratified_ppi_takes_arrays_or_sums_alike():
    rng = np.random.default_rng(3)
    y, yhat, scores = _stratum_rows(rng, 900, 70, 0.2)
    y2, yhat2, scores2 = _stratum_rows(rng, 300, 30, 0.4)
    from_arrays = stratified_ppi({"a": (900, y, yhat, scores), "b": (300, y2, yhat2, scores2)})
    from_sums = stratified_ppi(
        {
            "a": StratumScores(
                population=900,
                population_score_sum=float(scores.sum()),
                n=70,
                y_sum=float(y.sum()),
                score_sum=float(yhat.sum()),
                score2_sum=float((yhat**2).sum()),
                score3_sum=float((yhat**3).sum()),
                score4_sum=float((yhat**4).sum()),
                y_score_sum=float((y * yhat).sum()),
                y_score2_sum=float((y * yhat**2).sum()),
                y_score3_sum=float((y * yhat**3).sum()),
            ),
            "b": {"population": 300, "y": y2, "yhat": yhat2, "population_scores": scores2.sum()},
        }
    )
    assert from_sums.p == pytest.approx(from_arrays.p, abs=1e-12)
    assert from_sums.se == pytest.approx(from_arrays.se, abs=1e-12)
    assert from_sums.lam == pytest.approx(from_arrays.lam, abs=1e-12)


def test_stratified_ppi_is_the_regression_estimator_with_its_g_weighted_variance():
    """λ_h, the estimate and the g-weighted variance by a hand-written loop over the audits
    (Särndal, Swensson & Wretman 1992, ch. 6), independent of the code's sums.
    """
    y = [1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0]
    f = [0.9, 0.2, 0.1, 0.6, 0.3, 0.2, 0.1, 0.4, 0.5, 0.1, 0.8, 0.2]
    n, big_n, population_mean = 12, 200, 0.3
    y_bar, f_bar = sum(y) / n, sum(f) / n
    sxy = sum((a - y_bar) * (b - f_bar) for a, b in zip(y, f, strict=True))
    sxx = sum((b - f_bar) ** 2 for b in f)
    slope = sxy / sxx
    g = [1 + (population_mean - f_bar) * (b - f_bar) / (sxx / n) for b in f]
    residuals = [a - y_bar - slope * (b - f_bar) for a, b in zip(y, f, strict=True)]
    weighted = sum((gi * r) ** 2 for gi, r in zip(g, residuals, strict=True))
    variance = (1 - n / big_n) * weighted / (n - 2) / n
    estimate = stratified_ppi({"all": (big_n, y, f, population_mean * big_n)})
    assert estimate.lam["all"] == pytest.approx(slope, abs=1e-12)
    assert estimate.p == pytest.approx(y_bar + slope * (population_mean - f_bar), abs=1e-12)
    assert estimate.se == pytest.approx(math.sqrt(variance), abs=1e-12)
    assert estimate.low == pytest.approx(estimate.p - z_value() * estimate.se, abs=1e-12)


def test_stratified_ppi_with_lambda_one_is_exactly_unbiased_over_every_sample():
    """Every one of the C(9, 4) = 126 simple random samples: E[p̂] = P and E[v̂] = V(p̂)
    (Särndal, Swensson & Wretman 1992, ch. 6: the difference estimator under SI sampling).
    """
    y = np.array([1, 0, 0, 1, 1, 0, 0, 0, 1], float)
    f = np.array([0.8, 0.1, 0.4, 0.7, 0.3, 0.2, 0.6, 0.1, 0.9])
    big_n, n = len(y), 4
    estimates, variances = [], []
    for sample in itertools.combinations(range(big_n), n):
        idx = list(sample)
        e = stratified_ppi({"h": (big_n, y[idx], f[idx], f)}, tuned=False)
        assert e.lam == {"h": 1.0}
        estimates.append(e.p)
        variances.append(e.se**2)
    estimates = np.array(estimates)
    assert estimates.mean() == pytest.approx(y.mean(), abs=1e-12)
    assert np.mean(variances) == pytest.approx(estimates.var(), abs=1e-12)


def test_a_census_stratum_adds_no_variance_and_unaudited_strata_are_listed():
    y = np.array([1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], float)
    f = np.linspace(0.05, 0.95, 12)
    estimate = stratified_ppi({"all": (12, y, f, f), "none": (40, [], [], 10.0)})
    assert estimate.p == pytest.approx(y.mean())
    assert estimate.se == 0
    assert estimate.uncovered_strata == ("none",)


@pytest.mark.parametrize(
    ("strata", "message"),
    [
        ({}, "strata is empty"),
        ({"a": (10, [1, 0], [0.2])}, "stratum 'a' must be StratumScores or"),
        ({"a": (10, [1, 0], [0.2, 0.3], [0.5] * 9)}, "9 population scores for a population of"),
        ({"a": (1, [1, 0], [0.2, 0.3], 0.5)}, "more audits than tickets"),
        ({"a": (10, [1, 0], [0.2, 0.3], 11.0)}, "score sum exceeds"),
        ({"a": (10, [], [], 3.0)}, "no stratum was audited"),
    ],
)
def test_stratified_ppi_rejects_bad_strata_by_name(strata, message):
    with pytest.raises(ValueError, match=message):
        stratified_ppi(strata)


# --- ht_proportion ----------------------------------------------------------------------------


def test_ht_proportion_matches_a_small_example_worked_in_exact_fractions():
    """Four audited tickets of N = 20 drawn by Poisson sampling. By hand (Särndal et al. 1992,
    ch. 2–3, 5): t̂ = Σ y/π, v̂(t̂) = Σ (1 − π) y²/π²; Hájek p̃ = t̂/N̂, N̂ = Σ 1/π,
    v̂(p̃) = Σ (1 − π)(y − p̃)²/π² / N̂².
    """
    y = [1, 0, 1, 0]
    pi = [Fraction(1, 2), Fraction(1, 4), Fraction(1, 10), Fraction(4, 5)]
    total = sum(Fraction(a) / b for a, b in zip(y, pi, strict=True))  # 2 + 10 = 12
    assert total == 12
    ht_var = sum((1 - b) * a / b**2 for a, b in zip(y, pi, strict=True)) / 20**2  # 92/400
    assert ht_var == Fraction(23, 100)
    n_hat = sum(1 / b for b in pi)  # 69/4
    hajek = total / n_hat  # 16/23
    hajek_var = sum((1 - b) * (a - hajek) ** 2 / b**2 for a, b in zip(y, pi, strict=True))
    hajek_var /= n_hat**2
    floats = [float(b) for b in pi]

    ht = ht_proportion(y, floats, population=20, method="ht", interval="normal")
    assert ht.p == pytest.approx(0.6, abs=1e-12)
    assert ht.se == pytest.approx(math.sqrt(0.23), abs=1e-12)
    assert (ht.low, ht.high) == (0.0, 1.0)  # 0.6 ∓ 1.96 · 0.4796, clipped to [0, 1]

    h = ht_proportion(y, floats, interval="normal")
    assert h.p == pytest.approx(16 / 23, abs=1e-12)
    assert h.se == pytest.approx(math.sqrt(float(hajek_var)), abs=1e-12)
    assert h.population == pytest.approx(17.25)
    half = z_value() * h.se
    assert (h.low, h.high) == pytest.approx((max(0, 16 / 23 - half), min(1, 16 / 23 + half)))


def test_ht_proportion_is_exactly_unbiased_with_an_unbiased_variance_over_every_poisson_sample():
    """All 2⁷ Poisson samples with their probabilities: E[p̂_HT] = P and E[v̂] = V(p̂_HT). The
    empty sample (estimate 0, variance estimate 0) is added by hand: the function refuses it.
    """
    y = np.array([1, 0, 0, 1, 1, 0, 0], float)
    pi = np.array([0.9, 0.2, 0.5, 0.3, 0.6, 0.1, 0.75])
    mean = var_hat = second = 0.0
    for mask in itertools.product([False, True], repeat=len(y)):
        mask = np.array(mask)
        chance = float(np.prod(np.where(mask, pi, 1 - pi)))
        if not mask.any():
            continue
        e = ht_proportion(y[mask], pi[mask], population=len(y), method="ht")
        mean += chance * e.p
        second += chance * e.p**2
        var_hat += chance * e.se**2
    assert mean == pytest.approx(y.mean(), abs=1e-12)
    assert var_hat == pytest.approx(second - mean**2, abs=1e-12)
    # And the variance itself is the textbook Σ (1 − π) y²/π / N² for Poisson sampling.
    assert var_hat == pytest.approx(np.sum((1 - pi) * y / pi) / len(y) ** 2, abs=1e-12)


def test_ht_proportion_with_equal_probabilities_is_the_sample_rate():
    y = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0], float)
    e = ht_proportion(y, np.full(10, 0.1))
    assert e.p == pytest.approx(0.2)
    assert e.population == pytest.approx(100)
    # Wilson's interval at n_eff = p(1 − p)/v = 10 / 0.9 (the Poisson variance counts the
    # random sample size), computed here from its formula.
    z, n_eff = z_value(), 0.2 * 0.8 / e.se**2
    centre = (0.2 + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
    half = z / (1 + z * z / n_eff) * math.sqrt(0.16 / n_eff + z * z / (4 * n_eff**2))
    assert (e.low, e.high) == pytest.approx((centre - half, centre + half), abs=1e-12)
    assert e.effective_n == pytest.approx(n_eff)
    census = ht_proportion(y, np.ones(10), population=10, method="ht")
    assert (census.p, census.se, census.low, census.high) == (0.2, 0.0, 0.2, 0.2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y": [1, 0], "inclusion": [0.5]}, "inclusion has 1 probabilities for 2"),
        ({"y": [1, 0], "inclusion": [0.5, 0]}, "inclusion probabilities must lie in"),
        ({"y": [1, 0], "inclusion": [0.5, 0.5], "method": "ht"}, "needs the population size"),
        ({"y": [1, 0], "inclusion": [0.5, 0.5], "method": "mean"}, "method must be"),
        ({"y": [], "inclusion": []}, "no audited ticket"),
    ],
)
def test_ht_proportion_rejects_bad_input_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ht_proportion(**kwargs)

