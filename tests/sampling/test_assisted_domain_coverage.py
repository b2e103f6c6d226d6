"""Coverage of the AI-assisted domain interval (``assisted_domain_proportions``), by simulation
with fixed seeds: a fixed population of four strata of 400 tickets, a domain (say an agent's
tickets) that cuts across them, simple random samples of 40 per stratum, the truth the domain's
own rate. 4,000 replicates per model (good, useless, adversarial), estimated in one vectorised
call (each replicate is one domain of the call). The interval covers 94–96 %; its average width
is never wider than the classical interval's beyond noise. Figures printed with ``-s``.
"""

import numpy as np
import pytest

from sampling.stats import assisted_domain_proportions, domain_proportions

pytestmark = pytest.mark.slow

REPLICATES = 4000
STRATA, SIZE, AUDITS = 4, 400, 40


def _population(model, rng):
    stratum = np.repeat(np.arange(STRATA), SIZE)
    in_domain = rng.random(STRATA * SIZE) < 0.5
    base = np.array([0.05, 0.1, 0.2, 0.3])[stratum] * np.where(in_domain, 1.3, 0.8)
    risk = np.clip(base * np.exp(rng.normal(0, 1.0, STRATA * SIZE)), 0.005, 0.95)
    y = (rng.random(STRATA * SIZE) < risk).astype(float)
    if model == "good":
        scores = risk
    elif model == "useless":
        scores = rng.random(STRATA * SIZE)
    else:  # adversarial: high where errors are rare, and miscalibrated
        scores = np.clip(1 - risk - 0.2, 0, 1)
    return stratum, in_domain, y, scores


def _replicates(model, seed):
    rng = np.random.default_rng(seed)
    stratum, in_domain, y, scores = _population(model, rng)
    order = np.argsort(rng.random((REPLICATES, STRATA, SIZE)), axis=2)[:, :, :AUDITS]
    drawn = (order + (np.arange(STRATA) * SIZE)[None, :, None]).reshape(REPLICATES, -1)
    ys, fs, ds, hs = y[drawn], scores[drawn], in_domain[drawn], stratum[drawn]

    def per_stratum(values):
        return np.stack([(values * ds * (hs == h)).sum(axis=1) for h in range(STRATA)], axis=1)

    rows = (np.repeat(np.arange(REPLICATES), STRATA), np.full(REPLICATES * STRATA, SIZE),
            np.full(REPLICATES * STRATA, AUDITS), per_stratum(np.ones_like(ys)).ravel(),
            per_stratum(ys).ravel())
    score_sums = np.array([per_stratum(fs**k).ravel() for k in range(1, 5)])
    hit_sums = np.array([per_stratum(ys * fs**k).ravel() for k in range(1, 4)])
    population = np.tile([(scores * in_domain)[stratum == h].sum() for h in range(STRATA)],
                         REPLICATES)
    assisted = assisted_domain_proportions(*rows, score_sums, hit_sums, population,
                                           domains=REPLICATES)
    classical = domain_proportions(*rows, domains=REPLICATES)
    return assisted, classical, y[in_domain].mean()


@pytest.mark.parametrize("model", ["good", "useless", "adversarial"])
def test_the_assisted_domain_interval_covers_95_percent_and_is_never_wider(model):
    assisted, classical, truth = _replicates(model, seed=20261207)

    coverage = np.mean([e.low <= truth <= e.high for e in assisted])
    classical_coverage = np.mean([e.low <= truth <= e.high for e in classical])
    width = np.mean([e.high - e.low for e in assisted])
    classical_width = np.mean([e.high - e.low for e in classical])
    print(f"{model}: coverage {coverage:.4f} (classical {classical_coverage:.4f}), "
          f"width {width:.4f} vs {classical_width:.4f}")

    assert 0.94 <= coverage <= 0.96
    # Never wider beyond noise: λ = 0 is the classical estimate, so tuning pays only for the
    # slope fitted on ~20 audits per stratum (its degree of freedom and g-weights): a useless
    # model's interval is 0–2 % wider over seeds, the bound ppi_proportion's test uses too.
    assert width <= classical_width * 1.02
    if model == "good":
        assert width < classical_width * 0.95
