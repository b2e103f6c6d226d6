"""The planner's numbers are the statistics module's numbers, computed here independently."""

import math

import pytest

from sampling import planning, stats
from sampling.population import StratumCount


def strata(**sizes):
    return [StratumCount({"vendor": name}, size, name.title()) for name, size in sizes.items()]


POPULATION = strata(acme=12_000, borealis=6_000, cygnus=2_000)
SIZES = {"acme": 12_000, "borealis": 6_000, "cygnus": 2_000}


def by_method(plan):
    return {a.method: a for a in plan.allocations}


def samples(allocation):
    return {s.key.removeprefix("vendor="): s.sample for s in allocation.strata}


def test_required_sample_is_cochran_with_and_without_fpc():
    plan = planning.plan_sample(POPULATION, confidence=0.95, margin=0.03, expected_rate=0.1)

    # n0 = 1.959964² · 0.1 · 0.9 / 0.03² = 384.15 -> 385;
    # with N = 20,000: 384.15 / (1 + 383.15 / 20,000) = 376.9 -> 377.
    assert plan.n0 == 385 == stats.sample_size(0.03, 0.95, 0.1)
    assert plan.n_fpc == 377 == stats.sample_size(0.03, 0.95, 0.1, population=20_000)
    assert plan.population == 20_000
    assert plan.z == pytest.approx(1.959964, abs=1e-6)


def test_proportional_split_is_stats_allocate_of_the_fpc_sample():
    plan = planning.plan_sample(POPULATION, confidence=0.99, margin=0.02, expected_rate=0.05)
    n = stats.sample_size(0.02, 0.99, 0.05, population=20_000)
    proportional = by_method(plan)["proportional"]

    assert samples(proportional) == stats.allocate(SIZES, n, "proportional")
    assert proportional.total == n
    # Same rate everywhere: Neyman is proportional.
    assert samples(by_method(plan)["neyman"]) == samples(proportional)


def test_optimal_allocation_gives_expensive_strata_fewer_audits():
    costs = {"vendor=borealis": 4.0}
    plan = planning.plan_sample(
        POPULATION, confidence=0.95, margin=0.03, expected_rate=0.1, costs=costs
    )
    optimal = by_method(plan)["optimal"]
    s = {key: math.sqrt(0.1 * 0.9) for key in SIZES}
    expected = stats.allocate(
        SIZES, optimal.total, "optimal", stddevs=s, costs={"acme": 1, "borealis": 4, "cygnus": 1}
    )

    assert samples(optimal) == expected
    assert samples(optimal)["borealis"] < samples(by_method(plan)["proportional"])["borealis"]
    assert [s.cost for s in optimal.strata] == [1.0, 4.0, 1.0]


def test_equal_allocation_is_raised_until_it_meets_the_margin():
    plan = planning.plan_sample(POPULATION, confidence=0.95, margin=0.03, expected_rate=0.1)
    equal = by_method(plan)["equal"]

    def whole_margin(n):
        split = stats.allocate(SIZES, n, "equal")
        variance = sum(
            (SIZES[k] / 20_000) ** 2 * stats.margin_of_error(split[k], 0.95, 0.1, SIZES[k]) ** 2
            for k in SIZES
        )
        return math.sqrt(variance)

    assert samples(equal) == stats.allocate(SIZES, equal.total, "equal")
    assert equal.total > plan.n_fpc
    assert whole_margin(equal.total) <= 0.03 < whole_margin(equal.total - 1)
    assert equal.overall_margin == pytest.approx(whole_margin(equal.total))
    assert equal.notes


def test_each_stratum_design_gives_every_stratum_its_own_margin():
    plan = planning.plan_sample(POPULATION, confidence=0.9, margin=0.05, expected_rate=0.2)
    each = by_method(plan)[planning.EACH_STRATUM]

    assert samples(each) == {
        key: stats.sample_size(0.05, 0.9, 0.2, population=size) for key, size in SIZES.items()
    }
    assert all(s.margin <= 0.05 for s in each.strata)


def test_each_stratum_shows_the_margin_it_achieves_alone_and_its_weight():
    plan = planning.plan_sample(POPULATION, confidence=0.9, margin=0.05, expected_rate=0.2)

    for allocation in plan.allocations:
        for stratum in allocation.strata:
            size = SIZES[stratum.key.removeprefix("vendor=")]
            assert stratum.margin == pytest.approx(
                stats.margin_of_error(stratum.sample, 0.9, 0.2, population=size)
            )
            assert stratum.weight == pytest.approx(size / 20_000)


def test_minimum_per_stratum_raises_the_total_when_the_margin_needs_fewer():
    plan = planning.plan_sample(
        strata(a=5_000, b=5_000, c=40),
        confidence=0.9,
        margin=0.2,
        expected_rate=0.5,
        minimum=30,
    )

    assert plan.n_fpc == stats.sample_size(0.2, 0.9, 0.5, population=10_040) == 17
    assert all(s.sample >= 30 for a in plan.allocations for s in a.strata)
    assert by_method(plan)["proportional"].total >= 90


def test_a_cap_limits_the_sample_and_the_achieved_margin_says_so():
    plan = planning.plan_sample(
        POPULATION, confidence=0.95, margin=0.01, expected_rate=0.5, cap=500
    )
    proportional = by_method(plan)["proportional"]

    assert proportional.total == 500
    assert proportional.overall_margin > 0.01


def test_minimums_that_do_not_fit_the_cap_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="more than the cap of 50"):
        planning.plan_sample(
            POPULATION, confidence=0.95, margin=0.05, expected_rate=0.5, minimum=20, cap=50
        )


def test_a_census_stratum_has_zero_margin():
    plan = planning.plan_sample(strata(only=50), confidence=0.95, margin=0.01, expected_rate=0.5)

    assert plan.n_fpc == 50
    assert by_method(plan)["proportional"].strata[0].margin == 0


def test_an_empty_population_plans_nothing_but_still_reports_n0():
    plan = planning.plan_sample([], confidence=0.95, margin=0.05, expected_rate=0.5)

    assert plan.n0 == 385
    assert plan.n_fpc is None
    assert plan.allocations == []
    assert "No tickets" in plan.notes[0]


def test_stratum_token_names_each_key_and_value():
    stratum = StratumCount({"vendor": 3, "language": "es"}, 10, "Acme · es")

    assert planning.stratum_token(stratum) == "vendor=3|language=es"
    assert planning.stratum_token(StratumCount({}, 10, "All tickets")) == "all"
