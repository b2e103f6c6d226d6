"""The agreement statistics behind calibration results: percent agreement, Krippendorff's
alpha with its bootstrap interval (Hayes & Krippendorff 2007, and a resampling of units),
checked against published values and, for the interval, by a coverage simulation.

Krippendorff (2011) and Fleiss (1971) themselves are tested in tests/sampling/test_stats.py;
the two published alphas are repeated here because alpha's coincidence matrix now has one
home (``_coincidences``) shared with the bootstrap.
"""

from __future__ import annotations

import numpy as np
import pytest

from sampling.stats import krippendorff_alpha, krippendorff_alpha_ci, percent_agreement

# Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x
# 12 units with missing values; alpha = 0.743 nominal, 0.815 ordinal.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]

# Wikipedia "Fleiss' kappa", worked example: 10 subjects x 14 raters, 5 categories; P̄ = 0.378.
FLEISS_WIKIPEDIA = [
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
]  # fmt: skip


def raters_by_units(counts):
    """Subjects x categories counts as raters x units labels (rater order is arbitrary)."""
    units = [[c for c, k in enumerate(row) for _ in range(k)] for row in counts]
    return [list(column) for column in zip(*units, strict=True)]


@pytest.mark.parametrize(("level", "expected"), [("nominal", 0.743), ("ordinal", 0.815)])
def test_krippendorff_2011_published_alphas(level, expected):
    assert krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(expected, abs=5e-4)


def test_percent_agreement_is_fleiss_mean_pairwise_agreement():
    assert percent_agreement(raters_by_units(FLEISS_WIKIPEDIA)) == pytest.approx(0.378, abs=5e-4)


def test_percent_agreement_of_two_raters_is_the_share_of_agreeing_units():
    a = ["yes", "yes", "no", "no", "yes"]
    b = ["yes", "no", "no", "no", None]  # the last unit has one rating: not pairable
    assert percent_agreement([a, b]) == pytest.approx(3 / 4)


def test_percent_agreement_needs_a_pairable_unit():
    with pytest.raises(ValueError, match="two or more raters"):
        percent_agreement([["yes", None], [None, "no"]])


@pytest.mark.parametrize("method", ["units", "pairs"])
@pytest.mark.parametrize("level", ["nominal", "ordinal"])
def test_bootstrap_interval_is_reproducible_and_holds_the_estimate(method, level):
    alpha = krippendorff_alpha(KRIPPENDORFF_2011, level)
    low, high = krippendorff_alpha_ci(KRIPPENDORFF_2011, level, seed=7, method=method)
    assert (low, high) == krippendorff_alpha_ci(KRIPPENDORFF_2011, level, seed=7, method=method)
    assert -1.0 <= low < alpha < high <= 1.0
    assert (low, high) != krippendorff_alpha_ci(KRIPPENDORFF_2011, level, seed=8, method=method)


@pytest.mark.parametrize("method", ["units", "pairs"])
def test_bootstrap_interval_narrows_with_more_units(method):
    """The same agreement on four times the units: about half the width (1/sqrt(4))."""
    four_times = [row * 4 for row in KRIPPENDORFF_2011]
    low, high = krippendorff_alpha_ci(KRIPPENDORFF_2011, method=method)
    low4, high4 = krippendorff_alpha_ci(four_times, method=method)
    assert (high4 - low4) < 0.75 * (high - low)


def test_hayes_krippendorff_draws_at_most_25_pairs_per_cell():
    """With many units the pairs bootstrap draws min(25 q, (m - 1) n / 2) pairs, so its
    interval stops narrowing once 25 pairs per non-empty cell are drawn (Hayes &
    Krippendorff's macro); the units bootstrap keeps narrowing."""
    many = [row * 40 for row in KRIPPENDORFF_2011]
    more = [row * 160 for row in KRIPPENDORFF_2011]
    pairs_many = np.subtract(*reversed(krippendorff_alpha_ci(many, method="pairs")))
    pairs_more = np.subtract(*reversed(krippendorff_alpha_ci(more, method="pairs")))
    units_many = np.subtract(*reversed(krippendorff_alpha_ci(many, method="units")))
    units_more = np.subtract(*reversed(krippendorff_alpha_ci(more, method="units")))
    assert pairs_more == pytest.approx(pairs_many, rel=0.15)
    assert units_more < 0.6 * units_many


def test_bootstrap_of_perfect_agreement_on_one_value_is_one():
    assert krippendorff_alpha_ci([["pass"] * 5, ["pass"] * 5]) == (1.0, 1.0)


def test_bootstrap_arguments_are_checked():
    with pytest.raises(ValueError, match="confidence"):
        krippendorff_alpha_ci(KRIPPENDORFF_2011, confidence=1.5)
    with pytest.raises(ValueError, match="replicates"):
        krippendorff_alpha_ci(KRIPPENDORFF_2011, replicates=10)
    with pytest.raises(ValueError, match="method"):
        krippendorff_alpha_ci(KRIPPENDORFF_2011, method="jackknife")
    with pytest.raises(ValueError, match="pairable"):
        krippendorff_alpha_ci([[1, None], [None, 2]])


# ----- coverage by simulation ---------------------------------------------------------------
#
# Units have a true binary class (prevalence pi); each rater reports it and flips it with
# probability e, independently. Then the disagreement between two raters is 2e(1 - e) and
# the chance disagreement 2q(1 - q), q = pi(1 - e) + (1 - pi)e, so the population alpha is
# 1 - e(1 - e) / (q(1 - q)). 200 simulated sessions with a fixed seed: a 95 % interval
# should contain it in about 190 of them; with 200 replications the binomial standard
# error of a true 95 % coverage is 1.5 points, so [0.90, 0.99] is about 3 standard errors.


def population_alpha(e: float, pi: float) -> float:
    q = pi * (1 - e) + (1 - pi) * e
    return 1 - e * (1 - e) / (q * (1 - q))


def coverage(method, units, raters, e=0.1, pi=0.3, replications=200, seed=1):
    rng = np.random.default_rng(seed)
    truth = population_alpha(e, pi)
    covered = 0
    for replication in range(replications):
        true_class = rng.random(units) < pi
        data = [list((true_class ^ (rng.random(units) < e)).astype(int)) for _ in range(raters)]
        low, high = krippendorff_alpha_ci(data, replicates=1000, seed=replication, method=method)
        covered += low <= truth <= high
    return covered / replications


@pytest.mark.parametrize("method", ["units", "pairs"])
def test_both_intervals_cover_about_95_percent_with_two_raters(method):
    assert 0.90 <= coverage(method, units=60, raters=2) <= 0.99


def test_units_interval_covers_about_95_percent_with_four_raters():
    assert 0.88 <= coverage("units", units=20, raters=4, e=0.15, pi=0.5) <= 0.99


def test_pairs_interval_undercovers_with_four_raters():
    """Why the units interval is the default: the six pairs of one unit's four ratings are
    drawn as if independent, so the Hayes & Krippendorff interval is too narrow."""
    assert coverage("pairs", units=20, raters=4, e=0.15, pi=0.5) < 0.88
