"""Domain (subpopulation) estimates over stratified samples: ``domain_proportion``,
``compare_estimates`` and ``audits_to_decide`` (sampling/_domains.py, via sampling.stats).

Where each expected number comes from:
- a unit-level Taylor linearisation written here (Lohr 2019, Sampling: Design and Analysis,
  2nd ed., §9.1: the domain mean as a ratio of weighted totals, its variance from the
  residuals' within-stratum spread), first checked against PUBLISHED output: Lumley's
  "Estimates in subpopulations" vignette of the R survey package (survey/inst/doc/domain.pdf,
  also survey/tests/domain.R), which prints for the artificial ``fpc`` data
  svyby(~x, ~I(x>4), design=dfpc, svymean) → 3.314286 (SE 0.3117042) and 6.195000
  (SE 0.7555129);
- literals computed once with samplics 0.6.1 (PyPI), see ``SAMPLICS``;
- the simple-random-sampling case worked by hand (Cochran 1977 §2.13, Lohr 2019 §4.3).
"""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sampling.stats import (
    Estimate,
    audits_to_decide,
    compare_estimates,
    difference_ci,
    domain_proportion,
    domain_proportions,
    proportion_ci,
    stratified_proportion,
    two_proportion_test,
    z_value,
)

FAST = settings(max_examples=150, deadline=None)
CLOSE = {"rel_tol": 1e-9, "abs_tol": 1e-12}


def linearised_domain_mean(stratum, weight, in_domain, y, fpc=None):
    """(mean, se) of y over the domain, from the units: z_i = w_i u_i (y_i - r) / Σ w u, and
    v = Σ_h (1 - f_h) n_h/(n_h - 1) Σ_i∈h (z_i - z̄_h)² (Lohr 2019 §9.1; fpc None = with
    replacement, as in the published R example)."""
    stratum, weight, y = map(np.asarray, (stratum, weight, y))
    u = np.asarray(in_domain, float)
    total = weight @ u
    mean = (weight * u * y).sum() / total
    z = weight * u * (y - mean) / total
    variance = 0.0
    for h in np.unique(stratum):
        zh = z[stratum == h]
        share = 1.0 if fpc is None else 1 - fpc[h]
        variance += share * len(zh) / (len(zh) - 1) * ((zh - zh.mean()) ** 2).sum()
    return mean, math.sqrt(variance)


def units(strata):
    """The sampled units behind {h: (N_h, n_h, m_hd, x_hd)}: stratum, weight, domain, y."""
    rows = [
        (h, big_n / n, i < m, float(i < x))
        for h, (big_n, n, m, x) in strata.items()
        for i in range(n)
    ]
    stratum, weight, domain, y = zip(*rows, strict=True)
    return stratum, weight, domain, y


# --- published: the R survey package's domain example ------------------------------------------

# survey::fpc (from Stata's fpc.dta): stratid, weight, x. The vignette's design has psuid as
# clusters of one unit each and no fpc.
FPC_STRATUM = [1, 1, 1, 1, 1, 2, 2, 2]
FPC_WEIGHT = [3, 3, 3, 3, 3, 4, 4, 4]
FPC_X = [2.8, 4.1, 6.8, 6.8, 9.2, 3.7, 6.6, 4.2]


@pytest.mark.parametrize(
    ("in_domain", "mean", "se"),
    [
        (lambda x: x > 4, 6.195000, 0.7555129),
        (lambda x: x <= 4, 3.314286, 0.3117042),
    ],
)
def test_the_linearisation_reproduces_the_r_survey_packages_printed_domain_means(
    in_domain, mean, se
):
    domain = [in_domain(x) for x in FPC_X]
    got_mean, got_se = linearised_domain_mean(FPC_STRATUM, FPC_WEIGHT, domain, FPC_X)
    assert got_mean == pytest.approx(mean, abs=5e-7)
    assert got_se == pytest.approx(se, abs=5e-8)


@FAST
@given(
    st.lists(
        st.tuples(st.integers(2, 5000), st.integers(2, 60), st.integers(0, 60), st.integers(0, 60)),
        min_size=1,
        max_size=5,
    )
)
def test_domain_proportion_is_the_linearised_ratio_of_its_units(raw):
    strata = {}
    for h, (big_n, n, m, x) in enumerate(raw):
        n = min(n, big_n)
        m = min(m, n)
        strata[h] = (big_n, n, m, min(x, m))
    assume(sum(m for _, _, m, _ in strata.values()))
    stratum, weight, domain, y = units(strata)
    fpc = {h: n / big_n for h, (big_n, n, _, _) in strata.items()}
    mean, se = linearised_domain_mean(stratum, weight, domain, y, fpc)
    estimate = domain_proportion(strata)
    assert math.isclose(estimate.p, mean, **CLOSE)
    assert math.isclose(estimate.se, se, **CLOSE)


# --- oracle: samplics ---------------------------------------------------------------------------

# Computed once with samplics 0.6.1 (PyPI; not a project dependency), from the units of
# ``units(strata)`` (units outside the domain given y = i % 2):
#   TaylorEstimator(PopParam.mean).estimate(y=y, samp_weight=w, stratum=s, domain=d,
#                                           fpc={h: 1 - n_h / N_h})
#   → point_est["in"], stderror["in"]   (samplics' fpc multiplies the variance)
SAMPLICS = [
    (
        {"A": (5000, 20, 8, 6), "B": (400, 40, 25, 22), "C": (60, 30, 12, 5)},
        0.7607739665787159,
        0.13807831487640473,
    ),
    (
        {"A": (5000, 20, 12, 2), "B": (400, 40, 15, 3), "C": (60, 30, 18, 7)},
        0.17074701820464533,
        0.10383824816766732,
    ),
    (
        {"A": (5000, 20, 12, 9), "B": (400, 40, 15, 14), "C": (60, 60, 18, 10)},  # C a census
        0.7575757575757576,
        0.12125697398262382,
    ),
]


@pytest.mark.parametrize(("strata", "p", "se"), SAMPLICS)
def test_domain_proportion_equals_samplics_with_unequal_allocation(strata, p, se):
    estimate = domain_proportion(strata)
    assert estimate.p == pytest.approx(p, rel=1e-12)
    assert estimate.se == pytest.approx(se, rel=1e-12)
    assert estimate.n == sum(m for _, _, m, _ in strata.values())


# --- simple random sampling ---------------------------------------------------------------------


def test_in_one_stratum_the_variance_is_the_srs_domain_formula_worked_by_hand():
    """Cochran (1977) §2.13 and Lohr (2019) §4.3: in an SRS of n from N, a domain with m
    sampled units, x of them with the attribute, has p = x/m and the ratio estimator's
    v = (1 - n/N) · n/(n - 1) · p q / m. By hand, N 10 000, n 400, m 100, x 20:
    p = 0.2, v = 0.96 · 400/399 · 0.16/100 = 0.001539849624..., se 0.039241.
    Cochran's conditional formula (1 - f) p q / (m - 1) = 0.0015515 differs only by the
    factor n(m - 1)/((n - 1)m) = 0.99248."""
    estimate = domain_proportion({"all": (10_000, 400, 100, 20)})
    assert estimate.p == pytest.approx(0.2)
    assert estimate.se**2 == pytest.approx(0.96 * 400 / 399 * 0.16 / 100, rel=1e-12)
    assert estimate.se == pytest.approx(0.039241, abs=5e-7)
    cochran = 0.96 * 0.16 / 99
    assert estimate.se**2 / cochran == pytest.approx(400 * 99 / (399 * 100), rel=1e-12)


# --- properties ---------------------------------------------------------------------------------

strata_counts = st.lists(
    st.tuples(st.integers(1, 10_000), st.integers(1, 80), st.integers(0, 80)),
    min_size=1,
    max_size=6,
).map(lambda rows: {h: (max(big_n, n), n, min(x, n)) for h, (big_n, n, x) in enumerate(rows)})


@st.composite
def domains(draw):
    """{h: (N_h, n_h, m_hd, x_hd)} with at least one domain unit."""
    rows = draw(strata_counts)
    strata = {}
    for h, (big_n, n, _) in rows.items():
        m = draw(st.integers(0, n))
        strata[h] = (big_n, n, m, draw(st.integers(0, m)))
    assume(any(m for _, _, m, _ in strata.values()))
    return strata


@FAST
@given(strata_counts)
def test_the_whole_sample_as_domain_is_the_stratified_proportion(strata):
    whole = domain_proportion({h: (N, n, n, x) for h, (N, n, x) in strata.items()})
    stratified = stratified_proportion(strata, method="wilson")
    for name in ("p", "se", "low", "high", "effective_n"):
        assert math.isclose(getattr(whole, name), getattr(stratified, name), **CLOSE), name
    assert whole.n == stratified.n


@FAST
@given(
    st.lists(domains(), min_size=1, max_size=5), st.randoms(), st.sampled_from(["wilson", "normal"])
)
def test_many_domains_at_once_are_each_domains_own_estimate(many, random, method):
    """``domain_proportions`` (one pass over all (domain, stratum) rows, as a scorecard
    breakdown reads them, in any row order) gives each domain what ``domain_proportion``
    gives it alone."""
    rows = [(d, *counts) for d, strata in enumerate(many) for counts in strata.values()]
    random.shuffle(rows)
    together = domain_proportions(*np.array(rows).T, method=method)
    assert len(together) == len(many)
    for estimate, strata in zip(together, many, strict=True):
        alone = domain_proportion(strata, method=method)
        for name in ("p", "se", "low", "high", "effective_n"):
            assert math.isclose(getattr(estimate, name), getattr(alone, name), **CLOSE), name
        assert (estimate.n, estimate.population) == (alone.n, alone.population)


def test_a_domain_index_without_units_is_refused():
    with pytest.raises(ValueError, match="no sampled unit"):
        domain_proportions([0, 2], [100, 100], [10, 10], [3, 4], [1, 2])


@FAST
@given(domains(), st.sampled_from(["wilson", "normal"]), st.sampled_from([0.8, 0.95, 0.99]))
def test_the_interval_holds_the_estimate_and_stays_within_0_and_1(strata, method, confidence):
    estimate = domain_proportion(strata, confidence=confidence, method=method)
    assert 0 <= estimate.low <= estimate.p <= estimate.high <= 1
    assert estimate.n == sum(m for _, _, m, _ in strata.values())


@FAST
@given(
    domains(), st.lists(st.tuples(st.integers(1, 5000), st.integers(1, 50)), min_size=1, max_size=3)
)
def test_strata_without_domain_units_change_nothing(strata, extra):
    widened = dict(strata)
    for i, (big_n, n) in enumerate(extra):
        widened[f"other {i}"] = (max(big_n, n), n, 0, 0)
    assert domain_proportion(widened) == domain_proportion(strata)


@FAST
@given(domains(), st.randoms())
def test_the_order_of_the_strata_does_not_matter(strata, random):
    keys = list(strata)
    random.shuffle(keys)
    shuffled = domain_proportion({key: strata[key] for key in keys})
    original = domain_proportion(strata)
    for name in ("p", "se", "low", "high"):
        assert math.isclose(getattr(shuffled, name), getattr(original, name), **CLOSE)


def srs(x: int, n: int, confidence: float = 0.95) -> Estimate:
    """A simple random sample's estimate: effective size n, Wilson interval."""
    low, high = proportion_ci(x, n, confidence)
    return Estimate(
        p=x / n,
        se=math.sqrt(x / n * (1 - x / n) / n),
        low=low,
        high=high,
        n=n,
        margin=(high - low) / 2,
        confidence=confidence,
        method="wilson",
        population=n,
        covered_population=n,
        effective_n=n,
    )


@FAST
@given(st.integers(1, 500), st.integers(1, 500), st.data())
def test_comparing_srs_estimates_is_the_classical_two_sample_pair(n1, n2, data):
    x1, x2 = data.draw(st.integers(0, n1)), data.draw(st.integers(0, n2))
    comparison = compare_estimates(srs(x1, n1), srs(x2, n2))
    z, p_value = two_proportion_test(x1, n1, x2, n2)
    low, high = difference_ci(x1, n1, x2, n2)
    assert math.isclose(comparison.difference, x1 / n1 - x2 / n2, abs_tol=1e-12)
    assert math.isclose(comparison.z, z, rel_tol=1e-7, abs_tol=1e-9)
    assert math.isclose(comparison.p_value, p_value, rel_tol=1e-7, abs_tol=1e-9)
    assert math.isclose(comparison.low, low, abs_tol=1e-7)
    assert math.isclose(comparison.high, high, abs_tol=1e-7)
    assert comparison.significant == (p_value < 0.05)


def test_a_clear_difference_is_significant_and_a_small_one_is_not():
    assert compare_estimates(srs(90, 100), srs(60, 100)).significant
    assert not compare_estimates(srs(90, 100), srs(88, 100)).significant


@FAST
@given(st.integers(1, 400), st.data(), st.floats(0.01, 0.99))
def test_audits_to_decide_is_zero_once_the_interval_excludes_the_target(n, data, target):
    estimate = srs(data.draw(st.integers(0, n)), n)
    needed = audits_to_decide(estimate, target)
    if estimate.low > target or estimate.high < target:
        assert needed == 0
    elif estimate.p == target:
        assert needed is None
    else:
        assert needed >= 1


def test_audits_to_decide_has_no_answer_when_the_rate_is_the_target():
    assert audits_to_decide(srs(45, 50), 0.9) is None


@FAST
@given(st.integers(5, 400), st.data(), st.floats(0.0, 1.0))
def test_the_suggested_audits_at_the_same_rate_make_the_wilson_interval_exclude_the_target(
    n, data, where
):
    """The Wilson interval is the set of t with |p - t| <= z sqrt(t(1-t)/n) (Wilson 1927), so
    at the suggested size the target sits on its edge or outside, and one audit fewer leaves
    it inside (the suggestion is the smallest)."""
    x = data.draw(st.integers(0, n))
    estimate = srs(x, n)
    target = estimate.low + where * (estimate.high - estimate.low)  # inside the interval
    assume(0 < target < 1 and abs(x / n - target) > 1e-6)
    more = audits_to_decide(estimate, target)
    size = n + more
    low, high = proportion_ci(x / n * size, size)
    assert low >= target - 1e-9 or high <= target + 1e-9
    gap, z = abs(x / n - target), z_value(0.95)
    assert gap >= z * math.sqrt(target * (1 - target) / size) * (1 - 1e-12)
    if more > 1:
        low, high = proportion_ci(x / n * (size - 1), size - 1)
        assert low <= target <= high


def test_a_design_effect_carries_over_to_the_audits_still_needed():
    stratified = domain_proportion({"big": (5000, 20, 20, 18), "small": (60, 30, 30, 20)})
    assert stratified.effective_n < stratified.n
    as_if_srs = srs(round(stratified.p * stratified.n), stratified.n)
    assert audits_to_decide(stratified, 0.8) > audits_to_decide(as_if_srs, 0.8)


# --- edge cases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strata", "message"),
    [
        ({"a": (100, 10, 5)}, r"\(N_h, n_h, m_hd, x_hd\) tuple"),
        ({"a": 7}, r"\(N_h, n_h, m_hd, x_hd\) tuple"),
        ({"a": (100, 10, 5, 1, 0)}, r"\(N_h, n_h, m_hd, x_hd\) tuple"),
        ({"a": ("N", 10, 5, 1)}, r"\(N_h, n_h, m_hd, x_hd\) tuple"),
        ({"a": (100, 10, 11, 1)}, r"x_hd <= m_hd <= n_h <= N_h"),  # m > n
        ({"a": (100, 10, 5, 6)}, r"x_hd <= m_hd <= n_h <= N_h"),  # x > m
        ({"a": (10, 11, 5, 1)}, r"x_hd <= m_hd <= n_h <= N_h"),  # n > N
        ({"a": (100, 10, -1, 0)}, "non-negative"),
        ({"a": (100, 10, float("nan"), 0)}, "non-negative"),
        ({"a": (100, 10, 0, 0), "b": (50, 5, 0, 0)}, "no sampled unit is in the domain"),
        ({}, "no sampled unit is in the domain"),
    ],
)
def test_bad_strata_are_refused_with_a_message_that_says_why(strata, message):
    with pytest.raises(ValueError, match=message):
        domain_proportion(strata)


def test_four_triples_are_not_misread_as_three_quadruples():
    """Four (N, n, x) triples hold twelve numbers: they once reshaped silently into three
    valid-looking (N, n, m, x) rows."""
    with pytest.raises(ValueError, match="tuple"):
        domain_proportion({1: (9, 9, 9), 2: (8, 8, 8), 3: (7, 7, 7), 4: (6, 6, 6)})


def test_bad_method_confidence_and_target_are_refused():
    strata = {"a": (100, 10, 5, 1)}
    with pytest.raises(ValueError, match="method"):
        domain_proportion(strata, method="exact")
    with pytest.raises(ValueError, match="confidence"):
        domain_proportion(strata, confidence=1.0)
    with pytest.raises(ValueError, match="target"):
        audits_to_decide(domain_proportion(strata), 1.5)


def test_a_fully_censused_domain_has_no_sampling_error():
    estimate = domain_proportion(
        {"a": (40, 40, 25, 20), "b": (12, 12, 3, 3), "c": (5000, 50, 0, 0)}
    )
    assert estimate.p == pytest.approx(23 / 28)
    assert estimate.se == 0
    assert estimate.low == estimate.high == estimate.p
    assert math.isinf(estimate.effective_n)
    assert audits_to_decide(estimate, 0.5) == 0


def test_a_census_stratum_adds_no_variance_to_a_domain_that_also_spans_a_sample():
    sampled = domain_proportion({"a": (1000, 50, 20, 15), "b": (60, 60, 10, 5)})
    stratum, weight, domain, y = units({"a": (1000, 50, 20, 15), "b": (60, 60, 10, 5)})
    mean, se = linearised_domain_mean(stratum, weight, domain, y, {"a": 0.05, "b": 1.0})
    assert sampled.se == pytest.approx(se, rel=1e-12)
    assert 0 < sampled.se


def test_a_single_audit_in_a_stratum_gets_the_conservative_bound():
    """As in stratified_proportion: n_h = 1 < N_h has no within-stratum variance, so s² = 1/4."""
    lone = domain_proportion({"a": (100, 1, 1, 1)})
    assert lone.se == pytest.approx(math.sqrt(100**2 * 0.99 * 0.25 / 1) / 100)
    assert lone.se == pytest.approx(stratified_proportion({"a": (100, 1, 1)}).se)


def test_strata_whose_domain_units_all_agree_add_exactly_no_variance():
    """Found by the whole-sample property: summing the residuals' squares minus n ē² left a
    rounding residue (se 1e-9) where the variance is exactly 0, so n_eff = p(1-p)/v was 3e16
    and the interval a point. Now, as stratified_proportion, v = 0 and Kish's size is used."""
    estimate = domain_proportion({"census": (1, 1, 1, 0), "all pass": (26, 3, 3, 3)})
    assert estimate.se == 0
    assert estimate.effective_n == pytest.approx(27**2 / (1 + 26**2 / 3))
    assert estimate.low < 0.5 < estimate.p < estimate.high < 1
