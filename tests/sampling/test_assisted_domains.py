"""The AI-assisted domain estimate (``assisted_domain_proportions``) from the sums the rollups
keep: with λ = 0 it is exactly today's classical domain estimate, and for a domain of whole
strata exactly ``stratified_ppi``."""

import numpy as np
import pytest

from sampling._domains import MIN_DOMAIN_AUDITS_TO_TUNE
from sampling.stats import (
    MIN_AUDITS_TO_TUNE,
    assisted_domain_proportions,
    domain_proportions,
    stratified_ppi,
)


def _population(rng, strata):
    """Per stratum (N_h, n_h): scores, outcomes, a domain flag; and one sample."""
    out = []
    for big_n, n in strata:
        scores = rng.beta(2, 5, big_n)
        y = (rng.random(big_n) < scores).astype(float)
        in_domain = rng.random(big_n) < 0.6
        drawn = rng.choice(big_n, n, replace=False)
        out.append((big_n, n, scores, y, in_domain, drawn))
    return out


def _rows(population, whole=False):
    """One (domain, stratum) row of sums per stratum: the domain (or the whole stratum)."""
    rows = []
    for big_n, n, scores, y, in_domain, drawn in population:
        member = np.ones(big_n, bool) if whole else in_domain
        d = member[drawn]
        f, ys = scores[drawn][d], y[drawn][d]
        rows.append((0, big_n, n, d.sum(), ys.sum(), [(f**k).sum() for k in range(1, 5)],
                     [(ys * f**k).sum() for k in range(1, 4)], scores[member].sum()))
    domain, big_n, n, m, x, s, ys, pop = zip(*rows, strict=True)
    return domain, big_n, n, m, x, np.array(s).T, np.array(ys).T, pop


@pytest.mark.parametrize("seed", range(6))
def test_a_domain_of_whole_strata_is_exactly_stratified_ppi(seed):
    rng = np.random.default_rng(seed)
    population = _population(rng, [(500, 40), (300, 25), (120, 9), (60, 12)])
    (estimate,) = assisted_domain_proportions(*_rows(population, whole=True), method="normal")
    expected = stratified_ppi({h: (big_n, y[drawn], scores[drawn], scores)
                               for h, (big_n, _, scores, y, _, drawn) in enumerate(population)})
    for name in ("p", "se", "low", "high", "classical_p", "classical_se"):
        assert getattr(estimate, name) == pytest.approx(getattr(expected, name), abs=1e-9)
    assert estimate.lam == pytest.approx(tuple(expected.lam.values()), abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("method", ["wilson", "normal"])
def test_with_lambda_zero_it_is_exactly_the_classical_domain_estimate(seed, method):
    rng = np.random.default_rng(100 + seed)
    population = _population(rng, [(500, 40), (300, 25), (120, 1), (60, 12)])
    rows = _rows(population)
    (untuned,) = assisted_domain_proportions(*rows, method=method, tuned=False)
    (classical,) = domain_proportions(*rows[:5], method=method)
    for name in ("p", "se", "low", "high"):
        assert getattr(untuned, name) == pytest.approx(getattr(classical, name), abs=1e-12)
    assert untuned.lam and set(untuned.lam) == {0.0}
    # Tuned, the same audits give its classical figures beside the assisted ones.
    (tuned,) = assisted_domain_proportions(*rows, method=method)
    assert tuned.classical_p == pytest.approx(classical.p, abs=1e-12)
    assert tuned.classical_se == pytest.approx(classical.se, abs=1e-12)
    assert tuned.population == classical.population and tuned.n == classical.n


def test_a_stratum_marked_not_assisted_keeps_lambda_zero():
    rng = np.random.default_rng(7)
    rows = _rows(_population(rng, [(500, 120), (300, 120)]))  # 30+ of the domain's audits each
    (both,) = assisted_domain_proportions(*rows)
    (first,) = assisted_domain_proportions(*rows, assisted=[True, False])
    assert both.lam[1] != 0 and first.lam == (both.lam[0], 0.0)


def test_a_domain_gets_its_own_slope_in_a_stratum_from_30_of_its_audits_or_10_if_it_has_all():
    """Below MIN_DOMAIN_AUDITS_TO_TUNE of its audits in a stratum where other audits are not its
    own, a domain keeps λ = 0 there (a slope fitted on fewer covered too little:
    tests/sampling/test_assisted_domain_coverage.py); with every audit of the stratum its own
    (a domain of whole strata, or one that drew only its own tickets) MIN_AUDITS_TO_TUNE."""
    assert (MIN_DOMAIN_AUDITS_TO_TUNE, MIN_AUDITS_TO_TUNE) == (30, 10)
    rng = np.random.default_rng(11)
    big_n, n = 2000, 80
    scores = rng.beta(2, 5, big_n)
    # Scores that tell errors apart well, so a fitted slope narrows the interval and is kept.
    y = (rng.random(big_n) < np.where(scores > 0.3, 0.9, 0.05)).astype(float)
    drawn = rng.choice(big_n, n, replace=False)
    for audits_in_domain, all_its_own, fitted in ((29, False, False), (30, False, True),
                                                   (9, True, False), (10, True, True)):
        in_domain = np.zeros(big_n, bool)
        in_domain[drawn[:audits_in_domain]] = True
        in_domain[np.setdiff1d(np.arange(big_n), drawn)[:400]] = True  # unaudited members
        sample = drawn[:audits_in_domain] if all_its_own else drawn
        population = [(big_n, len(sample), scores, y, in_domain, sample)]
        (estimate,) = assisted_domain_proportions(*_rows(population))
        assert (estimate.lam[0] != 0) is fitted, (audits_in_domain, all_its_own)


def test_bad_sums_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="x_hd <= m_hd <= n_h <= N_h"):
        assisted_domain_proportions([0], [10], [5], [6], [1], [[1], [1], [1], [1]],
                                    [[0], [0], [0]], [3])
    with pytest.raises(ValueError, match="scores lie in"):
        assisted_domain_proportions([0], [10], [5], [2], [1], [[3], [1], [1], [1]],
                                    [[0], [0], [0]], [3])


def test_a_domain_whose_share_of_the_audits_departs_from_its_share_of_tickets_is_never_wider():
    """Two agents share a stratum of 1,000 tickets, 600 and 400, and 40 of its 80 audits each;
    the model gives every ticket the same score, so it tells only who handled it. Fitted, the
    slope's g-weights (1.2 for the larger agent, whose audits are too few for its share, 0.8
    for the smaller) made the one's interval wider than its classical one (se 0.080 against
    0.066) and the other's narrower (0.044 against 0.054) for the same estimate: now each
    agent keeps exactly its classical estimate."""
    score = 0.3
    hits = {0: 10, 1: 6}  # failures among each agent's 40 audits
    rows = ([0, 1], [1000, 1000], [80, 80], [40, 40], [hits[0], hits[1]],
            [[40 * score**k] * 2 for k in range(1, 5)],
            [[hits[0] * score**k, hits[1] * score**k] for k in range(1, 4)],
            [600 * score, 400 * score])
    estimates = assisted_domain_proportions(*rows)
    classical = domain_proportions(*rows[:5])
    for agent, (assisted, plain) in enumerate(zip(estimates, classical, strict=True)):
        assert assisted.lam == (0.0,), agent
        assert (assisted.p, assisted.se) == pytest.approx((plain.p, plain.se), abs=1e-12)
        assert (assisted.low, assisted.high) == pytest.approx((plain.low, plain.high))


@pytest.mark.parametrize("seed", range(30))
def test_an_assisted_domain_interval_is_never_wider_than_its_classical_one(seed):
    rng = np.random.default_rng(300 + seed)
    sizes = [(int(rng.integers(300, 3000)), int(rng.integers(30, 120))) for _ in range(4)]
    population = _population(rng, sizes)
    if seed % 2:  # a weak model: scores mostly noise
        population = [(big_n, n, 0.5 * scores + 0.5 * rng.random(big_n), y, d, drawn)
                      for big_n, n, scores, y, d, drawn in population]
    rows = _rows(population)
    (estimate,), (classical,) = assisted_domain_proportions(*rows), domain_proportions(*rows[:5])
    assert estimate.se <= estimate.classical_se == pytest.approx(classical.se, abs=1e-12)


def test_a_partial_domain_variance_by_a_hand_written_loop_over_the_audits():
    """The estimate, λ_h and the variance of a domain with only some of each stratum's audits,
    by a loop over the audits independent of the code's sums (docs/statistics.md
    #ai-assisted-domain-estimates): λ_h the least-squares slope of a on b at the classical
    p̂_d, residuals e at the assisted p̂_d, S_h = Σ e² + c_h² Σ (b − b̄)² e² (no cross term: the
    domain's size is estimated from the same audits) over dof_h = (n_h − 1)(m_hd − 2)/(m_hd − 1)."""
    rng = np.random.default_rng(21)
    strata = []
    for big_n, n in ((3000, 90), (2000, 80)):
        scores = rng.beta(2, 5, big_n)
        y = (rng.random(big_n) < np.where(scores > 0.3, 0.8, 0.05)).astype(float)
        member = rng.random(big_n) < 0.55
        strata.append((big_n, n, scores, y, member, rng.choice(big_n, n, replace=False)))
    (estimate,) = assisted_domain_proportions(*_rows(strata))

    def classical():
        top = sum(big_n / n * y[s][d[s]].sum() for big_n, n, _, y, d, s in strata)
        return top / sum(big_n / n * d[s].sum() for big_n, n, _, _, d, s in strata)

    size = sum(big_n / n * d[s].sum() for big_n, n, _, _, d, s in strata)
    slopes, corrections = [], 0.0
    for big_n, n, f, y, d, s in strata:
        a = d[s] * (y[s] - classical())
        b = d[s] * f[s]
        slope = ((a - a.mean()) * (b - b.mean())).sum() / ((b - b.mean()) ** 2).sum()
        slopes.append(slope)
        corrections += slope * ((f * d).sum() - big_n / n * b.sum())
    p = (sum(big_n / n * y[s][d[s]].sum() for big_n, n, _, y, d, s in strata)
         + corrections) / size
    variance = 0.0
    for (big_n, n, f, y, d, s), slope in zip(strata, slopes, strict=True):
        a, b, m = d[s] * (y[s] - p), d[s] * f[s], d[s].sum()
        centred = b - b.mean()
        e = (a - a.mean()) - slope * centred
        c = n * ((f * d).sum() / big_n - b.mean()) / (centred**2).sum()
        total = (e**2).sum() + c**2 * (centred**2 * e**2).sum()
        dof = (n - 1) * (m - 2) / (m - 1)
        variance += big_n**2 * (1 - n / big_n) * total / (dof * n)
    variance /= size**2

    assert all(m >= MIN_DOMAIN_AUDITS_TO_TUNE for m in (d[s].sum() for *_, d, s in strata))
    assert estimate.lam == pytest.approx(tuple(slopes), abs=1e-12)
    assert estimate.p == pytest.approx(p, abs=1e-12)
    assert estimate.se == pytest.approx(np.sqrt(variance), abs=1e-12)
    assert estimate.se < estimate.classical_se
