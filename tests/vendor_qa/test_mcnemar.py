"""McNemar's test of paired verdicts against published values (sampling.stats.mcnemar)."""

import math

import pytest

from sampling import stats


def test_agresti_presidential_approval_without_correction():
    """Agresti, Categorical Data Analysis, 2nd ed. (2002), §10.1.1, Table 10.1: approval of the
    president's performance in two surveys a month apart, 1600 people: 794 approve both
    times, 150 approve then disapprove, 86 disapprove then approve, 570 disapprove both.
    The book gives z = (86 − 150)/√(86 + 150) = −4.17, so z² = 17.36, and P < 0.0001."""
    result = stats.mcnemar(150, 86, exact=False, correction=False)
    assert result.statistic == pytest.approx(17.36, abs=0.005)
    assert result.statistic == pytest.approx(64**2 / 236)
    assert result.p_value < 0.0001
    assert not result.exact and result.discordant == 236


def test_the_default_for_many_discordant_pairs_is_the_corrected_chi_square():
    # (|150 − 86| − 1)² / 236 = 63² / 236 = 16.82 (Edwards' correction, Agresti 2002 §10.1.1).
    result = stats.mcnemar(150, 86)
    assert result.method == "chi-square with continuity correction"
    assert result.statistic == pytest.approx(63**2 / 236)
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(63**2 / 236) / math.sqrt(2)))


def test_few_discordant_pairs_get_the_exact_binomial_test():
    # 1 of 10 discordant pairs one way: two-sided P = 2·P(X ≤ 1 | 10, ½) = 2·11/1024.
    result = stats.mcnemar(1, 9)
    assert result.exact and result.statistic is None
    assert result.p_value == pytest.approx(22 / 1024)
    # Symmetric in the two directions.
    assert stats.mcnemar(9, 1).p_value == pytest.approx(result.p_value)


def test_the_line_between_exact_and_chi_square_is_25_discordant_pairs():
    assert stats.mcnemar(12, 12).exact
    assert not stats.mcnemar(13, 12).exact


def test_no_discordant_pair_means_no_evidence_of_a_difference():
    assert stats.mcnemar(0, 0).p_value == 1.0
    assert stats.mcnemar(0, 0, exact=False).p_value == 1.0


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True, None])
def test_counts_must_be_whole_numbers(bad):
    with pytest.raises(ValueError, match="count"):
        stats.mcnemar(bad, 3)
