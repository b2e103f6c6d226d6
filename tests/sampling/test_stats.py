"""Tests for sampling.stats against published worked examples, plus property tests.

Every expected number below is either quoted from the cited publication (rounded as printed
there) or, where no publication was at hand, computed independently of the code under test
(scipy, a hand-written formula, or an exhaustive enumeration); each test says which.
"""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import beta, chi2_contingency, hypergeom, norm

from sampling.stats import (
    CI_METHODS,
    Estimate,
    allocate,
    cohen_kappa,
    difference_ci,
    fleiss_kappa,
    krippendorff_alpha,
    margin_of_error,
    p_chart,
    proportion_ci,
    sample_size,
    stratified_proportion,
    two_proportion_test,
    z_value,
)

PRINTED = 5e-5  # published intervals are printed to 4 decimals
FAST = settings(max_examples=150, deadline=None)


# --- single proportion ------------------------------------------------------------------------

# Newcombe RG (1998) "Two-sided confidence intervals for the single proportion: comparison of
# seven methods", Stat Med 17:857-872, Table I: 95% limits for four example proportions.
# Method 1 = Wald ("simple asymptotic"), 3 = Wilson score, 5 = Clopper-Pearson ("exact").
NEWCOMBE_1998_TABLE_I = [
    (81, 263, "wald", (0.2522, 0.3638)),
    (81, 263, "wilson", (0.2553, 0.3662)),
    (81, 263, "clopper_pearson", (0.2527, 0.3676)),
    (15, 148, "wald", (0.0527, 0.1500)),
    (15, 148, "wilson", (0.0624, 0.1605)),
    (15, 148, "clopper_pearson", (0.0578, 0.1617)),
    (0, 20, "wald", (0.0, 0.0)),  # the degenerate Wald interval at x = 0
    (0, 20, "wilson", (0.0, 0.1611)),
    (0, 20, "clopper_pearson", (0.0, 0.1684)),
    (1, 29, "wilson", (0.0061, 0.1718)),
    (1, 29, "clopper_pearson", (0.0009, 0.1776)),
]


@pytest.mark.parametrize(("x", "n", "method", "expected"), NEWCOMBE_1998_TABLE_I)
def test_proportion_ci_matches_newcombe_1998_table_i(x, n, method, expected):
    assert proportion_ci(x, n, method=method) == pytest.approx(expected, abs=PRINTED)


def test_wald_overshoot_is_clipped_at_zero():
    # Newcombe (1998) Table I, 1/29 by method 1: upper 0.1009 and a lower limit below zero
    # (an "overt aberration" in his terms); we clip it to 0 by design.
    low, high = proportion_ci(1, 29, method="wald")
    assert low == 0.0
    assert high == pytest.approx(0.1009, abs=PRINTED)


@pytest.mark.parametrize("confidence", [0.80, 0.90, 0.95, 0.99, 0.999])
@pytest.mark.parametrize(("x", "n"), [(0, 12), (3, 40), (17, 17), (250, 1000)])
def test_interval_methods_against_independent_formulas(x, n, confidence):
    # No published table covers every method at every level, so each is recomputed here
    # from its defining formula with scipy only.
    z = norm.ppf(0.5 + confidence / 2)
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert proportion_ci(x, n, confidence, "wilson") == pytest.approx(
        (max(0, centre - half), min(1, centre + half)), abs=1e-9
    )
    n_tilde = n + z * z  # Agresti & Coull (1998)
    p_tilde = (x + z * z / 2) / n_tilde
    half = z * math.sqrt(p_tilde * (1 - p_tilde) / n_tilde)
    expected_ac = (max(0, min(p, p_tilde - half)), min(1, max(p, p_tilde + half)))
    assert proportion_ci(x, n, confidence, "agresti_coull") == pytest.approx(expected_ac, abs=1e-9)
    alpha = 1 - confidence  # Clopper & Pearson (1934) as beta quantiles
    cp_low = 0.0 if x == 0 else beta.ppf(alpha / 2, x, n - x + 1)
    cp_high = 1.0 if x == n else beta.ppf(1 - alpha / 2, x + 1, n - x)
    assert proportion_ci(x, n, confidence, "clopper_pearson") == pytest.approx(
        (cp_low, cp_high), abs=1e-9
    )
    # Jeffreys with the boundary rule of Brown, Cai & DasGupta (2001) §4.1.2.
    j_low = 0.0 if x == 0 else beta.ppf(alpha / 2, x + 0.5, n - x + 0.5)
    j_high = 1.0 if x == n else beta.ppf(1 - alpha / 2, x + 0.5, n - x + 0.5)
    assert proportion_ci(x, n, confidence, "jeffreys") == pytest.approx((j_low, j_high), abs=1e-9)


def test_wald_is_degenerate_at_zero_and_n():
    assert proportion_ci(0, 50, method="wald") == (0.0, 0.0)
    assert proportion_ci(50, 50, method="wald") == (1.0, 1.0)


def test_z_value():
    # Standard normal table: z_{0.975} = 1.959964, z_{0.995} = 2.575829, z_{0.95} = 1.644854.
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_value(0.99) == pytest.approx(2.575829, abs=1e-6)
    assert z_value(0.90) == pytest.approx(1.644854, abs=1e-6)


@given(
    data=st.lists(st.tuples(st.integers(0, 400), st.integers(1, 400)), min_size=1, max_size=20),
    method=st.sampled_from(CI_METHODS),
    confidence=st.floats(0.01, 0.999),
)
@FAST
def test_vectorised_ci_equals_scalar(data, method, confidence):
    x = np.array([min(a, b) for a, b in data])
    n = np.array([b for _, b in data])
    low, high = proportion_ci(x, n, confidence, method)
    assert isinstance(low, np.ndarray) and low.shape == x.shape
    for i in range(len(x)):
        scalar = proportion_ci(int(x[i]), int(n[i]), confidence, method)
        assert isinstance(scalar[0], float)
        assert scalar == pytest.approx((low[i], high[i]), abs=1e-12)


@given(
    n=st.integers(1, 2000),
    fraction=st.floats(0, 1),
    method=st.sampled_from(CI_METHODS),
    confidence=st.floats(0.01, 0.9999),
)
@FAST
def test_every_interval_contains_estimate_and_lies_in_unit_interval(
    n, fraction, method, confidence
):
    x = round(fraction * n)
    low, high = proportion_ci(x, n, confidence, method)
    assert 0.0 <= low <= x / n <= high <= 1.0


@pytest.mark.parametrize(
    ("successes", "n", "match"),
    [(0, 0, "n must be positive"), (3, -1, "n must be"), (5, 4, "successes"), (-1, 4, "successes")],
)
def test_proportion_ci_rejects_bad_counts(successes, n, match):
    with pytest.raises(ValueError, match=match):
        proportion_ci(successes, n)


def test_proportion_ci_rejects_bad_array_element():
    with pytest.raises(ValueError, match="n must be positive"):
        proportion_ci(np.array([1, 2]), np.array([5, 0]))


@pytest.mark.parametrize("confidence", [0, 1, 1.5, -0.2, 95])
def test_confidence_outside_unit_interval_is_rejected(confidence):
    with pytest.raises(ValueError, match="confidence"):
        proportion_ci(3, 10, confidence)
    with pytest.raises(ValueError, match="confidence"):
        sample_size(0.05, confidence)
    with pytest.raises(ValueError, match="confidence"):
        stratified_proportion({"a": (10, 5, 1)}, confidence)


def test_unknown_method_is_rejected():
    with pytest.raises(ValueError, match="method"):
        proportion_ci(3, 10, method="exact")


# --- sample size -----------------------------------------------------------------------------


def test_sample_size_cochran_textbook_values():
    # Cochran (1977) Sampling Techniques ch. 4 with e = 0.05, p = 0.5, 95%:
    # n0 = 1.96² · 0.25 / 0.05² = 384.16 -> 385; with N = 1000, n = n0 / (1 + (n0-1)/N) = 277.7
    # -> 278, the value tabulated by Krejcie & Morgan (1970) Educ Psychol Meas 30:607 for
    # N = 1000 (their formula is algebraically the same); their N = 100 entry is 80.
    assert sample_size(0.05) == 385
    assert sample_size(0.05, population=1000) == 278
    assert sample_size(0.05, population=100) == 80


def test_sample_size_other_levels_and_p():
    # Independent arithmetic: 99%, e = 3%, p = 0.1 -> 2.5758² · 0.09 / 0.0009 = 663.5 -> 664.
    assert sample_size(0.03, 0.99, p=0.1) == math.ceil(norm.ppf(0.995) ** 2 * 0.09 / 0.0009)
    assert sample_size(0.05, p=0.0) == 1  # no variance: one unit, never zero
    assert sample_size(0.01, population=50) <= 50


def test_sample_size_vectorised():
    result = sample_size(np.array([0.05, 0.03, 0.05]), population=np.array([1000, 100, 10**9]))
    assert result.dtype.kind == "i"
    assert result.tolist() == [
        sample_size(0.05, population=1000),
        sample_size(0.03, population=100),
        sample_size(0.05, population=10**9),
    ]


@pytest.mark.parametrize("margin", [0, 1, -0.1, 1.2])
def test_sample_size_rejects_margins_outside_unit_interval(margin):
    with pytest.raises(ValueError, match="margin"):
        sample_size(margin)


@given(
    margin=st.floats(0.005, 0.5),
    p=st.floats(0.01, 0.99),
    population=st.none() | st.integers(2, 100_000),
    confidence=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
@FAST
def test_sample_size_is_smallest_n_meeting_margin(margin, p, population, confidence):
    n = sample_size(margin, confidence, p, population)
    assert margin_of_error(n, confidence, p, population) <= margin * (1 + 1e-9)
    if n > 1:
        assert margin_of_error(n - 1, confidence, p, population) > margin * (1 - 1e-9)


def test_margin_of_error_census_is_zero():
    assert margin_of_error(500, population=500) == 0.0
    with pytest.raises(ValueError, match="n cannot exceed population"):
        margin_of_error(501, population=500)


# --- allocation --------------------------------------------------------------------------------


def test_proportional_allocation_largest_remainder():
    # Shares 100 · (1/7, 2/7, 4/7) = 14.29, 28.57, 57.14: floors 14 + 28 + 57 = 99, the one
    # leftover unit goes to the largest remainder (0.57, stratum b).
    assert allocate({"a": 100, "b": 200, "c": 400}, 100) == {"a": 14, "b": 29, "c": 57}


def test_neyman_allocation():
    # Cochran (1977) ch. 5: n_h ∝ N_h S_h. Weights 100·0.5, 300·0.1, 100·0.2 = 50, 30, 20.
    sizes = {"a": 100, "b": 300, "c": 100}
    stddevs = {"a": 0.5, "b": 0.1, "c": 0.2}
    assert allocate(sizes, 50, "neyman", stddevs=stddevs) == {"a": 25, "b": 15, "c": 10}


def test_optimal_allocation_with_costs():
    # n_h ∝ N_h S_h / sqrt(c_h): weights 50/1, 30/1, 20/2 = 50, 30, 10 -> 90 units = 50, 30, 10.
    sizes = {"a": 100, "b": 300, "c": 100}
    stddevs = {"a": 0.5, "b": 0.1, "c": 0.2}
    costs = {"a": 1, "b": 1, "c": 4}
    result = allocate(sizes, 90, "optimal", stddevs=stddevs, costs=costs)
    assert result == {"a": 50, "b": 30, "c": 10}


def test_equal_allocation_caps_small_strata():
    # 60 split equally is 20 each, but stratum a only has 8: it is taken whole, 26 each to b, c.
    assert allocate({"a": 8, "b": 500, "c": 500}, 60, "equal") == {"a": 8, "b": 26, "c": 26}


def test_allocation_above_population_takes_census():
    assert allocate({"a": 10, "b": 5}, 100) == {"a": 10, "b": 5}


def test_minimums_are_served_first():
    # Proportional would give a 1 of 100; the minimum lifts it to 10 (its N_h allows) and
    # stratum b, with N_h = 4, is taken whole. The remaining 86 split 300:600 -> 29, 57.
    result = allocate({"a": 100, "b": 4, "c": 300, "d": 600}, 100, minimum=10)
    assert result == {"a": 10, "b": 4, "c": 29, "d": 57}


def test_minimums_exceeding_n_raise():
    with pytest.raises(ValueError, match="minimum=10 per stratum needs 30 units"):
        allocate({"a": 100, "b": 100, "c": 100}, 20, minimum=10)


def test_neyman_with_zero_stddevs_falls_back_to_proportional():
    sizes = {"a": 100, "b": 300}
    zero = {"a": 0, "b": 0}
    assert allocate(sizes, 40, "neyman", stddevs=zero) == allocate(sizes, 40, "proportional")


def test_allocation_argument_errors():
    with pytest.raises(ValueError, match="needs stddevs"):
        allocate({"a": 10}, 5, "neyman")
    with pytest.raises(ValueError, match="needs costs"):
        allocate({"a": 10}, 5, "optimal", stddevs={"a": 1})
    with pytest.raises(ValueError, match="no value for strata"):
        allocate({"a": 10, "b": 3}, 5, "neyman", stddevs={"a": 1})
    with pytest.raises(ValueError, match="empty"):
        allocate({}, 5)
    with pytest.raises(ValueError, match="method"):
        allocate({"a": 10}, 5, "random")
    with pytest.raises(ValueError, match="n must be a non-negative integer"):
        allocate({"a": 10}, -1)


@given(
    sizes=st.lists(st.integers(0, 400), min_size=1, max_size=8),
    n=st.integers(0, 2500),
    method=st.sampled_from(["proportional", "neyman", "optimal", "equal"]),
    minimum=st.integers(0, 30),
    spread=st.lists(st.floats(0, 3), min_size=8, max_size=8),
    cost=st.lists(st.floats(0.1, 10), min_size=8, max_size=8),
)
@FAST
def test_allocation_properties(sizes, n, method, minimum, spread, cost):
    strata = {f"s{i}": size for i, size in enumerate(sizes)}
    stddevs = {k: spread[i] for i, k in enumerate(strata)}
    costs = {k: cost[i] for i, k in enumerate(strata)}
    floors = {k: min(minimum, size) for k, size in strata.items()}
    if n < sum(sizes) and sum(floors.values()) > n:
        with pytest.raises(ValueError, match="minimum"):
            allocate(strata, n, method, stddevs, costs, minimum)
        return
    result = allocate(strata, n, method, stddevs, costs, minimum)
    assert list(result) == list(strata)
    assert all(isinstance(v, int) for v in result.values())
    assert sum(result.values()) == min(n, sum(sizes))
    for key, size in strata.items():
        assert floors[key] <= result[key] <= size


@given(sizes=st.lists(st.integers(50, 1000), min_size=1, max_size=8), n=st.integers(0, 50))
@FAST
def test_unconstrained_proportional_allocation_is_within_one_of_exact_share(sizes, n):
    strata = {i: size for i, size in enumerate(sizes)}
    result = allocate(strata, n)
    for key, size in strata.items():
        assert abs(result[key] - n * size / sum(sizes)) < 1


# --- stratified estimate -------------------------------------------------------------------------


def _naive_stratified(strata):
    """Independent, loop-based transcription of Cochran's formulas for the checks below."""
    population = sum(big_n for big_n, _, _ in strata.values())
    p = var = 0.0
    for big_n, n, x in strata.values():
        w = big_n / population
        p += w * x / n
        var += w * w * (1 - n / big_n) * (x / n) * (1 - x / n) / (n - 1)
    return p, math.sqrt(var)


def test_stratified_estimate_matches_cochran_formula():
    strata = {"chat": (1200, 60, 9), "email": (800, 40, 2), "voice": (2000, 50, 12)}
    p, se = _naive_stratified(strata)
    estimate = stratified_proportion(strata)
    assert isinstance(estimate, Estimate)
    assert estimate.p == pytest.approx(p, rel=1e-12)
    assert estimate.se == pytest.approx(se, rel=1e-12)
    z = norm.ppf(0.975)
    assert (estimate.low, estimate.high) == pytest.approx((p - z * se, p + z * se), rel=1e-12)
    assert estimate.margin == pytest.approx(z * se, rel=1e-12)
    assert estimate.n == 150 and estimate.population == 4000
    assert estimate.covered_population == 4000 and estimate.uncovered_strata == ()


def test_stratified_variance_is_design_unbiased_by_exhaustive_enumeration():
    # Under stratified simple random sampling without replacement x_h is hypergeometric.
    # Summing over every possible sample, E[v(p_st)] must equal the true Var(p_st)
    # (Cochran 1977 ch. 5; Lohr 2010 §3.2); dropping the finite population
    # correction or the n_h - 1 divisor would break this equality.
    population = {"a": (30, 7, 5), "b": (12, 6, 4), "c": (50, 20, 8)}  # (N_h, defects, n_h)
    total = sum(size for size, _, _ in population.values())
    expected_v = true_var = 0.0
    for key, (size, defects, n) in population.items():
        w = size / total
        support = range(max(0, n - size + defects), min(n, defects) + 1)
        pmf = [hypergeom.pmf(x, size, defects, n) for x in support]
        true_var += w * w * hypergeom.var(size, defects, n) / n**2
        for x, prob in zip(support, pmf, strict=True):
            expected_v += prob * w * w * stratified_proportion({key: (size, n, x)}).se ** 2
    assert expected_v == pytest.approx(true_var, rel=1e-10)


def test_census_strata_contribute_no_variance():
    estimate = stratified_proportion({"a": (40, 40, 10), "b": (100, 20, 5)})
    only_b = stratified_proportion({"b": (100, 20, 5)})
    assert estimate.se == pytest.approx(only_b.se * 100 / 140, rel=1e-12)


def test_unsampled_stratum_is_excluded_and_reported():
    with_gap = stratified_proportion({"a": (100, 10, 2), "b": (50, 10, 1), "new": (300, 0, 0)})
    without = stratified_proportion({"a": (100, 10, 2), "b": (50, 10, 1)})
    assert with_gap.uncovered_strata == ("new",)
    assert with_gap.population == 450 and with_gap.covered_population == 150
    assert (with_gap.p, with_gap.se) == (without.p, without.se)


def test_stratified_errors():
    with pytest.raises(ValueError, match="empty"):
        stratified_proportion({})
    with pytest.raises(ValueError, match="no stratum was sampled"):
        stratified_proportion({"a": (10, 0, 0)})
    with pytest.raises(ValueError, match="n_h cannot exceed N_h"):
        stratified_proportion({"a": (10, 11, 0)})
    with pytest.raises(ValueError, match="successes_h cannot exceed n_h"):
        stratified_proportion({"a": (10, 5, 6)})
    with pytest.raises(ValueError, match="triple"):
        stratified_proportion({"a": (10, 5, 1), "b": (10, 5)})


def test_single_unit_stratum_uses_conservative_variance():
    # n_h = 1 < N_h: no variance estimate exists, the bound s_h² = 1/4 is used.
    estimate = stratified_proportion({"a": (10, 1, 0)})
    assert estimate.se == pytest.approx(math.sqrt((1 - 1 / 10) * 0.25))


def test_wilson_interval_for_zero_defects_is_not_degenerate():
    estimate = stratified_proportion({"a": (100, 10, 0), "b": (50, 50, 0)}, method="wilson")
    assert estimate.p == 0.0 and estimate.se == 0.0
    assert estimate.low == 0.0 and estimate.high > 0.0
    normal = stratified_proportion({"a": (100, 10, 0), "b": (50, 50, 0)})
    assert normal.high == 0.0  # the normal interval collapses, as Wald does


strata_strategy = st.lists(
    st.tuples(st.integers(1, 500), st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=12
).map(
    lambda rows: {
        i: (size, max(1, round(f * size)), round(g * max(1, round(f * size))))
        for i, (size, f, g) in enumerate(rows)
    }
)


@given(strata=strata_strategy)
@FAST
def test_full_census_has_zero_se_and_population_proportion(strata):
    census = {k: (size, size, round(x * size / n)) for k, (size, n, x) in strata.items()}
    estimate = stratified_proportion(census)
    population = sum(size for size, _, _ in census.values())
    assert estimate.se == 0.0
    assert estimate.p == pytest.approx(sum(x for _, _, x in census.values()) / population)
    assert estimate.low == estimate.high == estimate.p


@given(
    strata=strata_strategy,
    method=st.sampled_from(["normal", "wilson"]),
    confidence=st.floats(0.5, 0.999),
)
@FAST
def test_stratified_interval_contains_p_and_lies_in_unit_interval(strata, method, confidence):
    estimate = stratified_proportion(strata, confidence, method)
    assert 0.0 <= estimate.low <= estimate.p <= estimate.high <= 1.0
    assert estimate.se >= 0 and estimate.margin >= 0


# --- two samples ----------------------------------------------------------------------------------

# Newcombe RG (1998) "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Stat Med 17:873-890, Table II, 95% limits; method 10 is the
# hybrid score interval, method 1 the simple asymptotic (Wald) interval.
NEWCOMBE_1998_TABLE_II_METHOD_10 = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]
NEWCOMBE_1998_TABLE_II_METHOD_1 = [
    ((56, 70, 48, 80), (0.0575, 0.3425)),
    ((9, 10, 3, 10), (0.2605, 0.9395)),
    ((6, 7, 2, 7), (0.1481, 0.9947)),
    ((5, 56, 0, 29), (0.0146, 0.1640)),
]


@pytest.mark.parametrize(("counts", "expected"), NEWCOMBE_1998_TABLE_II_METHOD_10)
def test_newcombe_hybrid_score_matches_table_ii(counts, expected):
    assert difference_ci(*counts) == pytest.approx(expected, abs=PRINTED)


@pytest.mark.parametrize(("counts", "expected"), NEWCOMBE_1998_TABLE_II_METHOD_1)
def test_wald_difference_matches_table_ii(counts, expected):
    assert difference_ci(*counts, method="wald") == pytest.approx(expected, abs=PRINTED)


def test_difference_ci_other_confidence_is_narrower():
    low90, high90 = difference_ci(56, 70, 48, 80, confidence=0.90)
    assert 0.0524 < low90 < 0.2 < high90 < 0.3339


@pytest.mark.parametrize("counts", [(56, 70, 48, 80), (3, 40, 9, 35), (1, 200, 0, 150)])
def test_two_proportion_test_equals_uncorrected_chi_square(counts):
    # Independent check: the pooled z² is Pearson's chi-square without Yates' correction
    # (Fleiss, Levin & Paik 2003 §2), with the same two-sided p-value.
    x1, n1, x2, n2 = counts
    z, p_value = two_proportion_test(*counts)
    chi2, chi2_p, _, _ = chi2_contingency([[x1, n1 - x1], [x2, n2 - x2]], correction=False)
    assert z * z == pytest.approx(chi2, rel=1e-10)
    assert p_value == pytest.approx(chi2_p, rel=1e-8)
    assert math.copysign(1, z) == math.copysign(1, x1 / n1 - x2 / n2)


def test_two_proportion_test_identical_degenerate_samples():
    assert two_proportion_test(0, 10, 0, 25) == (0.0, 1.0)
    assert two_proportion_test(10, 10, 25, 25) == (0.0, 1.0)
    with pytest.raises(ValueError, match="n2"):
        two_proportion_test(1, 10, 0, 0)


# --- p-chart ----------------------------------------------------------------------------------


def test_p_chart_montgomery_example_7_1():
    # Montgomery (2009) Introduction to Statistical Quality Control, 6th ed., Example 7.1
    # (orange-juice cans, 30 samples of n = 50, 347 nonconforming): p̄ = 0.2313,
    # UCL = 0.4102, LCL = 0.0524.
    defectives = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22,
                  8, 10, 5, 13, 11, 20, 18, 24, 15, 9, 12, 7, 13, 9, 6]  # fmt: skip
    center, lcl, ucl = p_chart(defectives, [50] * 30)
    assert center == pytest.approx(0.2313, abs=PRINTED)
    assert np.allclose(ucl, 0.4102, atol=PRINTED) and np.allclose(lcl, 0.0524, atol=PRINTED)


def test_p_chart_variable_sample_sizes():
    # Montgomery (2009) Example 7.3 (purchase orders, 25 days, variable n): 234 nonconforming
    # in 2450, p̄ = 0.096; for n = 100 the book gives UCL 0.185 and LCL 0.007 (computed from the
    # rounded p̄, hence the tolerance). Each day's limits are also recomputed from the formula.
    sizes = [100, 80, 80, 100, 110, 110, 100, 100, 90, 90, 110, 120, 120,
             120, 110, 80, 80, 80, 90, 100, 100, 100, 100, 90, 90]  # fmt: skip
    defectives = [12, 8, 6, 9, 10, 12, 11, 16, 10, 6, 20, 15, 9,
                  8, 6, 8, 10, 7, 5, 8, 5, 8, 10, 6, 9]  # fmt: skip
    center, lcl, ucl = p_chart(defectives, sizes)
    assert center == pytest.approx(0.096, abs=1e-3)
    assert ucl[0] == pytest.approx(0.185, abs=2e-3) and lcl[0] == pytest.approx(0.007, abs=2e-3)
    sd = np.sqrt(center * (1 - center) / np.array(sizes))
    assert np.allclose(ucl, center + 3 * sd) and np.allclose(lcl, np.maximum(0, center - 3 * sd))


def test_p_chart_limits_are_floored_and_capped():
    center, lcl, ucl = p_chart([1, 0, 2], [5, 5, 5])
    assert center == pytest.approx(0.2)
    assert np.all(lcl == 0.0) and np.all(ucl <= 1.0)
    _, _, ucl_high = p_chart([4, 5], [5, 5])
    assert np.all(ucl_high == 1.0)


def test_p_chart_rejects_mismatched_input():
    with pytest.raises(ValueError, match="same length"):
        p_chart([1, 2], [10])
    with pytest.raises(ValueError, match="defectives"):
        p_chart([11], [10])


# --- agreement -----------------------------------------------------------------------------------


def test_fleiss_1971_psychiatric_diagnoses():
    # Fleiss JL (1971) "Measuring nominal scale agreement among many raters", Psychol Bull
    # 76:378-382: 30 patients, 6 psychiatrists, 5 diagnoses; kappa = 0.430. Raw ratings as
    # distributed in R's irr::diagnoses (also used by statsmodels' test suite).
    diagnoses = [
        [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
    ]  # fmt: skip
    counts = [[row.count(category) for category in range(1, 6)] for row in diagnoses]
    assert fleiss_kappa(counts) == pytest.approx(0.430, abs=5e-4)


def test_fleiss_kappa_wikipedia_example():
    # Worked example of the Wikipedia article "Fleiss' kappa" (10 subjects, 14 raters,
    # 5 categories): P̄ = 0.378, P̄e = 0.213, kappa = 0.210.
    counts = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]  # fmt: skip
    assert fleiss_kappa(counts) == pytest.approx(0.210, abs=5e-4)


def _pairs_from_table(table):
    a, b = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [i] * count
            b += [j] * count
    return a, b


def test_cohen_kappa_sas_example():
    # SAS/STAT PROC FREQ documentation, simple kappa for a 3 x 3 table (as reproduced in
    # statsmodels' test suite): kappa = 0.4842.
    a, b = _pairs_from_table([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    assert cohen_kappa(a, b) == pytest.approx(0.4842, abs=5e-5)


def test_cohen_kappa_two_by_two_textbook_example():
    # Wikipedia "Cohen's kappa", worked example: 50 grant proposals, yes/yes 20, yes/no 5,
    # no/yes 10, no/no 15: p_o = 0.7, p_e = 0.5, kappa = 0.4. Labels can be any hashables.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4, abs=1e-12)


def test_kappa_perfect_agreement_on_one_category_is_one():
    assert cohen_kappa(["pass"] * 8, ["pass"] * 8) == 1.0
    assert fleiss_kappa([[3, 0], [3, 0], [3, 0]]) == 1.0
    assert krippendorff_alpha([[1, 1, 1], [1, 1, 1]]) == 1.0


def test_kappa_errors():
    with pytest.raises(ValueError, match="rater_a has 2 labels but rater_b has 3"):
        cohen_kappa([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="missing"):
        cohen_kappa([1, None], [1, 2])
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa([[2, 1], [1, 1]])


# Krippendorff K (2011) "Computing Krippendorff's Alpha-Reliability", Annenberg School for
# Communication, University of Pennsylvania, section C: 4 observers x 12 units with missing
# values; alpha = 0.743 nominal, 0.815 ordinal, 0.849 interval, 0.797 ratio.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_worked_example(level, expected):
    assert krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(expected, abs=5e-4)


def test_krippendorff_accepts_nan_and_strings():
    as_floats = np.array(KRIPPENDORFF_2011, dtype=float)  # None -> nan
    assert krippendorff_alpha(as_floats) == pytest.approx(0.743, abs=5e-4)
    labels = {1: "a", 2: "b", 3: "c", 4: "d", 5: "e"}
    as_text = [[labels.get(v) for v in row] for row in KRIPPENDORFF_2011]
    assert krippendorff_alpha(as_text) == pytest.approx(0.743, abs=5e-4)
    with pytest.raises(ValueError, match="numeric"):
        krippendorff_alpha(as_text, "interval")


def test_krippendorff_nominal_two_raters_equals_scotts_pi():
    # Independent check without a coincidence matrix: for two observers and no missing data,
    # alpha = 1 - (n - 1) · (mismatched ordered pairs) / Σ_{c≠k} n_c n_k (Krippendorff 2011,
    # section B), with n the number of pooled values.
    a = [1, 1, 2, 2, 3, 1, 2, 3, 3, 1]
    b = [1, 2, 2, 2, 3, 1, 1, 3, 2, 1]
    pooled = a + b
    n = len(pooled)
    disagreements = sum(x != y for x, y in zip(a, b, strict=True)) * 2
    expected_pairs = sum(pooled.count(c) * pooled.count(k) for c in {1, 2, 3} for k in {1, 2, 3}
                         if c != k)  # fmt: skip
    assert krippendorff_alpha([a, b]) == pytest.approx(
        1 - (n - 1) * disagreements / expected_pairs, rel=1e-12
    )


def test_krippendorff_errors():
    with pytest.raises(ValueError, match="pairable"):
        krippendorff_alpha([[1, None], [None, 2]])
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha([[1, 2], [1, 2]], "cardinal")
    with pytest.raises(ValueError, match="one entry per unit"):
        krippendorff_alpha([[1, 2], [1]])


@given(
    ratings=st.lists(
        st.lists(st.none() | st.integers(1, 4), min_size=6, max_size=6), min_size=2, max_size=5
    ),
    level=st.sampled_from(["nominal", "ordinal", "interval", "ratio"]),
)
@FAST
def test_krippendorff_alpha_is_at_most_one(ratings, level):
    pairable = sum(sum(r[u] is not None for r in ratings) >= 2 for u in range(6))
    assume(pairable > 0)
    assert krippendorff_alpha(ratings, level) <= 1.0 + 1e-12
