"""Inter-rater agreement: Cohen's kappa, Fleiss' kappa and Krippendorff's alpha.

Private to sampling.stats, which re-exports these functions; import them from there. Used to
calibrate auditors against each other: the kappas through statsmodels, Krippendorff's alpha
by hand from the coincidence matrix (no well-kept library is a dependency of this project).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from statsmodels.stats.inter_rater import cohens_kappa as _sm_cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as _sm_fleiss_kappa


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
    return float(_sm_cohens_kappa(table, return_results=False))


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
    return float(_sm_fleiss_kappa(table, method="fleiss"))


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


def krippendorff_alpha(reliability_data: Sequence[Sequence[Any]], level: str = "nominal") -> float:
    """Krippendorff's alpha for raters x units data (None or NaN = not rated).

    Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability" (Annenberg School, U.
    Pennsylvania): units rated fewer than twice are not pairable and dropped; the coincidence
    matrix o_ck = Σ_u Σ pairs within u / (m_u - 1) gives n_c = Σ_k o_ck, n = Σ n_c and
    alpha = 1 - (n - 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck, with δ² nominal, ordinal, interval
    or ratio as in that paper. Non-nominal levels need numeric values. If every pairable value
    is the same, alpha is 0/0; we return 1.0 (observed agreement is perfect, as for kappa).
    """
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
    expected = totals @ delta2 @ totals
    if expected == 0:
        return 1.0
    return float(1 - (totals.sum() - 1) * np.sum(coincidence * delta2) / expected)
