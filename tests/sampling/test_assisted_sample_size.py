"""How many audits a model's scores save: n·(1 − ρ²), and ρ from a grouped query's sums."""

import numpy as np
import pytest

from sampling import stats


def test_the_assisted_sample_is_n_times_one_minus_rho_squared_rounded_up():
    # 385 · (1 − 0.5²) = 288.75 -> 289; 100 · (1 − 0.6²) = 64 exactly (no float overshoot to 65).
    assert stats.assisted_sample_size(385, 0.5) == 289
    assert stats.assisted_sample_size(100, 0.6) == 64
    assert stats.assisted_sample_size(100, -0.6) == 64  # a score that says "passes" works too
    assert stats.assisted_sample_size(377, 0.0) == 377  # a useless model saves nothing
    assert stats.assisted_sample_size(377, 1.0) == 0


@pytest.mark.parametrize("n, rho", [(-1, 0.5), (10.5, 0.5), (True, 0.5), (10, 1.2), (10, "x")])
def test_nonsense_is_refused_with_a_message(n, rho):
    with pytest.raises(ValueError, match="n must|rho must"):
        stats.assisted_sample_size(n, rho)


def test_the_correlation_from_sums_is_pearsons_r():
    y = np.array([1, 0, 1, 0, 0, 1, 0, 0])
    f = np.array([0.9, 0.2, 0.6, 0.3, 0.1, 0.4, 0.5, 0.05])
    rho = stats.score_correlation(len(y), y.sum(), f.sum(), (f * f).sum(), (y * f).sum())
    assert rho == pytest.approx(np.corrcoef(y, f)[0, 1], abs=1e-12)


def test_the_correlation_is_undefined_when_nothing_varies():
    f = np.array([0.2, 0.4, 0.6])
    assert stats.score_correlation(3, 0, f.sum(), (f * f).sum(), 0.0) is None  # all passed
    assert stats.score_correlation(3, 1, 1.5, 0.75, 0.5) is None  # one score for all
    assert stats.score_correlation(1, 1, 0.5, 0.25, 0.5) is None
