"""Inter-rater agreement: Cohen's kappa, Fleiss' kappa, Krippendorff's alpha with its bootstrap
interval (Hayes & Krippendorff 2007), percent agreement, and McNemar's test of paired verdicts.

Private to sampling.stats, which re-exports these functions; import them from there. Used to
calibrate auditors against each other: the kappas through statsmodels, Krippendorff's alpha
by hand from the coincidence matrix (no well-kept library is a dependency of this project).
"""

from __future__ import annotations

import math
import numbers
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def _labels(values: Iterable[Hashable]) -> list:
    """Distinct values, sorted when they can be, else in order of first appearance."""
    distinct = list(dict.fromkeys(values))
    try:
        return sorted(distinct)
    except TypeError:
        return distinct


def cohen_kappa(rater_a: Sequence[Hashable], rater_b: Sequence[Hashable]) -> float:
    """Cohen's (1960) kappa, Educ Psychol Meas 20:37, for two raters' labels of the same items:
    (p_o - p_e) / (1 - p_e), via statsmodels.stats.inter_rater.cohens_kappa.

    When observed agreement is perfect the result is 1.0, including the case where both raters
    used one single category (there p_e = 1 and the formula is 0/0; agreement was nonetheless
    complete, which is what an auditor calibration report should show). Missing labels (None,
    NaN) are rejected: drop incomplete pairs first.
    """
    a, b = list(rater_a), list(rater_b)
    if len(a) != len(b):
        raise ValueError(f"rater_a has {len(a)} labels but rater_b has {len(b)}")
    if not a:
        raise ValueError("no ratings given")
    if any(_is_missing(v) for v in a + b):
        raise ValueError("missing labels (None/NaN): drop incomplete pairs first")
    if all(x == y for x, y in zip(a, b, strict=True)):
        return 1.0
    index = {v: i for i, v in enumerate(_labels(a + b))}
    table = np.zeros((len(index), len(index)))
    np.add.at(table, ([index[v] for v in a], [index[v] for v in b]), 1)
    from statsmodels.stats.inter_rater import cohens_kappa as statsmodels_kappa  # sampling.stats

    return float(statsmodels_kappa(table, return_results=False))


def fleiss_kappa(counts: ArrayLike) -> float:
    """Fleiss' (1971) kappa, Psychol Bull 76:378, from a subjects x categories matrix whose
    entry (i, j) is how many raters put subject i in category j; every subject needs the same
    number (>= 2) of raters. Via statsmodels.stats.inter_rater.fleiss_kappa. Perfect observed
    agreement returns 1.0 (also on a single category, where the formula is 0/0; see
    cohen_kappa).
    """
    table = np.asarray(counts, float)
    if table.ndim != 2 or 0 in table.shape:
        raise ValueError("counts must be a non-empty subjects x categories matrix")
    if not np.all(np.isfinite(table) & (table >= 0)):
        raise ValueError("counts must be non-negative")
    raters = table.sum(axis=1)
    if not np.all(raters == raters[0]) or raters[0] < 2:
        raise ValueError("every subject must be rated by the same number (>= 2) of raters")
    if np.all((table > 0).sum(axis=1) == 1):
        return 1.0
    from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss  # sampling.stats

    return float(statsmodels_fleiss(table, method="fleiss"))


def _delta_squared(level: str, values: NDArray, totals: NDArray) -> NDArray:
    """Krippendorff's difference functions δ²(c, k) between the observed values."""
    if level == "nominal":
        return 1.0 - np.eye(len(values))
    v = values.astype(float)
    if level == "interval":
        return (v[:, None] - v[None, :]) ** 2
    if level == "ratio":
        total = v[:, None] + v[None, :]
        diff = v[:, None] - v[None, :]
        return np.divide(diff, total, out=np.zeros_like(diff), where=total != 0) ** 2
    cumulative = np.cumsum(totals)  # ordinal: ranks by the values' marginal frequencies
    lo = np.minimum.outer(np.arange(len(v)), np.arange(len(v)))
    hi = np.maximum.outer(np.arange(len(v)), np.arange(len(v)))
    between = cumulative[hi] - cumulative[lo] + totals[lo]
    return (between - (totals[:, None] + totals[None, :]) / 2) ** 2


@dataclass(frozen=True)
class _Coincidences:
    """Krippendorff's coincidence matrix of the pairable values, with what alpha needs."""

    values: list
    matrix: NDArray  # o_ck
    totals: NDArray  # n_c
    delta2: NDArray  # δ²(c, k)
    raters: int  # rows of the reliability data (m)
    by_unit: NDArray  # pairable units x values: how many raters gave each value


def _coincidences(reliability_data: Sequence[Sequence[Any]], level: str) -> _Coincidences:
    if level not in ("nominal", "ordinal", "interval", "ratio"):
        raise ValueError(f"level must be nominal, ordinal, interval or ratio, got {level!r}")
    rows = [list(r) for r in reliability_data]
    if not rows or any(len(r) != len(rows[0]) for r in rows):
        raise ValueError("reliability_data must be raters x units with one entry per unit")
    units = [[v for v in column if not _is_missing(v)] for column in zip(*rows, strict=True)]
    units = [u for u in units if len(u) >= 2]
    if not units:
        raise ValueError("no unit was rated by two or more raters: alpha needs pairable values")
    values = _labels(v for u in units for v in u)
    if level != "nominal" and not all(isinstance(v, numbers.Real) for v in values):
        raise ValueError(f"level={level!r} needs numeric ratings")
    index = {v: i for i, v in enumerate(values)}
    by_unit = np.zeros((len(units), len(values)))
    for u, unit in enumerate(units):
        for v in unit:
            by_unit[u, index[v]] += 1
    scaled = by_unit / (by_unit.sum(axis=1, keepdims=True) - 1)
    coincidence = scaled.T @ by_unit - np.diag(scaled.sum(axis=0))
    totals = coincidence.sum(axis=1)
    delta2 = _delta_squared(level, np.array(values, dtype=object), totals)
    return _Coincidences(values, coincidence, totals, delta2, len(rows), by_unit)


def krippendorff_alpha(reliability_data: Sequence[Sequence[Any]], level: str = "nominal") -> float:
    """Krippendorff's alpha for raters x units data (None or NaN = not rated).

    Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability" (Annenberg School, U.
    Pennsylvania): units rated fewer than twice are not pairable and dropped; the coincidence
    matrix o_ck = Σ_u Σ pairs within u / (m_u - 1) gives n_c = Σ_k o_ck, n = Σ n_c and
    alpha = 1 - (n - 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck, with δ² nominal, ordinal, interval
    or ratio as in that paper. Non-nominal levels need numeric values. If every pairable value
    is the same, alpha is 0/0; we return 1.0 (observed agreement is perfect, as for kappa).
    """
    c = _coincidences(reliability_data, level)
    expected = c.totals @ c.delta2 @ c.totals
    if expected == 0:
        return 1.0
    return float(1 - (c.totals.sum() - 1) * np.sum(c.matrix * c.delta2) / expected)


# Hayes & Krippendorff (2007) draw at most 25 pairs per non-empty cell of the coincidence
# matrix (their KALPHA macro, version 3.0).
_PAIRS_PER_CELL = 25
BOOTSTRAP_METHODS = ("units", "pairs")


def krippendorff_alpha_ci(
    reliability_data: Sequence[Sequence[Any]],
    level: str = "nominal",
    confidence: float = 0.95,
    replicates: int = 2000,
    seed: int = 0,
    method: str = "units",
) -> tuple[float, float]:
    """Percentile bootstrap interval (low, high) for Krippendorff's alpha (raters x units,
    None or NaN = not rated); a fixed ``seed`` makes it reproducible.

    ``method="pairs"`` is Hayes & Krippendorff (2007) "Answering the call for a standard
    reliability measure for coding data", Commun Methods Meas 1:77, as their KALPHA macro
    computes it: D_e is held at its observed value and each replicate draws
    M = min(25 × non-empty cells, (m - 1) n / 2) pairs of values from the coincidence matrix
    (cell c, k with probability o_ck / n on the diagonal, 2 o_ck / n off it);
    alpha* = 1 - mean δ² / D_e, floored at -1. ``method="units"`` (the default) resamples
    the pairable units with replacement and recomputes alpha, D_e included. Both cover about
    95 % with two raters per unit; with three or more, the pairs of one unit are not
    independent and the pairs interval covers only about 80 % (tests/sampling), so the units
    interval is the default. No variation at all (alpha 0/0) gives (1.0, 1.0).
    Docs: docs/statistics.md#krippendorffs-alpha-and-its-bootstrap-interval.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    if replicates < 100:
        raise ValueError(f"replicates must be at least 100, got {replicates!r}")
    if method not in BOOTSTRAP_METHODS:
        raise ValueError(f"method must be one of {BOOTSTRAP_METHODS}, got {method!r}")
    c = _coincidences(reliability_data, level)
    if c.totals @ c.delta2 @ c.totals == 0:
        return 1.0, 1.0
    rng = np.random.default_rng(seed)
    alphas = (_pairs_replicates if method == "pairs" else _units_replicates)(
        c, level, replicates, rng)
    tail = (1 - confidence) / 2
    low, high = np.quantile(alphas, [tail, 1 - tail])
    return float(low), float(high)


def _pairs_replicates(c: _Coincidences, level: str, replicates: int, rng) -> NDArray:
    n = c.totals.sum()
    expected_disagreement = (c.totals @ c.delta2 @ c.totals) / (n * (n - 1))
    upper = np.triu_indices(len(c.values))
    pair_share = (np.where(np.eye(len(c.values), dtype=bool), 1.0, 2.0) * c.matrix / n)[upper]
    draws = int(min(_PAIRS_PER_CELL * np.count_nonzero(c.matrix > 1e-12),
                    (c.raters - 1) * n / 2))
    draws = max(draws, 1)
    counts = rng.multinomial(draws, pair_share / pair_share.sum(), size=replicates)
    mean_delta2 = counts @ c.delta2[upper].astype(float) / draws
    return np.maximum(1 - mean_delta2 / expected_disagreement, -1.0)


def _units_replicates(c: _Coincidences, level: str, replicates: int, rng) -> NDArray:
    units = len(c.by_unit)
    pairs = c.by_unit[:, :, None] * c.by_unit[:, None, :] - c.by_unit[:, :, None] * np.eye(
        len(c.values))
    per_unit = pairs / (c.by_unit.sum(axis=1) - 1)[:, None, None]  # each unit's o_ck
    weights = rng.multinomial(units, np.full(units, 1 / units), size=replicates)
    matrices = np.einsum("bu,uck->bck", weights, per_unit)
    totals = matrices.sum(axis=2)
    if level == "ordinal":  # ranks follow the replicate's own marginal frequencies
        delta2 = np.stack([_delta_squared(level, np.array(c.values, dtype=object), t)
                           for t in totals])
    else:
        delta2 = np.broadcast_to(c.delta2.astype(float), matrices.shape)
    observed = np.einsum("bck,bck->b", matrices, delta2)
    expected = np.einsum("bc,bck,bk->b", totals, delta2, totals)
    n = totals.sum(axis=1)
    safe = np.where(expected > 0, expected, 1.0)
    return np.where(expected > 0, 1 - (n - 1) * observed / safe, 1.0)


def percent_agreement(reliability_data: Sequence[Sequence[Any]]) -> float:
    """The share of agreeing pairs of ratings within a unit, averaged over the units rated at
    least twice (raters x units, None or NaN = not rated): Fleiss's (1971) P̄, which is the
    plain share of agreeing ratings when two raters rate every unit. Chance is not removed:
    read it beside kappa and alpha.
    """
    rows = [list(r) for r in reliability_data]
    if not rows or any(len(r) != len(rows[0]) for r in rows):
        raise ValueError("reliability_data must be raters x units with one entry per unit")
    shares = []
    for column in zip(*rows, strict=True):
        unit = [v for v in column if not _is_missing(v)]
        if len(unit) < 2:
            continue
        counts = Counter(unit).values()
        shares.append(sum(k * (k - 1) for k in counts) / (len(unit) * (len(unit) - 1)))
    if not shares:
        raise ValueError("no unit was rated by two or more raters")
    return float(np.mean(shares))


# Below this many discordant pairs McNemar's test is the exact binomial one: the chi-square
# approximation is poor for small b + c (Agresti 2002 §10.1.1 advises the binomial test
# then); 25 is the usual rule of thumb. Docs: docs/statistics.md#mcnemars-test.
MCNEMAR_EXACT_BELOW = 25


@dataclass(frozen=True)
class McNemar:
    """McNemar's test of two paired verdicts on the same items: ``b`` and ``c`` are the
    discordant counts (first rater yes, second no; and the reverse). ``statistic`` is the
    chi-square (None for the exact test), ``p_value`` two-sided."""

    b: int
    c: int
    statistic: float | None
    p_value: float
    exact: bool

    @property
    def discordant(self) -> int:
        return self.b + self.c

    @property
    def method(self) -> str:
        if self.exact:
            return "exact binomial"
        return "chi-square with continuity correction"


def mcnemar(b: int, c: int, *, exact: bool | None = None, correction: bool = True) -> McNemar:
    """McNemar's (1947) test that two paired proportions are equal, from the discordant counts
    ``b`` and ``c`` only (the concordant ones do not enter), via statsmodels.

    By default the exact two-sided binomial test (b of b + c at p = 1/2) when b + c is below
    MCNEMAR_EXACT_BELOW, else the chi-square (|b − c| − 1)² / (b + c) with Edwards' continuity
    correction; ``exact`` forces one, ``correction=False`` gives the plain (b − c)² / (b + c)
    (Agresti 2002 §10.1.1). No discordant pair: p = 1. Docs: docs/statistics.md#mcnemars-test.
    """
    for name, value in (("b", b), ("c", c)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"{name} must be a count (a whole number >= 0), got {value!r}")
    b, c = int(b), int(c)
    if exact is None:
        exact = b + c < MCNEMAR_EXACT_BELOW
    if b + c == 0:
        return McNemar(b, c, None if exact else 0.0, 1.0, exact)
    from statsmodels.stats.contingency_tables import mcnemar as statsmodels_mcnemar

    result = statsmodels_mcnemar([[0, b], [c, 0]], exact=exact, correction=correction)
    statistic = None if exact else float(result.statistic)
    return McNemar(b, c, statistic, min(1.0, float(result.pvalue)), exact)
