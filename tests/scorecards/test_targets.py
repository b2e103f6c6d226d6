"""The verdict a scorecard gives a rate against its contract target."""

from sampling import stats
from scorecards.targets import BELOW, INCONCLUSIVE, MEETS, TOO_CLOSE, verdict


def srs(passed: int, audits: int) -> stats.Estimate:
    """A simple random sample's estimate (one stratum far larger than the sample)."""
    return stats.domain_proportion({"all": (10**7, audits, audits, passed)})


def test_an_interval_wholly_above_an_at_least_target_meets_it():
    assert verdict(srs(390, 400), 0.95, "at_least").kind == MEETS


def test_an_interval_wholly_below_it_is_below_and_says_at_what_confidence():
    result = verdict(srs(340, 400), 0.95, "at_least")
    assert (result.kind, result.text) == (BELOW, "below target (significant at 95%)")


def test_an_at_most_target_reads_the_other_way():
    assert verdict(srs(390, 400), 0.05, "at_most").kind == BELOW  # 97.5 % "errors"
    assert verdict(srs(2, 400), 0.05, "at_most").kind == MEETS
    assert verdict(srs(390, 400), 0.05, "at_most").text.startswith("above target")


def test_an_interval_across_the_target_says_how_many_more_audits_would_decide():
    estimate = srs(96, 100)
    result = verdict(estimate, 0.95, "at_least")
    assert result.kind == INCONCLUSIVE
    assert result.more_audits == stats.audits_to_decide(estimate, 0.95) > 0
    assert result.text == f"inconclusive: need about {result.more_audits:,} more audits"


def test_a_rate_on_the_target_is_never_given_an_absurd_number_of_audits():
    on_target = verdict(srs(95, 100), 0.95, "at_least")  # p̂ = target: no n decides
    hair_apart = verdict(srs(9501, 10000), 0.95, "at_least")
    for result in (on_target, hair_apart):
        assert result.kind == INCONCLUSIVE
        assert "too close to the target" in result.text
    assert hair_apart.more_audits > TOO_CLOSE
