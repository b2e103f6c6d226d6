"""Sampling statistics behind the program's numbers: intervals, sample sizes, allocation, stratified
and domain estimates, comparisons, p-charts, AQL plans, agreement and McNemar's test of paired
verdicts, AI-assisted (prediction-powered) and Horvitz–Thompson estimates. Pure (counts in,
numbers out, no Django), so views, reports, tasks and notebooks share it; import everything from
here (the private ``_domains``, ``_aql``, ``_agreement`` and ``_assisted`` are re-exported).
Formulas and references: docs/statistics.md.
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._agreement import (
    McNemar,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    krippendorff_alpha_ci,
    mcnemar,
    percent_agreement,
)
from ._aql import aql_plan, code_letter

# statsmodels and scipy are imported inside the functions that call them: every process
# imports this module as Django starts (the apps' signal wiring reaches the allocation), most
# never compute an interval (a Celery worker importing tickets, `manage.py check`), and the
# two cost a second of CPU to import. The normal quantile comes from the standard library.

__all__ = [
    "CI_METHODS",
    "MIN_AUDITS_TO_TUNE",
    "AssistedEstimate",
    "CalibrationBin",
    "CalibrationInTheLarge",
    "Comparison",
    "Degradation",
    "DomainSums",
    "Estimate",
    "McNemar",
    "ScoreQuality",
    "StratumScores",
    "WeightedEstimate",
    "allocate",
    "aql_plan",
    "assisted_domain_proportions",
    "assisted_sample_size",
    "auc_delong",
    "audits_to_decide",
    "brier_score",
    "calibration_bins",
    "calibration_in_the_large",
    "code_letter",
    "cohen_kappa",
    "compare_estimates",
    "degradation_test",
    "difference_ci",
    "domain_proportion",
    "domain_proportions",
    "expected_calibration_error",
    "fleiss_kappa",
    "ht_proportion",
    "krippendorff_alpha",
    "krippendorff_alpha_ci",
    "margin_of_error",
    "mcnemar",
    "p_chart",
    "percent_agreement",
    "power_tuning_lambda",
    "ppi_proportion",
    "proportion_ci",
    "sample_size",
    "score_correlation",
    "stratified_hajek",
    "stratified_ppi",
    "stratified_proportion",
    "two_proportion_test",
    "z_value",
]

Bounds = tuple[Any, Any]

# Our method names -> statsmodels' names for proportion_confint.
_SM_CI_METHOD = {
    "wald": "normal",
    "wilson": "wilson",
    "agresti_coull": "agresti_coull",
    "clopper_pearson": "beta",
    "jeffreys": "jeffreys",
}
CI_METHODS = tuple(_SM_CI_METHOD)


# --- validation ---------------------------------------------------------------------------


def _check_confidence(confidence: float) -> None:
    if not isinstance(confidence, numbers.Real) or not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")


def _counts(successes: ArrayLike, n: ArrayLike, x_name: str = "successes", n_name: str = "n"):
    """Broadcast (successes, n) to float arrays, checking 0 <= successes <= n and n > 0."""
    x, size = np.broadcast_arrays(np.asarray(successes, float), np.asarray(n, float))
    if not np.all(np.isfinite(size) & (size > 0)):
        raise ValueError(f"{n_name} must be positive: a proportion needs at least one observation")
    if not np.all(np.isfinite(x) & (x >= 0) & (x <= size)):
        raise ValueError(f"{x_name} must lie between 0 and {n_name}")
    return x, size


def _nonneg_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not float(value).is_integer() or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def _scalar_or_array(array: NDArray, *inputs: ArrayLike, kind: type = float):
    return kind(array) if all(np.ndim(a) == 0 for a in inputs) else array


# --- intervals and sample sizes ---------------------------------------------------------------


def z_value(confidence: float = 0.95) -> float:
    """Two-sided standard-normal quantile z_{1-alpha/2} for a confidence level (1.959964 at 0.95).
    Cached: a dashboard asks for the same level thousands of times."""
    _check_confidence(confidence)
    return _two_sided_z(float(confidence))


@functools.lru_cache(maxsize=256)
def _two_sided_z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def proportion_ci(
    successes: ArrayLike, n: ArrayLike, confidence: float = 0.95, method: str = "wilson"
) -> Bounds:
    """Interval (low, high) for successes / n by statsmodels (Wilson 1927, Agresti & Coull 1998,
    Clopper & Pearson 1934, Brown, Cai & DasGupta 2001, Newcombe 1998a), clipped to [0, 1] and
    containing p̂. Arrays broadcast. Docs: docs/statistics.md#proportion-intervals.
    """
    _check_confidence(confidence)
    if method not in _SM_CI_METHOD:
        raise ValueError(f"method must be one of {CI_METHODS}, got {method!r}")
    from statsmodels.stats.proportion import proportion_confint

    x, size = _counts(successes, n)
    p_hat = x / size
    low, high = proportion_confint(x, size, alpha=1 - confidence, method=_SM_CI_METHOD[method])
    low = np.clip(np.asarray(low, float), 0.0, 1.0)
    high = np.clip(np.asarray(high, float), 0.0, 1.0)
    if method == "jeffreys":
        low, high = np.where(x == 0, 0.0, low), np.where(x == size, 1.0, high)
    low, high = np.minimum(low, p_hat), np.maximum(high, p_hat)
    return _scalar_or_array(low, successes, n), _scalar_or_array(high, successes, n)


def _population_array(population: ArrayLike) -> NDArray:
    size = np.asarray(population, float)
    if not np.all(np.isfinite(size) & (size >= 1) & (np.mod(size, 1) == 0)):
        raise ValueError("population must be a positive integer (or array of them)")
    return size


def sample_size(
    margin: ArrayLike,
    confidence: float = 0.95,
    p: ArrayLike = 0.5,
    population: ArrayLike | None = None,
) -> int | NDArray:
    """Smallest sample with a margin of error of at most ``margin`` (Cochran 1977 ch. 4, with the
    finite population correction when ``population`` is given). Arrays broadcast.
    Docs: docs/statistics.md#sample-size-and-margin-of-error.
    """
    z = z_value(confidence)
    e, prop = np.asarray(margin, float), np.asarray(p, float)
    if not np.all((e > 0) & (e < 1)):
        raise ValueError("margin must be strictly between 0 and 1 (a proportion, e.g. 0.05)")
    if not np.all((prop >= 0) & (prop <= 1)):
        raise ValueError("p must lie in [0, 1]")
    n = z**2 * prop * (1 - prop) / e**2
    if population is not None:
        size = _population_array(population)
        n = n / (1 + (n - 1) / size)
    n = np.maximum(np.ceil(n - 1e-9 * np.maximum(n, 1)), 1)  # tolerate float noise at integers
    if population is not None:
        n = np.minimum(n, size)
    return _scalar_or_array(
        n.astype(np.int64), margin, p, 0 if population is None else population, kind=int
    )


def margin_of_error(
    n: ArrayLike, confidence: float = 0.95, p: ArrayLike = 0.5, population: ArrayLike | None = None
) -> float | NDArray:
    """Half-width a simple random sample of n achieves, the inverse of ``sample_size`` (Cochran
    1977 ch. 4). Arrays broadcast.
    """
    z = z_value(confidence)
    size, prop = np.asarray(n, float), np.asarray(p, float)
    if not np.all(np.isfinite(size) & (size >= 1)):
        raise ValueError("n must be at least 1")
    if not np.all((prop >= 0) & (prop <= 1)):
        raise ValueError("p must lie in [0, 1]")
    e = z * np.sqrt(prop * (1 - prop) / size)
    if population is not None:
        total = _population_array(population)
        if np.any(size > total):
            raise ValueError("n cannot exceed population")
        with np.errstate(invalid="ignore", divide="ignore"):
            e = e * np.sqrt(np.where(total > 1, (total - size) / (total - 1), 0.0))
    return _scalar_or_array(e, n, p, 0 if population is None else population)


# --- allocation --------------------------------------------------------------------------------


def _water_fill(n: int, weights: NDArray, lo: NDArray, hi: NDArray) -> NDArray:
    """Real shares x = clip(lam * weights, lo, hi) summing to n (lo.sum() <= n < hi.sum())."""
    if weights.any():  # relative weights below 1e-12 would get no unit anyway: treat as zero
        weights = np.where(weights >= 1e-12 * weights.max(), weights / weights.max(), 0.0)
    active = weights > 0
    if active.any():
        lam_full = float(np.max(hi[active] / weights[active]))
        if np.clip(lam_full * weights, lo, hi).sum() >= n:
            a, b = 0.0, lam_full
            for _ in range(200):
                mid = (a + b) / 2
                a, b = (mid, b) if np.clip(mid * weights, lo, hi).sum() < n else (a, mid)
            return np.clip(b * weights, lo, hi)
    # Weighted strata are full (or there are none): spread the rest over the others by size.
    full = np.where(active, hi, lo).astype(float)
    return _water_fill(n, np.where(active, 0.0, hi).astype(float), full, hi)


def _largest_remainder(shares: NDArray, n: int, lo: NDArray, hi: NDArray) -> NDArray:
    counts = np.clip(np.floor(shares + 1e-9), lo, hi).astype(np.int64)
    order = np.argsort(-(shares - counts), kind="stable")
    while (short := n - int(counts.sum())) != 0:
        step, room = (1, counts < hi) if short > 0 else (-1, counts > lo)
        chosen = order[room[order]] if short > 0 else order[::-1][room[order[::-1]]]
        counts[chosen[: abs(short)]] += step
    return counts


def _per_stratum(values: Mapping | None, keys: list, name: str, method: str) -> NDArray:
    if values is None:
        raise ValueError(f"method={method!r} needs {name} (one value per stratum)")
    missing = [k for k in keys if k not in values]
    if missing:
        raise ValueError(f"{name} has no value for strata {missing!r}")
    array = np.array([float(values[k]) for k in keys])
    if not np.all(np.isfinite(array) & (array >= 0)):
        raise ValueError(f"{name} must be non-negative numbers")
    return array


def allocate(
    strata_sizes: Mapping[Hashable, int],
    n: int,
    method: str = "proportional",
    stddevs: Mapping[Hashable, float] | None = None,
    costs: Mapping[Hashable, float] | None = None,
    minimum: int = 0,
) -> dict[Hashable, int]:
    """Split n audits across strata {key: N_h} into integers {key: n_h}, proportional, Neyman,
    optimal or equal (Cochran 1977 ch. 5; Lohr 2010 §3.4), within [min(minimum, N_h), N_h].
    Rules (census, minimums, caps, rounding): docs/statistics.md#allocation-across-strata.
    """
    keys = list(strata_sizes)
    if not keys:
        raise ValueError("strata_sizes is empty: nothing to allocate")
    sizes = np.array([_nonneg_int(strata_sizes[k], f"strata_sizes[{k!r}]") for k in keys])
    n = _nonneg_int(n, "n")
    minimum = _nonneg_int(minimum, "minimum")
    if method == "proportional":
        weights = sizes.astype(float)
    elif method == "equal":
        weights = (sizes > 0).astype(float)
    elif method in ("neyman", "optimal"):
        weights = sizes * _per_stratum(stddevs, keys, "stddevs", method)
        if method == "optimal":
            cost = _per_stratum(costs, keys, "costs", method)
            if np.any(cost <= 0):
                raise ValueError("costs must be positive")
            weights = weights / np.sqrt(cost)
        if not weights.any():
            weights = sizes.astype(float)
    else:
        raise ValueError(f"method must be proportional, neyman, optimal or equal, not {method!r}")
    if n >= sizes.sum():
        return {k: int(s) for k, s in zip(keys, sizes, strict=True)}
    lower = np.minimum(minimum, sizes)
    if lower.sum() > n:
        raise ValueError(
            f"minimum={minimum} per stratum needs {int(lower.sum())} units, more than n={n}"
        )
    shares = _water_fill(n, weights, lower.astype(float), sizes.astype(float))
    counts = _largest_remainder(shares, n, lower, sizes)
    return {k: int(c) for k, c in zip(keys, counts, strict=True)}


# --- stratified estimate --------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A weighted proportion with its standard error, interval and effective size (Kish 1965);
    ``uncovered_strata`` are the keys with N_h > 0 but n_h = 0, left out of the estimate.
    """

    p: float
    se: float
    low: float
    high: float
    n: int
    margin: float
    confidence: float
    method: str
    population: int
    covered_population: int
    effective_n: float
    uncovered_strata: tuple = field(default=())


def _wilson(p: float, n: float, z: float) -> tuple[float, float]:
    """Wilson (1927) score interval for an observed proportion p with (effective) size n."""
    if math.isinf(n):
        return p, p
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))


def _interval_at_effective_size(
    p: float, variance: float, fallback_n: float, z: float, method: str, *, census: bool
) -> tuple[float, float, float]:
    """(effective_n, low, high) of a weighted estimate p with variance v: Wilson at n_eff (Korn &
    Graubard 1998) or p ± z·se. Docs: docs/statistics.md#effective-sample-size-and-wilson-at-n_eff.
    """
    if census:
        effective_n = math.inf
    elif variance > 0 and 0 < p < 1:
        effective_n = p * (1 - p) / variance
    else:
        effective_n = fallback_n
    if method == "normal":
        se = math.sqrt(variance)
        return effective_n, max(0.0, p - z * se), min(1.0, p + z * se)
    return effective_n, *_wilson(p, effective_n, z)


def stratified_proportion(
    strata: Mapping[Hashable, tuple[int, int, int]],
    confidence: float = 0.95,
    method: str = "normal",
) -> Estimate:
    """Stratified estimate of a proportion from {key: (N_h, n_h, successes_h)} (Cochran 1977 ch. 5;
    Lohr 2010 §3.2); strata with n_h = 0 are left out and listed. Interval "normal" or "wilson".
    Docs: docs/statistics.md#stratified-proportion.
    """
    _check_confidence(confidence)
    if method not in ("normal", "wilson"):
        raise ValueError(f"method must be 'normal' or 'wilson', got {method!r}")
    if not strata:
        raise ValueError("strata is empty: nothing to estimate")
    keys, triples = list(strata), list(strata.values())
    try:
        if set(map(len, triples)) != {3}:
            raise ValueError
        flat = np.fromiter(itertools.chain.from_iterable(triples), float, count=3 * len(keys))
    except (TypeError, ValueError) as exc:
        raise ValueError("each stratum must be a (N_h, n_h, successes_h) triple") from exc
    table = flat.reshape(len(keys), 3)
    sizes, sampled, hits = table.T
    if not np.all(np.isfinite(table) & (table >= 0)):
        raise ValueError("strata counts must be non-negative numbers")
    if np.any(sampled > sizes):
        raise ValueError("n_h cannot exceed N_h")
    if np.any(hits > sampled):
        raise ValueError("successes_h cannot exceed n_h")
    covered = sampled > 0
    if not covered.any():
        raise ValueError("no stratum was sampled (every n_h is 0): nothing to estimate")
    uncovered = tuple(keys[i] for i in np.flatnonzero(~covered & (sizes > 0)))
    big_n, n_h, x_h = sizes[covered], sampled[covered], hits[covered]
    covered_population = big_n.sum()
    weights = big_n / covered_population
    p_h = x_h / n_h
    s2_over_n = np.divide(p_h * (1 - p_h), n_h - 1, out=np.full_like(p_h, 0.25), where=n_h > 1)
    variance = float(np.sum(weights**2 * (1 - n_h / big_n) * s2_over_n))
    p = float(weights @ p_h)
    if not x_h.any() or np.array_equal(x_h, n_h):
        p = float(x_h.any())  # exactly 0 or 1: weights summing to 1 - 1e-16 must not decide
    se = math.sqrt(variance)
    effective_n, low, high = _interval_at_effective_size(
        p,
        variance,
        float(covered_population**2 / np.sum(big_n**2 / n_h)),
        z_value(confidence),
        method,
        census=bool(np.all(n_h == big_n)),
    )
    return Estimate(
        p=p,
        se=se,
        low=low,
        high=high,
        n=int(n_h.sum()),
        margin=(high - low) / 2,
        confidence=confidence,
        method=method,
        population=int(sizes.sum()),
        covered_population=int(covered_population),
        effective_n=effective_n,
        uncovered_strata=uncovered,
    )


# --- comparisons and control charts -----------------------------------------------------------


def two_proportion_test(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Pooled two-sample z-test of p1 = p2, two-sided: (z, p_value), z > 0 when p1 > p2 (Fleiss,
    Levin & Paik 2003 §2, via statsmodels); z = 0, p = 1 when the pooled p is 0 or 1.
    """
    _counts(x1, n1, "x1", "n1")
    _counts(x2, n2, "x2", "n2")
    pooled = (x1 + x2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return 0.0, 1.0
    from statsmodels.stats.proportion import proportions_ztest

    z, p_value = proportions_ztest(np.array([x1, x2]), np.array([n1, n2]))
    return float(z), float(p_value)


def difference_ci(
    x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95, method: str = "newcombe"
) -> tuple[float, float]:
    """Interval for p1 - p2 from two independent samples: "newcombe" (Newcombe 1998b, method 10)
    or "wald" (method 1), via statsmodels, clipped to [-1, 1].
    Docs: docs/statistics.md#comparing-two-rates.
    """
    _check_confidence(confidence)
    methods = {"newcombe": "newcomb", "wald": "wald"}
    if method not in methods:
        raise ValueError(f"method must be 'newcombe' or 'wald', got {method!r}")
    _counts(x1, n1, "x1", "n1")
    _counts(x2, n2, "x2", "n2")
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(
        x1, n1, x2, n2, method=methods[method], compare="diff", alpha=1 - confidence
    )
    diff = x1 / n1 - x2 / n2
    return min(diff, max(-1.0, float(low))), max(diff, min(1.0, float(high)))


def p_chart(
    defectives: ArrayLike, sizes: ArrayLike, sigmas: float = 3.0
) -> tuple[float, NDArray, NDArray]:
    """Fraction-nonconforming control chart with variable sample sizes: (center, lcl, ucl), limits
    per sample (Montgomery 2009 §7.2.2). Docs: docs/statistics.md#p-chart.
    """
    if np.ndim(defectives) != 1 or np.shape(defectives) != np.shape(sizes) or not len(sizes):
        raise ValueError("defectives and sizes must be non-empty sequences of the same length")
    d, n = _counts(defectives, sizes, "defectives", "sizes")
    center = float(d.sum() / n.sum())
    spread = sigmas * np.sqrt(center * (1 - center) / n)
    return center, np.maximum(0.0, center - spread), np.minimum(1.0, center + spread)


# Re-exported after the functions they build on, so every caller imports from sampling.stats.
from ._assisted import (  # noqa: E402
    MIN_AUDITS_TO_TUNE,
    AssistedEstimate,
    StratumScores,
    WeightedEstimate,
    assisted_sample_size,
    ht_proportion,
    ppi_proportion,
    score_correlation,
    stratified_hajek,
    stratified_ppi,
)
from ._domains import (  # noqa: E402
    Comparison,
    DomainSums,
    assisted_domain_proportions,
    audits_to_decide,
    compare_estimates,
    domain_proportion,
    domain_proportions,
)
from ._model_quality import (  # noqa: E402
    CalibrationBin,
    ScoreQuality,
    auc_delong,
    brier_score,
    calibration_bins,
)
from ._monitoring import (  # noqa: E402
    CalibrationInTheLarge,
    Degradation,
    calibration_in_the_large,
    degradation_test,
    expected_calibration_error,
    power_tuning_lambda,
)
