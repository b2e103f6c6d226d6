"""AI-assisted and unequal-probability estimates of a rate: prediction-powered inference (a model's
scores on every ticket, audits on a sample) and Horvitz–Thompson / Hájek for risk-weighted
(Poisson) samples. Re-exported by ``sampling.stats``; import from there.
Formulas and references: docs/statistics.md#ai-assisted-estimates-prediction-powered-inference.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import stats

# A stratum needs this many audits before its λ is estimated from them; below it, λ = 0 (the
# classical estimate), because a slope fitted on a handful of audits is noise and its variance
# estimate is too small (docs/statistics.md#stratified-ai-assisted-estimate).
MIN_AUDITS_TO_TUNE = 10


@dataclass(frozen=True)
class AssistedEstimate:
    """A prediction-powered rate: ``p`` with ``se`` and the normal interval [low, high] (clipped to
    [0, 1]); ``lam`` the weight given to the model (a number, or {stratum: λ_h}); ``classical_p``
    and ``classical_se`` the audits-only estimate from the same audits, for the comparison.
    """

    p: float
    se: float
    low: float
    high: float
    lam: Any
    n: int
    confidence: float
    classical_p: float
    classical_se: float
    population: int | None = None
    uncovered_strata: tuple = field(default=())

    @property
    def equivalent_audits(self) -> float:
        """Audits a classical estimate would need for this precision (n · v_classical / v): "the
        model's scores were worth about equivalent_audits − n extra audits".
        """
        if self.se == 0:
            return math.inf if self.classical_se > 0 else float(self.n)
        return self.n * (self.classical_se / self.se) ** 2


def _scores(values: ArrayLike, name: str, *, binary: bool = False) -> NDArray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a one-dimensional sequence")
    if not np.all(np.isfinite(array) & (array >= 0) & (array <= 1)):
        raise ValueError(f"{name} must be numbers between 0 and 1")
    if binary and not np.all((array == 0) | (array == 1)):
        raise ValueError(f"{name} must be 0 or 1 (an audit's outcome)")
    return array


def _normal_interval(p: float, se: float, confidence: float) -> tuple[float, float]:
    half = stats.z_value(confidence) * se
    return min(1.0, max(0.0, p - half)), max(0.0, min(1.0, p + half))


def ppi_proportion(
    y: ArrayLike,
    yhat: ArrayLike,
    yhat_unlabeled: ArrayLike,
    confidence: float = 0.95,
    tuned: bool = True,
) -> AssistedEstimate:
    """Prediction-powered rate from audited outcomes ``y`` (0/1), the model's scores on those
    tickets ``yhat`` and on unaudited ones ``yhat_unlabeled`` (Angelopoulos et al. 2023); with
    ``tuned`` λ is PPI++'s power tuning clipped to [0, 1] (Angelopoulos, Duchi & Zrnic 2024),
    else λ = 1. Equals ppi-python's ppi_mean_ci / ppi_mean_pointestimate; no finite-population
    correction (stratified_ppi has it). Docs: docs/statistics.md#ppi_proportion.
    """
    stats._check_confidence(confidence)
    y = _scores(y, "y", binary=True)
    f = _scores(yhat, "yhat")
    f_unlabeled = _scores(yhat_unlabeled, "yhat_unlabeled")
    n, big_n = len(y), len(f_unlabeled)
    if len(f) != n:
        raise ValueError(f"yhat has {len(f)} scores for {n} audited outcomes y")
    if n < 2 or big_n < 1:
        raise ValueError("need at least 2 audited tickets and 1 unaudited score")
    if tuned:
        # PPI++ (ppi_py._calc_lam_glm for a mean): cov(y, f) with divisor n over (1 + n/N) times
        # the variance (divisor n + N - 1) of all the scores, labelled and unlabelled together.
        all_scores = np.concatenate([f, f_unlabeled])
        spread = float(np.var(all_scores, ddof=1))
        covariance = float(np.mean((y - y.mean()) * (f - f.mean())))
        lam = 0.0 if spread == 0 else covariance / ((1 + n / big_n) * spread)
        lam = min(1.0, max(0.0, lam))
    else:
        lam = 1.0
    rectifier = y - lam * f
    p = float(np.mean(lam * f_unlabeled) + np.mean(rectifier))
    se = math.sqrt(float(np.var(lam * f_unlabeled)) / big_n + float(np.var(rectifier)) / n)
    low, high = _normal_interval(p, se, confidence)
    classical_se = math.sqrt(float(np.var(y)) / n)
    return AssistedEstimate(
        p=p,
        se=se,
        low=low,
        high=high,
        lam=lam,
        n=n,
        confidence=confidence,
        classical_p=float(y.mean()),
        classical_se=classical_se,
    )


@dataclass(frozen=True)
class StratumScores:
    """One stratum of ``stratified_ppi`` as sufficient statistics, so rollups can supply sums
    instead of rows: N_h and the sum of the model's scores f over all N_h tickets; on the n_h
    audited tickets, the sums of the outcomes y (0/1), of f, f², f³, f⁴ and of y·f, y·f², y·f³
    (the powers feed the g-weighted variance). ``from_arrays`` builds it from rows.
    """

    population: int
    population_score_sum: float
    n: int
    y_sum: float
    score_sum: float
    score2_sum: float
    score3_sum: float
    score4_sum: float
    y_score_sum: float
    y_score2_sum: float
    y_score3_sum: float

    @classmethod
    def from_arrays(
        cls, population: int, y: ArrayLike, yhat: ArrayLike, population_scores: Any
    ) -> StratumScores:
        """``population_scores``: the scores of all N_h tickets (audited ones included), or their
        sum as a number.
        """
        y = _scores(y, "y", binary=True)
        f = _scores(yhat, "yhat")
        if len(f) != len(y):
            raise ValueError(f"yhat has {len(f)} scores for {len(y)} audited outcomes y")
        if isinstance(population_scores, numbers.Real):
            total = float(population_scores)
        else:
            scores = _scores(population_scores, "population scores")
            if len(scores) != population:
                raise ValueError(
                    f"{len(scores)} population scores for a population of {population}: "
                    "the model must score every ticket of the stratum"
                )
            total = float(scores.sum())
        powers = f[None, :] ** np.arange(1, 5)[:, None]  # f, f², f³, f⁴
        score_sums, y_score_sums = powers.sum(axis=1), powers[:3] @ y
        return cls(
            population,
            total,
            len(y),
            float(y.sum()),
            *map(float, score_sums),
            *map(float, y_score_sums),
        )


SUM_FIELDS = tuple(StratumScores.__dataclass_fields__)


def _centred(raw: NDArray, mean: NDArray, n: NDArray) -> NDArray:
    """Σ (f − f̄)^k for k = 0..4 from raw sums Σ f^j (j = 1..4), per stratum, by the binomial
    expansion; rows are k, columns strata.
    """
    power = np.vstack([n, raw])  # Σ f^0 = n (or Σ y for the y-weighted sums)
    out = np.zeros_like(power)
    for k in range(power.shape[0]):
        for j in range(k + 1):
            out[k] += math.comb(k, j) * (-mean) ** (k - j) * power[j]
    return out


def _stratum(key: Hashable, value: Any) -> StratumScores:
    if isinstance(value, StratumScores):
        return value
    if isinstance(value, Mapping):
        return StratumScores.from_arrays(**value)
    try:
        population, y, yhat, population_scores = value
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"stratum {key!r} must be StratumScores or (N_h, y, yhat, population scores or sum)"
        ) from exc
    return StratumScores.from_arrays(population, y, yhat, population_scores)


def residual_per_audit(uu, u, d, lam, c, dof, n, cross=1.0) -> np.ndarray:
    """A stratum's variance term per audit, Σ (g e)² / (dof · n), from its centred sums
    d[k] = Σ b̃^k, u[k] = Σ ã b̃^k, uu[k] = Σ ã² b̃^k: residuals e = ã − λ b̃ with g-weights
    g = 1 + c b̃, so Σ (g e)² = Σ e² + 2cΣ b̃ e² + c²Σ b̃² e² (Särndal, Swensson & Wretman 1992
    §6.6); the last term is the fitted slope's own variance. ``cross`` = 0 leaves out the middle
    term (a domain's rows: docs/statistics.md#ai-assisted-domain-estimates). λ = c = 0 and
    dof = n − 1 is the classical term."""
    e2 = [uu[k] - 2 * lam * u[k + 1] + lam**2 * d[k + 2] for k in range(3)]
    ss = np.maximum(e2[0] + 2 * cross * c * e2[1] + c**2 * e2[2], 0.0)
    return np.divide(ss, dof * n, out=0.25 / n, where=dof > 0)


def stratified_ppi(
    strata: Mapping[Hashable, Any], confidence: float = 0.95, tuned: bool = True
) -> AssistedEstimate:
    """Stratified AI-assisted rate: per stratum the difference estimator ȳ_h + λ_h(F̄_h − f̄_h)
    with the model's mean score F̄_h over all N_h tickets, λ_h the variance-minimising slope
    (0 below MIN_AUDITS_TO_TUNE audits; 1 when not ``tuned``), its g-weighted variance with the
    finite population correction, combined with weights N_h/N (Särndal, Swensson & Wretman
    1992 ch. 6; Cochran 1977 ch. 7; Fisch et al. 2024). ``strata``: {key: StratumScores or
    (N_h, y, yhat, population scores or their sum)}; strata without audits are left out and
    listed, as in stratified_proportion. Docs: docs/statistics.md#stratified-ai-assisted-estimate.
    """
    stats._check_confidence(confidence)
    if not strata:
        raise ValueError("strata is empty: nothing to estimate")
    keys = list(strata)
    rows = [_stratum(key, strata[key]) for key in keys]
    table = np.array([[getattr(r, name) for name in SUM_FIELDS] for r in rows], dtype=float)
    if not np.all(np.isfinite(table) & (table >= 0)):
        raise ValueError("strata sums must be non-negative numbers")
    big_n, score_total, n = table[:, 0], table[:, 1], table[:, 2]
    if np.any(n > big_n):
        raise ValueError("a stratum has more audits than tickets (n_h > N_h)")
    if np.any(score_total > big_n):
        raise ValueError("a stratum's score sum exceeds its N_h (scores lie in [0, 1])")
    covered = n > 0
    if not covered.any():
        raise ValueError("no stratum was audited (every n_h is 0): nothing to estimate")
    uncovered = tuple(keys[i] for i in np.flatnonzero(~covered & (big_n > 0)))
    table = table[covered]
    big_n, score_total, n, y_sum = table[:, :4].T
    y_mean, f_mean = y_sum / n, table[:, 4] / n
    # d = f − f̄, u = y − ȳ: sums of d^k and of y·d^k, then of u·d^k and u²·d^k (u² = y(1 − 2ȳ) +
    # ȳ² for 0/1 outcomes).
    d_k = _centred(table[:, 4:8].T, f_mean, n)
    y_d_k = _centred(table[:, 8:11].T, f_mean, y_sum)
    u_d = y_d_k[:4] - y_mean * d_k[:4]
    uu_d = (1 - 2 * y_mean) * y_d_k[:3] + y_mean**2 * d_k[:3]
    ss_f = np.maximum(d_k[2], 0.0)
    if tuned:
        fit = (n >= MIN_AUDITS_TO_TUNE) & (ss_f > 1e-12 * n)
        safe_ss_f = np.where(fit, ss_f, 1.0)
        lam = np.where(fit, u_d[1] / safe_ss_f, 0.0)
        # g-weights g_i = 1 + c·d_i (Särndal et al. 1992, ch. 6): the slope was fitted, so the
        # residuals count more when the audits' mean score is far from the population's.
        c = np.where(fit, n * (score_total / big_n - f_mean) / safe_ss_f, 0.0)
        dof = n - 1 - fit  # one more degree of freedom spent on the fitted slope
    else:
        lam = np.where(n > 1, 1.0, 0.0)
        c = np.zeros_like(n)
        dof = n - 1
    per_audit = residual_per_audit(uu_d, u_d, d_k, lam, c, dof, n)
    fpc = 1 - n / big_n
    weights = big_n / big_n.sum()
    p_h = y_mean + lam * (score_total / big_n - f_mean)
    p = float(weights @ p_h)
    se = math.sqrt(float(np.sum(weights**2 * fpc * per_audit)))
    classical_per_audit = residual_per_audit(uu_d, u_d, d_k, 0.0, 0.0, n - 1, n)
    classical_se = math.sqrt(float(np.sum(weights**2 * fpc * classical_per_audit)))
    low, high = _normal_interval(p, se, confidence)
    covered_keys = [k for k, c in zip(keys, covered, strict=True) if c]
    return AssistedEstimate(
        p=p,
        se=se,
        low=low,
        high=high,
        lam={k: float(v) for k, v in zip(covered_keys, lam, strict=True)},
        n=int(n.sum()),
        confidence=confidence,
        classical_p=float(weights @ y_mean),
        classical_se=classical_se,
        population=int(big_n.sum()),
        uncovered_strata=uncovered,
    )


@dataclass(frozen=True)
class WeightedEstimate:
    """A rate from an unequal-probability sample: ``method`` "ht" or "hajek", ``population`` N
    (given) or N̂ = Σ 1/π (estimated), ``effective_n`` p(1 − p)/v as for stratified estimates.
    """

    p: float
    se: float
    low: float
    high: float
    method: str
    n: int
    population: float
    confidence: float
    effective_n: float


def ht_proportion(
    y: ArrayLike,
    inclusion: ArrayLike,
    population: int | None = None,
    confidence: float = 0.95,
    method: str = "hajek",
    interval: str = "wilson",
) -> WeightedEstimate:
    """Rate from a Poisson sample (each ticket drawn independently with probability π_i, e.g. a
    risk-weighted plan): outcomes ``y`` (0/1) and ``inclusion`` π_i of the audited tickets.
    "ht": Horvitz–Thompson Σ y/π over N (needs ``population``), Poisson-sampling variance;
    "hajek": Σ y/π over Σ 1/π, linearised variance (Horvitz & Thompson 1952; Hájek 1971;
    Särndal, Swensson & Wretman 1992 ch. 3 and 5).
    Interval "wilson" at the effective size (it covers better when targeting skews the weights)
    or "normal". Docs: docs/statistics.md#risk-weighted-samples-ht_proportion.
    """
    stats._check_confidence(confidence)
    if method not in ("ht", "hajek"):
        raise ValueError(f"method must be 'ht' or 'hajek', got {method!r}")
    if interval not in ("normal", "wilson"):
        raise ValueError(f"interval must be 'normal' or 'wilson', got {interval!r}")
    y = _scores(y, "y", binary=True)
    pi = np.asarray(inclusion, dtype=float)
    if pi.shape != y.shape:
        raise ValueError(f"inclusion has {pi.size} probabilities for {y.size} audited outcomes y")
    if not np.all(np.isfinite(pi) & (pi > 0) & (pi <= 1)):
        raise ValueError("inclusion probabilities must lie in (0, 1]")
    if not len(y):
        raise ValueError("no audited ticket: nothing to estimate")
    weight = 1 / pi
    estimated_n = float(weight.sum())
    if method == "ht":
        if population is None:
            raise ValueError("method='ht' needs the population size N")
        if isinstance(population, bool) or population < 1:
            raise ValueError(f"population must be a positive number, got {population!r}")
        size = float(population)
        p = float(weight @ y) / size
        residual = y
    else:
        size = estimated_n
        p = float(weight @ y) / size
        residual = y - p
    variance = float(np.sum((1 - pi) * (residual * weight) ** 2)) / size**2
    census = bool(np.all(pi == 1))
    effective_n, low, high = stats._interval_at_effective_size(
        min(1.0, p),
        variance,
        float(estimated_n**2 / np.sum(weight**2)),
        stats.z_value(confidence),
        interval,
        census=census,
    )
    return WeightedEstimate(
        p=p,
        se=math.sqrt(variance),
        low=low,
        high=high,
        method=method,
        n=len(y),
        population=size,
        confidence=confidence,
        effective_n=effective_n,
    )


def stratified_hajek(
    strata: Iterable[tuple[int, ArrayLike, ArrayLike]],
    confidence: float = 0.95,
    interval: str = "wilson",
) -> WeightedEstimate:
    """Rate over strata each drawn by Poisson sampling (a risk-weighted run): per stratum its
    population N_h, the audited outcomes ``y`` (0/1) and their inclusion probabilities π_i
    (times the stratum's response rate when some drawn audits are not done). Each audit weighs
    g_h/π_i, g_h = N_h / Σ_h 1/π_i, so a stratum's weights add up to its known N_h (Hájek
    within strata, combined with the N_h as a stratified estimate). Its linearised variance is
    Poisson sampling's within each stratum, Σ_h Σ (1 − π_i)(g_h/π_i)² (y_i − p̂_h)² / N², with
    p̂_h the stratum's own Hájek rate. The vendor scorecards' risk-weighted strata use the
    same weights; their domains' variance takes residuals from the domain's rate instead,
    which ignores g_h's own variation and is slightly conservative (``rollups.domain_sums``).
    Strata without audits are left out (their N_h too).
    Särndal, Swensson & Wretman (1992) §5.7, §7.6. Docs: docs/statistics.md (the run report).
    """
    stats._check_confidence(confidence)
    if interval not in ("normal", "wilson"):
        raise ValueError(f"interval must be 'normal' or 'wilson', got {interval!r}")
    ys, weights, pis, residuals, size = [], [], [], [], 0.0
    for big_n, y, inclusion in strata:
        y = _scores(y, "y", binary=True)
        pi = np.asarray(inclusion, dtype=float)
        if pi.shape != y.shape:
            raise ValueError(f"{pi.size} inclusion probabilities for {y.size} outcomes y")
        if not np.all(np.isfinite(pi) & (pi > 0) & (pi <= 1)):
            raise ValueError("inclusion probabilities must lie in (0, 1]")
        if not len(y):
            continue
        ys.append(y)
        pis.append(pi)
        weights.append(big_n / np.sum(1 / pi) / pi)
        residuals.append(y - float(np.sum(y / pi) / np.sum(1 / pi)))
        size += big_n
    if not ys:
        raise ValueError("no audited ticket: nothing to estimate")
    y, pi, weight = np.concatenate(ys), np.concatenate(pis), np.concatenate(weights)
    p = float(weight @ y) / size
    variance = float(np.sum((1 - pi) * (weight * np.concatenate(residuals)) ** 2)) / size**2
    effective_n, low, high = stats._interval_at_effective_size(
        min(1.0, p),
        variance,
        float(size**2 / np.sum(weight**2)),
        stats.z_value(confidence),
        interval,
        census=bool(np.all(pi == 1)),
    )
    return WeightedEstimate(
        p=p,
        se=math.sqrt(variance),
        low=low,
        high=high,
        method="hajek",
        n=len(y),
        population=size,
        confidence=confidence,
        effective_n=effective_n,
    )


def score_correlation(
    n: int, y_sum: float, score_sum: float, score2_sum: float, y_score_sum: float
) -> float | None:
    """Pearson's ρ between audits' outcomes y (0/1, a failure is 1) and the model's scores f on
    them, from the sums a grouped query returns: n, Σy, Σf, Σf², Σy·f (y² = y for 0/1). None
    when either varies not at all (every audit passed, or one score for all): ρ is undefined.
    """
    if n < 2:
        return None
    spread_y = n * y_sum - y_sum**2
    spread_f = n * score2_sum - score_sum**2
    if spread_y <= 0 or spread_f <= 1e-12 * n * n:
        return None
    rho = (n * y_score_sum - y_sum * score_sum) / math.sqrt(spread_y * spread_f)
    return max(-1.0, min(1.0, rho))


def assisted_sample_size(n: int, rho: float) -> int:
    """Audits an AI-assisted estimate needs for the margin ``n`` audits give alone, when the
    model's scores correlate ρ with the outcome: n·(1 − ρ²), rounded up. The difference
    estimator with the best λ has variance σ²(1 − ρ²)/n (Särndal, Swensson & Wretman 1992
    §6.4; prediction-powered inference, Angelopoulos et al. 2023, and its power-tuned PPI++)
    when the model scores the whole population; a planning figure, not a promise.
    Docs: docs/statistics.md#planning-with-a-models-scores.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"n must be a non-negative whole number of audits, got {n!r}")
    if not (isinstance(rho, numbers.Real) and -1 <= rho <= 1):
        raise ValueError(f"rho must be a correlation between -1 and 1, got {rho!r}")
    # The rounding guard keeps 100·(1 − 0.6²) = 64 from becoming 65 through 64.00000000000001.
    return min(int(n), math.ceil(round(n * (1 - rho * rho), 9)))
