"""Benchmark: how much narrower the AI-assisted intervals are than the classical ones.

Standalone (no Django): python bench/assisted_width.py [--tickets 1000000] [--json]
On a seeded demo database as well: python bench/assisted_width.py --demo-db demo.sqlite3

1. A synthetic population of ``--tickets`` tickets (default 1,000,000) in 100 strata, each
   ticket with a true risk of failing QA and a model score (the risk seen through noise: an
   AUC near 0.8), agents cutting across the strata. One stratified sample of 40 audits a
   stratum; every agent, and the whole population, is estimated twice from the same audits:
   classically (``domain_proportions``, the baseline) and AI-assisted
   (``assisted_domain_proportions`` with the population's score totals). Also the time of
   the estimator over all agents at once.
2. With ``--demo-db``, the same ratio on the scorecards of a seeded demo (``make demo``'s
   database): each vendor's accuracy over the demo's latest four weeks, read by the pages'
   own functions (``rollups.assisted.assisted_outcomes``).

The headline ``RATIO assisted_vs_classical_width=…`` is the AI-assisted interval's width over
the classical one for the whole synthetic population (below 1: the model's scores narrowed
it). The agents' ratio is reported too: an agent has under one audit a stratum here, so its
strata get no slope (fewer than MIN_AUDITS_TO_TUNE audits) and its ratio is about 1. A control
with one constant score for every ticket shows what an agent's gain owes to its known ticket
counts per stratum rather than to the model (docs/statistics.md). Statistics are checked in
tests, not here: this only reports widths. docs/benchmarks.md has figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import _report
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sampling.stats import assisted_domain_proportions, domain_proportions  # noqa: E402

STRATA, AUDITS, AGENTS, SEED = 100, 40, 100, 20261207


def synthetic_population(tickets: int, rng: np.random.Generator):
    """Strata, agents, outcomes (1 = failed) and model scores of ``tickets`` tickets."""
    stratum = rng.integers(0, STRATA, tickets)
    agent = rng.integers(0, AGENTS, tickets)
    base = rng.uniform(0.02, 0.25, STRATA)[stratum] * rng.lognormal(0, 0.4, AGENTS)[agent]
    risk = np.clip(base * rng.lognormal(0, 1.0, tickets), 0.001, 0.95)
    failed = (rng.random(tickets) < risk).astype(float)
    score = np.clip(risk * rng.lognormal(0, 0.5, tickets), 0, 1)
    return stratum, agent, failed, score


def estimate_both(stratum, domain, failed, score, drawn, domains):
    """Classical and AI-assisted estimates of each domain, from (domain, stratum) sums of the
    drawn audits and of the whole population's scores."""
    big_n = np.bincount(stratum, minlength=STRATA)
    n = np.bincount(stratum[drawn], minlength=STRATA)
    key = domain * STRATA + stratum
    cells = domains * STRATA

    def summed(values, which):
        return np.bincount(key[which], weights=values, minlength=cells)

    ones = np.ones(len(drawn))
    f, y = score[drawn], failed[drawn]
    m = summed(ones, drawn)
    rows = m > 0
    row_domain, row_stratum = np.divmod(np.arange(cells)[rows], STRATA)
    counts = (row_domain, big_n[row_stratum], n[row_stratum], m[rows], summed(y, drawn)[rows])
    scores = np.array([summed(f**k, drawn)[rows] for k in range(1, 5)])
    hits = np.array([summed(y * f**k, drawn)[rows] for k in range(1, 4)])
    population = np.bincount(key, weights=score, minlength=cells)[rows]
    start = time.perf_counter()
    assisted = assisted_domain_proportions(*counts, scores, hits, population, domains=domains)
    seconds = time.perf_counter() - start
    classical = domain_proportions(*counts, domains=domains)
    return classical, assisted, seconds


def mean_width(estimates) -> float:
    return float(np.mean([e.high - e.low for e in estimates]))


def synthetic(tickets: int) -> dict:
    rng = np.random.default_rng(SEED)
    stratum, agent, failed, score = synthetic_population(tickets, rng)
    order = np.argsort(stratum, kind="stable")
    starts = np.searchsorted(stratum[order], np.arange(STRATA))
    ends = np.append(starts[1:], tickets)
    drawn = np.concatenate([
        rng.choice(order[a:b], min(AUDITS, b - a), replace=False)
        for a, b in zip(starts, ends, strict=True)
    ])
    agents_c, agents_a, seconds = estimate_both(stratum, agent, failed, score, drawn, AGENTS)
    whole_c, whole_a, _ = estimate_both(stratum, np.zeros_like(agent), failed, score, drawn, 1)
    # The same with a model that knows nothing (one score for every ticket): what remains is
    # the part of the agents' gain that comes from their known ticket counts per stratum
    # (b = 1_d·ŷ carries the domain indicator; docs/statistics.md), not from the model.
    constant = np.full_like(score, score.mean())
    _, agents_k, _ = estimate_both(stratum, agent, failed, constant, drawn, AGENTS)
    correlation = np.corrcoef(failed, score)[0, 1]
    return {
        "tickets": tickets, "strata": STRATA, "audits": int(len(drawn)), "agents": AGENTS,
        "score_outcome_correlation": round(float(correlation), 3),
        "agents_width_classical": mean_width(agents_c),
        "agents_width_assisted": mean_width(agents_a),
        "agents_width_constant_score": mean_width(agents_k),
        "whole_width_classical": mean_width(whole_c),
        "whole_width_assisted": mean_width(whole_a),
        "agents_extra_audits_median": float(np.median(
            [e.n * (e.classical_se**2 / e.se**2 - 1) for e in agents_a if e.se > 0])),
        "estimator_seconds_all_agents": seconds,
    }


def demo(database: str) -> dict:
    """Each vendor's accuracy over the demo's latest four weeks: the two intervals' widths."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qa_program.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    os.environ["DATABASE_URL"] = database if "://" in database else f"sqlite:///{database}"
    import django

    django.setup()
    import datetime as dt

    from rollups.assisted import assisted_outcomes
    from rollups.domain_sums import Scope
    from rollups.estimates import domain_outcomes
    from rollups.models import AuditCell
    from rollups.periods import Period

    latest = AuditCell.objects.order_by("-week").values_list("week", flat=True).first()
    if latest is None:
        raise SystemExit(f"{database}: no audits in the rollups; seed the demo first")
    period = Period("weeks", latest - dt.timedelta(weeks=3), latest)
    classical = domain_outcomes(Scope(period), by="vendor")
    widths = {}
    for vendor, outcome in assisted_outcomes(Scope(period), by="vendor").items():
        rate = outcome.rates.get("accuracy")
        if rate is not None and classical[vendor].accuracy is not None:
            page = classical[vendor].accuracy
            widths[vendor] = (page.high - page.low, rate.estimate.high - rate.estimate.low)
    if not widths:
        raise SystemExit(f"{database}: no vendor has an AI-assisted estimate in {period}")
    return {
        "demo_period": f"{period.first}–{period.last}",
        "demo_vendors": len(widths),
        "demo_width_classical": float(np.mean([c for c, _ in widths.values()])),
        "demo_width_assisted": float(np.mean([a for _, a in widths.values()])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--demo-db", help="a seeded demo's database (path or URL)")
    _report.add_json_flag(parser)
    args = parser.parse_args()
    with _report.human_text(args.json):
        results = synthetic(args.tickets)
        ratios = {
            "assisted_vs_classical_width": results["whole_width_assisted"]
            / results["whole_width_classical"],
            "agents_assisted_vs_classical_width": results["agents_width_assisted"]
            / results["agents_width_classical"],
            "agents_constant_score_vs_classical_width": results["agents_width_constant_score"]
            / results["agents_width_classical"],
        }
        print(f"{args.tickets:,} tickets, {STRATA} strata, {results['audits']:,} audits, "
              f"{AGENTS} agents; corr(score, failed) = {results['score_outcome_correlation']}")
        print(f"agents: mean width classical {results['agents_width_classical']:.4f}, "
              f"AI-assisted {results['agents_width_assisted']:.4f} "
              f"(median worth {results['agents_extra_audits_median']:.1f} extra audits; "
              f"estimator {results['estimator_seconds_all_agents']:.3f} s for all agents)")
        constant = results["agents_width_constant_score"]
        print(f"agents with a constant score (no model): {constant:.4f}"
              " (the part owed to the agents' known ticket counts)")
        print(f"whole population: classical {results['whole_width_classical']:.4f}, "
              f"AI-assisted {results['whole_width_assisted']:.4f}")
        if args.demo_db:
            results.update(demo(args.demo_db))
            ratios["demo_assisted_vs_classical_width"] = (
                results["demo_width_assisted"] / results["demo_width_classical"])
            print(f"demo ({results['demo_vendors']} vendors, {results['demo_period']}): "
                  f"classical {results['demo_width_classical']:.4f}, "
                  f"AI-assisted {results['demo_width_assisted']:.4f}")
    _report.finish(results, ratios, headline="assisted_vs_classical_width", as_json=args.json)


if __name__ == "__main__":
    main()
