"""Risk-weighted (πps Poisson) designs, pure: each ticket's inclusion probability from its AI score,
and the trade a planner weighs (errors found per 100 audits against interval width) between such
a design and equal probability. Re-exported by ``sampling.stats``; import from there.
The database's draw (``sampling.risk_selection``) computes the same probabilities in SQL.
Derivation and references: docs/statistics.md#risk-weighted-samples-ht_proportion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import stats

# Relative slack when testing whether the largest uncapped ticket stays below 1: sums of floats
# may miss n·x by a rounding step, which must not cap a whole equal-score stratum.
CAP_TOLERANCE = 1e-9


def risk_sizes(scores: ArrayLike, floor: float) -> NDArray:
    """floor + score per ticket, a missing score (nan) counted at the mean of the others (0 when
    none has one): the size measure a risk-weighted draw is proportional to."""
    if not 0 < floor <= 1:
        raise ValueError(f"the floor must lie in (0, 1], got {floor!r}")
    s = np.asarray(scores, dtype=float).ravel()
    known = ~np.isnan(s)
    if np.any((s[known] < 0) | (s[known] > 1)):
        raise ValueError("AI scores must lie between 0 and 1")
    mean = float(s[known].mean()) if known.any() else 0.0
    return floor + np.where(known, s, mean)


def inclusion_probabilities(sizes: ArrayLike, n: float) -> NDArray:
    """π_i = min(1, c·x_i) with c such that Σπ_i = n (iterative capping: Särndal, Swensson &
    Wretman 1992 §3.6.2; Tillé 2006 §5.2.3): the tickets whose c·x_i would pass 1 get π = 1 and
    c is solved again over the rest. ``sizes`` x_i > 0; 0 ≤ n ≤ len(sizes).
    """
    x = np.asarray(sizes, dtype=float).ravel()
    if np.any(~np.isfinite(x) | (x <= 0)):
        raise ValueError("size measures must be positive numbers")
    if not 0 <= n <= len(x):
        raise ValueError(f"the expected sample size must lie in [0, {len(x)}], got {n!r}")
    pi = np.zeros_like(x)
    if n == 0:
        return pi
    order = np.argsort(-x, kind="stable")
    ranked = x[order]
    tail = np.cumsum(ranked[::-1])[::-1]  # Σ of x from each position on
    position = np.arange(len(x))
    # The fewest tickets capped such that the largest one left stays at or below 1; the test
    # only turns true as more are capped (docs/statistics.md#risk-weighted-samples-ht_proportion).
    fits = (n - position) * ranked <= tail * (1 + CAP_TOLERANCE)
    capped = int(np.argmax(fits))
    scale = (n - capped) / tail[capped]
    probabilities = np.minimum(1.0, scale * ranked)
    probabilities[:capped] = 1.0
    pi[order] = probabilities
    return pi


@dataclass(frozen=True)
class DesignTrade:
    """One design's side of the trade: failing tickets expected per 100 audits, and the expected
    width of the 95 % (or ``confidence``) interval of the failure rate."""

    errors_per_100: float
    interval_width: float

    @property
    def margin(self) -> float:
        """Half the interval: the ± a report of this design would show."""
        return self.interval_width / 2


@dataclass(frozen=True)
class RiskTrade:
    """A risk-weighted design against equal probability with the same (expected) audits."""

    audits: float
    population: int
    floor: float
    risk_weighted: DesignTrade
    equal: DesignTrade

    @property
    def width_ratio(self) -> float:
        """Risk-weighted interval width over the equal-probability one (above 1: wider)."""
        if self.equal.interval_width == 0:
            return 1.0
        return self.risk_weighted.interval_width / self.equal.interval_width


def risk_trade(strata: dict, floor: float, confidence: float = 0.95) -> RiskTrade:
    """The trade, from {key: (n_h, scores of the stratum's tickets)} with the scores taken as
    calibrated probabilities of failing (nan: no score, counted at the stratum's mean).

    Errors per 100 audits: 100·Σπ_i s_i / Σπ_i against 100·Σ_h (n_h/N_h) Σ s_i / n. Widths: 2z·√V
    of the stratified estimate of the failure rate, with V = Σ_h (N_h/N)² (1 − f_h) σ_h²/n_h for
    equal probability and the Poisson/Hájek V = N⁻² Σ (1 − π_i)/π_i · E(y_i − p_h)² for the
    risk-weighted design, E(y_i − p_h)² = s_i(1 − s_i) + (s_i − p_h)² (Särndal, Swensson &
    Wretman 1992 §5.7, expected over calibrated outcomes).
    """
    stats._check_confidence(confidence)
    z = stats.z_value(confidence)
    audits = found_risk = found_equal = variance_risk = variance_equal = 0.0
    population = 0
    for n_h, scores in strata.values():
        sizes = risk_sizes(scores, floor)
        s = sizes - floor
        big_n = len(s)
        if big_n == 0 or n_h <= 0:
            continue
        pi = inclusion_probabilities(sizes, n_h)
        p_h = float(s.mean())
        spread = s * (1 - s) + (s - p_h) ** 2
        audits += n_h
        population += big_n
        found_risk += float(pi @ s)
        found_equal += n_h * p_h
        variance_risk += float(np.sum((1 - pi) / pi * spread))
        sigma2 = float(spread.mean())  # = p_h (1 − p_h) for calibrated scores
        variance_equal += big_n**2 * (1 - n_h / big_n) * sigma2 / n_h
    if not audits:
        raise ValueError("no stratum has tickets and audits to trade")

    def side(found: float, variance: float) -> DesignTrade:
        return DesignTrade(
            errors_per_100=100 * found / audits,
            interval_width=2 * z * math.sqrt(max(variance, 0.0)) / population,
        )

    return RiskTrade(
        audits=audits,
        population=population,
        floor=floor,
        risk_weighted=side(found_risk, variance_risk),
        equal=side(found_equal, variance_equal),
    )
