"""Domain estimates (a vendor, site, agent or week the strata need not follow), their comparison
and the audits still needed to decide. Re-exported by ``sampling.stats``; import from there.
Derivation: docs/statistics.md#domain-estimates.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from . import stats
from ._assisted import MIN_AUDITS_TO_TUNE, AssistedEstimate, residual_per_audit

# In a stratum where some audits are not the domain's (m_hd < n_h), the domain's slope is fitted
# on its own audits there and its variance taken over the whole stratum's sample: with a dozen
# such audits the interval covered 92.9-94.2 % (tests/sampling/test_assisted_domain_coverage.py),
# with thirty or more 94-95 %. Below it the domain keeps λ = 0 there (the classical estimate).
# Where every audit of the stratum is the domain's (m_hd = n_h), MIN_AUDITS_TO_TUNE applies.
MIN_DOMAIN_AUDITS_TO_TUNE = 30


def domain_proportion(
    strata: Mapping[Hashable, tuple[int, int, int, int]],
    confidence: float = 0.95,
    method: str = "wilson",
) -> stats.Estimate:
    """Rate of a domain from {key: (N_h, n_h, m_hd, x_hd)}: the ratio of two Horvitz–Thompson
    totals with a linearised variance (Cochran 1977 §5A.14; Lohr 2019 §4.3, §9.1). ``population``
    is N̂_d rounded, ``n`` the domain's audits; ValueError when no sampled unit is in the domain.
    """
    try:
        rows = [tuple(v) for v in strata.values()]
        # Checked one by one: reshaping a flat array would silently misread, say, four
        # (N_h, n_h, x_h) triples as three quadruples.
        if any(len(row) != 4 for row in rows):
            raise ValueError
        table = np.array(rows, dtype=float).reshape(-1, 4)
    except (TypeError, ValueError) as exc:
        raise ValueError("each stratum must be an (N_h, n_h, m_hd, x_hd) tuple") from exc
    (estimate,) = domain_proportions(
        np.zeros(len(table), dtype=np.intp),
        *table.T,
        confidence=confidence,
        method=method,
        domains=1,
    )
    return estimate


def domain_proportions(
    domain: ArrayLike,
    sizes: ArrayLike,
    sampled: ArrayLike,
    in_domain: ArrayLike,
    hits: ArrayLike,
    confidence: float = 0.95,
    method: str = "wilson",
    domains: int | None = None,
) -> list[stats.Estimate]:
    """``domain_proportion`` of many domains at once from (domain index, N_h, n_h, m_hd, x_hd)
    rows, summed per domain into ``DomainSums``; one Estimate per domain 0…``domains``-1.
    """
    stats._check_confidence(confidence)
    domain = np.asarray(domain, dtype=np.intp)
    table = np.array([sizes, sampled, in_domain, hits], dtype=float).reshape(4, -1)
    if not np.all(np.isfinite(table) & (table >= 0)):
        raise ValueError("strata counts must be non-negative numbers")
    big_n, n_h, m_h, x_h = table
    if np.any(n_h > big_n) or np.any(m_h > n_h) or np.any(x_h > m_h):
        raise ValueError("each stratum needs x_hd <= m_hd <= n_h <= N_h")
    if domains is None:
        domains = int(domain.max()) + 1 if domain.size else 0
    keep = m_h > 0  # strata without domain units add nothing to either total
    domain, big_n, n_h, m_h, x_h = domain[keep], big_n[keep], n_h[keep], m_h[keep], x_h[keep]

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(domain, weights=values, minlength=domains)

    weights = big_n / n_h
    # f_h; a stratum of one sampled unit gets the s² = 1/4 bound instead (``lone``).
    factor = np.divide(
        big_n**2 * (1 - n_h / big_n), n_h**2 * (n_h - 1), out=np.zeros_like(n_h), where=n_h > 1
    )
    outside = n_h - m_h
    sums = DomainSums(
        audits=total(m_h),
        size=total(weights * m_h),
        hits=total(weights * x_h),
        within=total(factor * x_h * (m_h - x_h)),
        hits_outside=total(factor * x_h * outside),
        misses_outside=total(factor * (m_h - x_h) * outside),
        lone=total(np.where(n_h == 1, big_n**2 * (1 - n_h / big_n) * 0.25, 0.0)),
        squared_weights=total(weights**2 * m_h),
        strata_with_hits=total((x_h > 0).astype(float)),
        strata_with_misses=total((x_h != m_h).astype(float)),
        sampled_strata=total((n_h < big_n).astype(float)),
    )
    return sums.estimates(confidence=confidence, method=method)


@dataclass(frozen=True)
class DomainSums:
    """Per-domain sums (arrays, one entry per domain) that add up over strata, so the database
    can total them and send one row per domain; ``estimates`` gives ``domain_proportion``'s
    result from them. The sums' formulas: docs/statistics.md#domain-estimates.
    """

    audits: np.ndarray
    size: np.ndarray
    hits: np.ndarray
    within: np.ndarray
    hits_outside: np.ndarray
    misses_outside: np.ndarray
    lone: np.ndarray
    squared_weights: np.ndarray
    strata_with_hits: np.ndarray
    strata_with_misses: np.ndarray
    sampled_strata: np.ndarray

    def estimates(self, confidence: float = 0.95, method: str = "wilson") -> list[stats.Estimate]:
        stats._check_confidence(confidence)
        if method not in ("normal", "wilson"):
            raise ValueError(f"method must be 'normal' or 'wilson', got {method!r}")
        audits = np.asarray(self.audits, dtype=float)
        if not np.all(audits > 0):
            raise ValueError("no sampled unit is in the domain: nothing to estimate")
        size = np.asarray(self.size, dtype=float)
        p = np.asarray(self.hits, dtype=float) / size
        # Exactly 0 or 1 when no unit or every unit has the attribute, not a rounding step away.
        p[np.asarray(self.strata_with_hits) == 0] = 0.0
        p[np.asarray(self.strata_with_misses) == 0] = 1.0
        variance = (
            np.asarray(self.within, dtype=float)
            + np.asarray(self.hits_outside, dtype=float) * (1 - p) ** 2
            + np.asarray(self.misses_outside, dtype=float) * p**2
            + np.asarray(self.lone, dtype=float)
        ) / size**2
        kish = size**2 / np.asarray(self.squared_weights, dtype=float)
        census = np.asarray(self.sampled_strata) == 0
        z = stats.z_value(confidence)
        estimates = []
        for d in range(len(audits)):
            p_d, v_d, n_hat = float(p[d]), float(variance[d]), float(size[d])
            se = math.sqrt(v_d)
            effective_n, low, high = stats._interval_at_effective_size(
                p_d, v_d, float(kish[d]), z, method, census=bool(census[d])
            )
            estimates.append(
                stats.Estimate(
                    p=p_d,
                    se=se,
                    low=low,
                    high=high,
                    n=int(audits[d]),
                    margin=(high - low) / 2,
                    confidence=confidence,
                    method=method,
                    population=round(n_hat),
                    covered_population=round(n_hat),
                    effective_n=effective_n,
                )
            )
        return estimates


@dataclass(frozen=True)
class Comparison:
    """a.p - b.p with its interval, the two-sided test of equal rates, and significance."""

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


def compare_estimates(a: stats.Estimate, b: stats.Estimate, confidence: float = 0.95) -> Comparison:
    """Is a's rate different from b's? Each estimate counts as a binomial sample of its effective
    size (Korn & Graubard 1998; Kish 1965 §8.2). Docs: docs/statistics.md#comparing-two-rates."""
    x1, n1 = _effective_counts(a)
    x2, n2 = _effective_counts(b)
    z, p_value = stats.two_proportion_test(x1, n1, x2, n2)
    low, high = stats.difference_ci(x1, n1, x2, n2, confidence=confidence)
    return Comparison(
        difference=a.p - b.p, low=low, high=high, z=z, p_value=p_value, confidence=confidence
    )


def audits_to_decide(estimate: stats.Estimate, target: float) -> int | None:
    """About how many more audits would separate ``estimate`` from ``target`` if the rate stayed
    put (Fleiss, Levin & Paik 2003 §2.5): 0 when the interval already excludes it, None when no
    sample size can. Docs: docs/statistics.md#verdicts-and-audits-to-decide.
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


def _moments(p: np.ndarray, n, m, x, scores, hit_scores):
    """Centred sums over a stratum's n_h audits of a = 1_d (y − p) and b = 1_d ŷ (zero outside
    the domain), from the domain's raw sums: D[k] = Σ (b − b̄)^k (k ≤ 4), U[k] = Σ (a − ā)(b − b̄)^k
    (k ≤ 3), UU[k] = Σ (a − ā)²(b − b̄)^k (k ≤ 2), and b̄ (docs/statistics.md
    #ai-assisted-domain-estimates). Rows are k, columns (domain, stratum) rows."""
    m0 = np.vstack([n, scores])  # Σ b^k, k = 0..4
    m1 = np.vstack([x - p * m, hit_scores - p * scores[:3]])  # Σ a b^k, k = 0..3
    m2 = np.vstack([(1 - 2 * p) * x + p * p * m,
                    (1 - 2 * p) * hit_scores[:2] + p * p * scores[:2]])  # Σ a² b^k, k = 0..2
    a_bar, b_bar = m1[0] / n, m0[1] / n

    def centre(raw: np.ndarray, order: int) -> np.ndarray:
        out = np.zeros((order + 1, len(n)))
        for k in range(order + 1):
            for j in range(k + 1):
                out[k] += math.comb(k, j) * (-b_bar) ** (k - j) * raw[j]
        return out

    d = centre(m0, 4)
    u = centre(m1 - a_bar * m0[:4], 3)
    uu = centre(m2 - 2 * a_bar * m1[:3] + a_bar**2 * m0[:3], 2)
    return d, u, uu, b_bar


def assisted_domain_proportions(
    domain: ArrayLike,
    sizes: ArrayLike,
    sampled: ArrayLike,
    in_domain: ArrayLike,
    hits: ArrayLike,
    scores: ArrayLike,
    hit_scores: ArrayLike,
    population_scores: ArrayLike,
    assisted: ArrayLike | None = None,
    confidence: float = 0.95,
    method: str = "wilson",
    domains: int | None = None,
    tuned: bool = True,
) -> list[AssistedEstimate]:
    """AI-assisted rate of many domains from (domain, stratum) rows of sums: N_h, n_h, m_hd,
    x_hd as in ``domain_proportions``; ``scores`` (4 × rows) Σ ŷ, Σ ŷ², Σ ŷ³, Σ ŷ⁴ over the
    domain's audits in the stratum and ``hit_scores`` (3 × rows) Σ y ŷ, Σ y ŷ², Σ y ŷ³ (y the
    attribute, 0/1); ``population_scores`` Σ ŷ over the domain's N_hd tickets of the stratum.
    Per stratum the difference estimator w_h Σ_d (y − λ_h ŷ) + λ_h Σ_{U_hd} ŷ over the estimated
    domain size Σ w_h m_hd, λ_h the slope minimising the stratum's variance term (0 when not
    ``tuned``, where ``assisted`` is False, or below MIN_DOMAIN_AUDITS_TO_TUNE domain audits in a
    stratum where some audits are not the domain's, MIN_AUDITS_TO_TUNE where all are; and where
    it would not narrow the stratum's term), with the linearised residuals (g-weighted where all
    a stratum's audits are the domain's) and finite-population correction (Särndal, Swensson &
    Wretman 1992 §5.6, §6.3, §6.7, §10.5; Angelopoulos et al. 2023; PPI++ 2024; Fisch et al.
    2024). λ = 0 everywhere is exactly ``domain_proportions``; a domain of whole strata is
    exactly ``stratified_ppi``; never wider than the classical estimate (a domain whose slopes
    would widen it keeps that).
    One ``AssistedEstimate`` per domain (``lam``: λ_h of its rows). Docs:
    docs/statistics.md#ai-assisted-domain-estimates.
    """
    stats._check_confidence(confidence)
    if method not in ("normal", "wilson"):
        raise ValueError(f"method must be 'normal' or 'wilson', got {method!r}")
    domain = np.asarray(domain, dtype=np.intp)
    table = np.array([sizes, sampled, in_domain, hits, population_scores], dtype=float)
    table = table.reshape(5, -1)
    score_table = np.array(scores, dtype=float).reshape(4, -1)
    hit_table = np.array(hit_scores, dtype=float).reshape(3, -1)
    if not (np.all(np.isfinite(table)) and np.all(np.isfinite(score_table))
            and np.all(np.isfinite(hit_table))):
        raise ValueError("strata sums must be finite numbers")
    big_n, n, m, x, big_f = table
    if np.any(table < 0) or np.any(score_table < 0) or np.any(hit_table < 0):
        raise ValueError("strata sums must be non-negative")
    if np.any(n > big_n) or np.any(m > n) or np.any(x > m):
        raise ValueError("each stratum needs x_hd <= m_hd <= n_h <= N_h")
    if np.any(score_table[0] > m + 1e-9) or np.any(hit_table[0] > score_table[0] + 1e-9):
        raise ValueError("scores lie in [0, 1]: Σ ŷ cannot exceed the audits, nor Σ yŷ Σ ŷ")
    wanted = (np.ones(len(n), dtype=bool) if assisted is None
              else np.asarray(assisted, dtype=bool).reshape(-1))
    if domains is None:
        domains = int(domain.max()) + 1 if domain.size else 0
    keep = m > 0
    domain, big_n, n, m, x, big_f, wanted = (
        v[keep] for v in (domain, big_n, n, m, x, big_f, wanted))
    score_table, hit_table = score_table[:, keep], hit_table[:, keep]

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(domain, weights=values, minlength=domains)

    w = big_n / n
    size = total(w * m)
    if np.any(size[np.unique(domain)] <= 0) or len(np.unique(domain)) < domains:
        raise ValueError("no sampled unit is in the domain: nothing to estimate")
    classical = total(w * x) / size
    at_classical = _moments(classical[domain], n, m, x, score_table, hit_table)
    d, u, uu, b_bar = at_classical
    ss_b = np.maximum(d[2], 0.0)
    # A domain with only some of a stratum's audits needs more of them for its slope than one
    # with all of them (MIN_DOMAIN_AUDITS_TO_TUNE); a domain of whole strata is then exactly
    # stratified_ppi. The ticket counts N_hd are not among these sums, so a domain that got
    # every audit of a stratum it only partly fills is taken as filling it.
    enough = m >= np.where(m < n, MIN_DOMAIN_AUDITS_TO_TUNE, MIN_AUDITS_TO_TUNE)
    fit = tuned & wanted & enough & (ss_b > 1e-12 * n)
    safe = np.where(fit, ss_b, 1.0)
    lam = np.where(fit, u[1] / safe, 0.0)
    c = np.where(fit, n * (big_f / big_n - b_bar) / safe, 0.0)
    # Where every audit of the stratum is the domain's, its size is exact and the residuals take
    # the full g-weights (a domain of whole strata is stratified_ppi). Elsewhere the domain's
    # size is estimated from the same audits, and the g-weights' cross term would count its
    # share of the audits twice: inflating the variance of a domain with fewer audits than its
    # share of the tickets, shrinking that of one with more, though λ = 0 gives the classical
    # estimate either way. Those rows keep the fitted slope's own variance (c²Σ b̃²e²) without it,
    # and keep the slope only where it narrows the stratum's term, degree of freedom paid.
    whole = m == n
    cross = whole.astype(float)
    # The slope is fitted on the domain's m_hd audits: its degree of freedom is spent among them,
    # (n_h − 1)(m_hd − 2)/(m_hd − 1), which is n_h − 2 for a domain of whole strata.
    fitted_dof = (n - 1) * (m - 2) / np.maximum(m - 1, 1)
    fit &= whole | (residual_per_audit(uu, u, d, lam, c, fitted_dof, n, cross)
                    < residual_per_audit(uu, u, d, 0.0, 0.0, n - 1, n))
    lam, c = np.where(fit, lam, 0.0), np.where(fit, c, 0.0)
    p = (total(w * x) + total(lam * (big_f - w * score_table[0]))) / size
    # Exactly 0 or 1 when the domain's audits all lack or all have the attribute and no λ moved
    # it, as domain_proportions gives it.
    untuned = total(np.abs(lam)) == 0
    p = np.where(untuned & (total(x) == 0), 0.0, p)
    p = np.where(untuned & (total(m - x) == 0), 1.0, p)
    fpc_factor = big_n**2 * (1 - n / big_n)

    def variance(moments, lam_h, c_h, dof) -> np.ndarray:
        # The ratio's linearised residuals a − λb about the domain's own estimate p, with the
        # fitted slope's g-weights 1 + c(b − b̄) (their cross term only where `cross`).
        d, u, uu, _ = moments
        return total(fpc_factor * residual_per_audit(uu, u, d, lam_h, c_h, dof, n, cross)
                     ) / size**2

    at_estimate = _moments(p[domain], n, m, x, score_table, hit_table)
    assisted_v = variance(at_estimate, lam, c, np.where(fit, fitted_dof, n - 1))
    classical_v = variance(at_classical, 0.0, 0.0, n - 1)
    # Moving p̂_d off the classical estimate moves every stratum's residuals, and rarely (under
    # 0.5 % of samples with a weak model) leaves the sum wider: such a domain keeps its
    # classical estimate, as if no stratum had a slope, so the assisted figure is never wider.
    wider = assisted_v > classical_v
    p, assisted_v = np.where(wider, classical, p), np.where(wider, classical_v, assisted_v)
    lam = np.where(wider[domain], 0.0, lam)
    kish = size**2 / total(w * w * m)
    census = total((n < big_n).astype(float)) == 0
    z = stats.z_value(confidence)
    estimates = []
    for k in range(domains):
        rows = domain == k
        _, low, high = stats._interval_at_effective_size(
            float(min(1.0, max(0.0, p[k]))), float(assisted_v[k]), float(kish[k]), z, method,
            census=bool(census[k]))
        estimates.append(AssistedEstimate(
            p=float(p[k]), se=math.sqrt(float(assisted_v[k])), low=low, high=high,
            lam=tuple(float(v) for v in lam[rows]), n=int(m[rows].sum()),
            confidence=confidence, classical_p=float(classical[k]),
            classical_se=math.sqrt(float(classical_v[k])), population=round(float(size[k])),
        ))
    return estimates
