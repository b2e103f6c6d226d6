"""Domain estimates over stratified samples, and what a scorecard says about them.

A scorecard asks about a *domain* (a vendor, a site, an agent, a week) that the sample's strata
need not follow: a plan stratified by vendor × workflow is read per site, or per week. The
domain's rate is then a ratio of two Horvitz–Thompson totals, and its variance comes from
Taylor linearisation. Re-exported by ``sampling.stats``; import from there.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np

from . import stats


def domain_proportion(
    strata: Mapping[Hashable, tuple[int, int, int, int]],
    confidence: float = 0.95,
    method: str = "wilson",
) -> stats.Estimate:
    """Rate of a domain from {key: (N_h, n_h, m_hd, x_hd)} over stratified samples.

    N_h is the stratum's population, n_h its sampled (audited) units, m_hd those of them in the
    domain and x_hd those in the domain with the attribute (passed, say). Cochran (1977)
    Sampling Techniques, 3rd ed., §5A.14 (domains of study in stratified sampling) and Lohr
    (2019) Sampling: Design and Analysis, 2nd ed., §4.3 and §9.1 (linearisation):

      p̂_d = Σ_h w_h x_hd / Σ_h w_h m_hd,   w_h = N_h / n_h  (the ratio estimator),
      v(p̂_d) = Σ_h N_h² (1 - n_h/N_h) s²_eh / n_h  /  N̂_d²,   N̂_d = Σ_h w_h m_hd,

    with s²_eh the sample variance within stratum h of the residuals e_i = y_i - p̂_d u_i
    (u_i = 1 when unit i is in the domain, y_i = 1 when it also has the attribute): x_hd
    residuals are 1 - p̂_d, m_hd - x_hd are -p̂_d and n_h - m_hd are 0. When the domain is the
    whole sample (m_hd = n_h) this is exactly ``stratified_proportion``. A stratum with
    n_h = 1 < N_h gets the bound s²_eh = 1/4, as there; a stratum with n_h = N_h adds no
    variance. The interval is Wilson's at the effective size n_eff = p(1-p)/v (Korn &
    Graubard 1998) or, when that is undefined (p̂_d = 0 or 1, or v = 0 short of a census),
    Kish's weighting effective size (Σ w_h m_hd)² / Σ w_h² m_hd; "normal" gives p ± z·se.

    ``population`` in the result is N̂_d rounded (the estimated number of domain units),
    ``n`` is Σ m_hd (the domain's audits). ValueError when no sampled unit is in the domain.
    """
    stats._check_confidence(confidence)
    if method not in ("normal", "wilson"):
        raise ValueError(f"method must be 'normal' or 'wilson', got {method!r}")
    try:
        rows = [tuple(v) for v in strata.values()]
        # Checked one by one: reshaping a flat array would silently misread, say, four
        # (N_h, n_h, x_h) triples as three quadruples.
        if any(len(row) != 4 for row in rows):
            raise ValueError
        table = np.array(rows, dtype=float).reshape(-1, 4)
    except (TypeError, ValueError) as exc:
        raise ValueError("each stratum must be an (N_h, n_h, m_hd, x_hd) tuple") from exc
    sizes, sampled, in_domain, hits = table.T
    if not np.all(np.isfinite(table) & (table >= 0)):
        raise ValueError("strata counts must be non-negative numbers")
    if np.any(sampled > sizes) or np.any(in_domain > sampled) or np.any(hits > in_domain):
        raise ValueError("each stratum needs x_hd <= m_hd <= n_h <= N_h")
    if not in_domain.sum():
        raise ValueError("no sampled unit is in the domain: nothing to estimate")
    keep = in_domain > 0  # strata without domain units add nothing to either total
    big_n, n_h, m_h, x_h = sizes[keep], sampled[keep], in_domain[keep], hits[keep]
    weights = big_n / n_h
    domain_size = float(weights @ m_h)
    p = float(weights @ x_h) / domain_size
    if not x_h.any() or np.array_equal(x_h, m_h):
        p = float(x_h.any())  # exactly 0 or 1, not a rounding step away from it
    # Σ (e_i - ē_h)² over the stratum, from the three residual values and their counts, as
    # Σ_pairs n_i n_j (e_i - e_j)² / n_h: no cancellation, so a stratum whose domain units all
    # agree (and fill it) adds exactly 0, as in stratified_proportion, not a rounding residue
    # that would make n_eff = p(1-p)/v absurdly large and the interval a point.
    outside = n_h - m_h
    squares = (x_h * (m_h - x_h) + x_h * outside * (1 - p) ** 2
               + (m_h - x_h) * outside * p**2) / n_h
    s2 = np.divide(squares, n_h - 1, out=np.full_like(n_h, 0.25), where=n_h > 1)
    variance = float(np.sum(big_n**2 * (1 - n_h / big_n) * np.maximum(s2, 0) / n_h))
    variance /= domain_size**2
    se = math.sqrt(variance)
    if bool(np.all(n_h == big_n)):
        effective_n = math.inf
    elif variance > 0 and 0 < p < 1:
        effective_n = p * (1 - p) / variance
    else:
        effective_n = domain_size**2 / float(weights**2 @ m_h)
    z = stats.z_value(confidence)
    if method == "normal":
        low, high = max(0.0, p - z * se), min(1.0, p + z * se)
    else:
        low, high = stats._wilson(p, effective_n, z)
    return stats.Estimate(
        p=p, se=se, low=low, high=high, n=int(m_h.sum()), margin=(high - low) / 2,
        confidence=confidence, method=method, population=round(domain_size),
        covered_population=round(domain_size), effective_n=effective_n,
    )


@dataclass(frozen=True)
class Comparison:
    """Two estimates compared: ``difference`` = a.p - b.p with its interval, the two-sided
    test of equal rates, and whether the difference is significant at ``confidence``."""

    difference: float
    low: float
    high: float
    z: float
    p_value: float
    confidence: float

    @property
    def significant(self) -> bool:
        return self.p_value < 1 - self.confidence


def _effective_counts(estimate: stats.Estimate) -> tuple[float, float]:
    # A census has no sampling error; a very large size stands in for infinity.
    size = min(estimate.effective_n, 1e9)
    return estimate.p * size, size


def compare_estimates(
    a: stats.Estimate, b: stats.Estimate, confidence: float = 0.95
) -> Comparison:
    """Is a's rate different from b's? Two independent (weighted) estimates are compared as
    two binomial samples of their effective sizes, x = p̂·n_eff (Korn & Graubard 1998; Kish
    1965 §8.2): the pooled z-test of ``two_proportion_test`` and Newcombe's hybrid score
    interval of ``difference_ci``. For simple random samples (n_eff = n) this is exactly the
    classical pair."""
    x1, n1 = _effective_counts(a)
    x2, n2 = _effective_counts(b)
    z, p_value = stats.two_proportion_test(x1, n1, x2, n2)
    low, high = stats.difference_ci(x1, n1, x2, n2, confidence=confidence)
    return Comparison(difference=a.p - b.p, low=low, high=high, z=z, p_value=p_value,
                      confidence=confidence)


def audits_to_decide(estimate: stats.Estimate, target: float) -> int | None:
    """About how many more audits would make ``estimate`` significantly different from
    ``target`` at the estimate's confidence, if the rate stayed where it is.

    The test of p = target has half-width z·sqrt(t(1-t)/n_eff) under the hypothesis (the
    sample size for a one-sample test of a proportion, Fleiss, Levin & Paik 2003 §2.5, with
    the null variance so that p̂ = 0 or 1 is no special case); it separates p̂ from t once
    n_eff ≥ z² t(1-t) / (p̂ - t)². The design effect n / n_eff of the audits so far carries
    over to the new ones. Returns 0 when the interval already excludes the target, and None
    when p̂ equals the target (no sample size can tell them apart).
    """
    if not 0 <= target <= 1:
        raise ValueError(f"target must be a proportion in [0, 1], got {target!r}")
    if estimate.low > target or estimate.high < target:
        return 0
    gap = abs(estimate.p - target)
    if gap == 0 or target in (0.0, 1.0):
        return None
    z = stats.z_value(estimate.confidence)
    needed_effective = z * z * target * (1 - target) / gap**2
    design_effect = estimate.n / estimate.effective_n if estimate.effective_n else 1.0
    needed = math.ceil(needed_effective * max(design_effect, 1e-9))
    return max(1, needed - estimate.n)
