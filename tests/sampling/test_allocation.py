"""How a run's total is chosen and split: overall vs per-stratum margins, minimums, caps."""

import math

import numpy as np
import pytest

from sampling import stats
from sampling.allocation import Design, allocate_strata, stratified_margin, stratum_cost
from sampling.population import StratumCount

STRATA = [
    StratumCount({"vendor": 1}, 12_000, "Acme"),
    StratumCount({"vendor": 2}, 6_000, "Borealis"),
    StratumCount({"vendor": 3}, 400, "Cygnus"),
]


def design(**overrides) -> Design:
    values = {"confidence": 0.95, "margin": 0.03, "expected_rate": 0.1}
    values.update(overrides)
    return Design(**values)


def allocated(result) -> list[int]:
    return [result.per_stratum[s.key].allocated for s in STRATA]


def test_proportional_takes_cochrans_size_for_the_whole_population():
    result = allocate_strata(design(), STRATA)

    n = stats.sample_size(0.03, 0.95, 0.1, population=18_400)
    # Proportional splits of the SRS size meet the target up to rounding, so at most a couple
    # of audits are added.
    assert n <= result.total <= n + 3
    assert result.achieved_margin <= 0.03
    assert allocated(result) == list(
        stats.allocate({s.key: s.population for s in STRATA}, result.total).values()
    )


def test_equal_allocation_is_raised_until_the_overall_margin_is_met():
    result = allocate_strata(design(allocation="equal"), STRATA)

    srs = stats.sample_size(0.03, 0.95, 0.1, population=18_400)
    assert result.total > srs
    assert result.achieved_margin <= 0.03
    assert any("raised" in note for note in result.notes)
    # One audit fewer would miss the target.
    smaller = stats.allocate({s.key: s.population for s in STRATA}, result.total - 1, "equal")
    margin = stratified_margin(
        np.array([s.population for s in STRATA], float),
        np.array(list(smaller.values()), float),
        np.full(3, 0.1),
        0.95,
    )
    assert margin > 0.03


def test_each_stratum_margin_gives_every_stratum_its_own_cochran_size():
    result = allocate_strata(design(margin_applies_to="each_stratum"), STRATA)

    assert allocated(result) == [
        stats.sample_size(0.03, 0.95, 0.1, population=s.population) for s in STRATA
    ]


def test_a_cap_scales_per_stratum_sizes_down_in_proportion():
    result = allocate_strata(design(margin_applies_to="each_stratum", cap=300), STRATA)

    assert result.total == 300
    assert result.achieved_margin > 0.03


def test_minimums_are_honoured_and_cannot_exceed_the_cap():
    result = allocate_strata(design(minimum=100), STRATA)
    assert min(allocated(result)) >= 100

    with pytest.raises(ValueError, match="minimum of 100 audits per stratum needs 300"):
        allocate_strata(design(minimum=100, cap=250), STRATA)


def test_neyman_uses_past_error_rates_when_there_are_some():
    rates = {STRATA[0].key: 0.02, STRATA[1].key: 0.3}

    result = allocate_strata(design(allocation="neyman"), STRATA, rates)

    acme, borealis = result.per_stratum[STRATA[0].key], result.per_stratum[STRATA[1].key]
    assert acme.expected_rate == 0.02 and borealis.expected_rate == 0.3
    assert borealis.stddev == pytest.approx(math.sqrt(0.3 * 0.7))
    # Borealis is half Acme's size but far more variable, so it gets more audits.
    assert borealis.allocated > acme.allocated
    assert result.per_stratum[STRATA[2].key].expected_rate == 0.1


def test_a_stratum_with_no_past_errors_is_still_planned_with_some_variance():
    result = allocate_strata(design(allocation="neyman"), STRATA, {STRATA[0].key: 0.0})

    assert result.per_stratum[STRATA[0].key].allocated > 0


def test_optimal_allocation_gives_costlier_strata_fewer_audits():
    plain = allocate_strata(design(allocation="optimal"), STRATA)
    costly = allocate_strata(design(allocation="optimal", costs={"vendor=1": 4}), STRATA)

    assert costly.per_stratum[STRATA[0].key].cost == 4
    share = lambda r: r.per_stratum[STRATA[0].key].allocated / r.total  # noqa: E731
    assert share(costly) < share(plain)


def test_a_strata_cost_is_the_product_of_its_matching_entries():
    costs = {"workflow=12": 2.5, "language=ja": 1.5, "vendor=9": 10}

    assert stratum_cost(costs, {"workflow": 12, "language": "ja"}) == pytest.approx(3.75)
    assert stratum_cost(costs, {"workflow": 13, "language": "en"}) == 1.0


def test_no_population_allocates_nothing():
    result = allocate_strata(design(), [])

    assert (result.total, result.per_stratum, result.achieved_margin) == (0, {}, None)
