"""Benchmark: sampling.stats on 10,000 strata, against the baselines measured in the same run.

Standalone (no Django): python bench/stats_vectorised.py

1. proportion_ci for each method on arrays of 10,000 (successes, n) vs statsmodels'
   proportion_confint on the same arrays (our wrapper adds validation, clipping and the
   contain-the-estimate rule, so a ratio a little above 1 is the expected cost).
2. stratified_proportion over a dict of 10,000 strata vs a naive pure-Python loop over the
   strata computing the same estimate and standard error.

Prints seconds (best of several repeats) and the ratio to the baseline. It asserts nothing
about timing; it only reports how far the results of the two sides differ. Ends with
``RATIO stratified_vs_loop=…`` (the stratified estimate against the loop); ``--json`` prints
one JSON object instead (docs/benchmarks.md, "Output").
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import _report
import numpy as np
from statsmodels.stats.proportion import proportion_confint

STRATA = 10_000
REPEATS = 5


def best_of(function: Callable[[], object], repeats: int = REPEATS) -> tuple[float, object]:
    """Fastest wall time over `repeats` calls, and the last result."""
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def naive_stratified(strata: dict) -> tuple[float, float]:
    """Cochran's stratified p and se, one stratum at a time in plain Python (the baseline)."""
    covered = sum(big_n for big_n, n, _ in strata.values() if n > 0)
    p = variance = 0.0
    for big_n, n, x in strata.values():
        if n == 0:
            continue
        w = big_n / covered
        p_h = x / n
        p += w * p_h
        s2_over_n = p_h * (1 - p_h) / (n - 1) if n > 1 else 0.25
        variance += w * w * (1 - n / big_n) * s2_over_n
    return p, math.sqrt(variance)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _report.add_json_flag(parser)
    args = parser.parse_args()
    with _report.human_text(args.json):
        results, ratios = _measure()
    _report.finish(results, ratios, headline="stratified_vs_loop", as_json=args.json)


def _measure() -> tuple[dict, dict]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sampling.stats import CI_METHODS, proportion_ci, stratified_proportion

    sm_name = {
        "wald": "normal",
        "wilson": "wilson",
        "agresti_coull": "agresti_coull",
        "clopper_pearson": "beta",
        "jeffreys": "jeffreys",
    }
    rng = np.random.default_rng(20240601)
    sizes = rng.integers(20, 5_000, STRATA)
    sampled = np.minimum(sizes, rng.integers(1, 250, STRATA))
    defects = rng.binomial(sampled, rng.uniform(0.0, 0.25, STRATA))

    print(f"{STRATA:,} strata, best of {REPEATS}; ratio = ours / baseline in this run\n")
    print(f"{'proportion_ci':<22}{'ours s':>10}{'statsmodels s':>15}{'ratio':>8}{'max |diff|':>12}")
    intervals, ratios = {}, {}
    for method in CI_METHODS:
        ours_s, (low, high) = best_of(lambda m=method: proportion_ci(defects, sampled, method=m))
        base_s, (b_low, b_high) = best_of(
            lambda m=method: proportion_confint(defects, sampled, method=sm_name[m])
        )
        # Differences come from our [0, 1] clipping, the contain-the-estimate rule and, for
        # Jeffreys, the boundary rule (low = 0 at x = 0, high = 1 at x = n) statsmodels omits.
        diff = max(np.max(np.abs(low - b_low)), np.max(np.abs(high - b_high)))
        print(f"  {method:<20}{ours_s:>10.4f}{base_s:>15.4f}{ours_s / base_s:>8.2f}{diff:>12.2e}")
        intervals[method] = {
            "ours_s": ours_s,
            "statsmodels_s": base_s,
            "max_abs_diff": float(diff),
        }
        ratios[f"proportion_ci_{method}_vs_statsmodels"] = ours_s / base_s

    strata = {
        f"queue-{i}": (int(N), int(n), int(x))
        for i, (N, n, x) in enumerate(zip(sizes, sampled, defects, strict=True))
    }
    ours_s, estimate = best_of(lambda: stratified_proportion(strata))
    base_s, (p, se) = best_of(lambda: naive_stratified(strata))
    header = f"{'stratified_proportion':<22}{'ours s':>10}{'loop s':>15}{'ratio':>8}"
    print(f"\n{header}{'|diff p|':>12}")
    print(f"  {'dict of strata':<20}{ours_s:>10.4f}{base_s:>15.4f}{ours_s / base_s:>8.2f}"
          f"{abs(estimate.p - p):>12.2e}")  # fmt: skip
    print(f"\n  p = {estimate.p:.5f}, se = {estimate.se:.6f} (loop: {p:.5f}, {se:.6f}), "
          f"95% CI [{estimate.low:.5f}, {estimate.high:.5f}]")  # fmt: skip
    ratios["stratified_vs_loop"] = ours_s / base_s
    results = {
        "bench": "stats_vectorised",
        "unit": "seconds, best of the repeats",
        "parameters": {"strata": STRATA, "repeats": REPEATS, "seed": 20240601},
        "baseline": {
            "what": "statsmodels' proportion_confint on the same arrays (statsmodels_s); "
            "a plain Python loop over the strata (loop_s)",
        },
        "proportion_ci": intervals,
        "stratified_proportion": {
            "ours_s": ours_s,
            "loop_s": base_s,
            "abs_diff_p": abs(estimate.p - p),
            "p": estimate.p,
            "se": estimate.se,
            "loop_p": p,
            "loop_se": se,
            "low": estimate.low,
            "high": estimate.high,
        },
    }
    return results, ratios


if __name__ == "__main__":
    main()
