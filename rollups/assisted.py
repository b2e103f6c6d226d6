"""AI-assisted domain estimates read from the rollups: for each domain of a page, the power-tuned
difference estimate of accuracy and the critical error rate, beside the classical one, from the
cells' labelled sums (Σ ŷ^k, Σ y·ŷ^k over the audits, ŷ kept at draw) and the population's
scores kept at draw (``sampling.models.PopulationScoreCell``). Two grouped queries per call,
filtered by the page's scope like the classical estimates. Derivation:
docs/statistics.md#ai-assisted-domain-estimates.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field, replace

import numpy as np
from django.db.models import F, Sum

from sampling import stats
from sampling.ai_snapshot import ai_assisted_reason
from sampling.models import PopulationScoreCell, SampleStratum

from .domain_sums import DIMENSIONS, Scope
from .estimates import CONFIDENCE, MIN_AUDITS, cells_for

# The stratum's columns read with its cells: N_h, its design and what the draw kept.
STRATUM = {name: F(f"stratum__{name}")
           for name in ("population", "risk_weighted", "ai_scored", "ai_model")}
# The rates with an AI-assisted estimate → the cell columns of their attribute's audits.
ATTRIBUTES = {"accuracy": "passed", "critical_error_rate": "critical"}


@dataclass(frozen=True)
class AssistedRate:
    """A domain's AI-assisted estimate of one rate beside the classical one from the same
    audits: ``estimate`` (a ``stats.Estimate``, so verdicts read it like any other) and
    ``extra_audits``, n·(v_classical/v_assisted − 1): what the model's scores were worth."""

    estimate: stats.Estimate
    classical_se: float
    extra_audits: float


@dataclass(frozen=True)
class AssistedOutcome:
    """One domain's AI-assisted rates (empty when none), and why strata were left out:
    ``reasons`` maps a reason to the number of the domain's strata it kept out."""

    key: Hashable
    rates: dict[str, AssistedRate] = field(default_factory=dict)
    strata: int = 0
    assisted_strata: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def why_not(self) -> str:
        """Why the domain has no AI-assisted estimate, or which strata it leaves out."""
        parts = [f"{count} strat{'um' if count == 1 else 'a'}: {reason}"
                 for reason, count in sorted(self.reasons.items())]
        return "; ".join(parts)


def assisted_rate(outcome: AssistedOutcome | None, metric: str) -> AssistedRate | None:
    """``outcome``'s AI-assisted estimate of ``metric``, if the domain has one."""
    return outcome.rates.get(metric) if outcome else None


def assisted_outcomes(scope: Scope, by: str | None = None,
                      confidence: float = CONFIDENCE) -> dict[Hashable, AssistedOutcome]:
    """The scope's AI-assisted outcomes as one domain (key None) or per value of ``by``
    (a DIMENSIONS key). A domain with a risk-weighted stratum keeps its classical (Hájek)
    estimate only; strata without one model's scores on every ticket at draw are left at
    λ = 0 and counted in ``reasons``; a domain none of whose strata qualify has no rates."""
    group = [DIMENSIONS[by]] if by else []
    cells = (cells_for(scope, (by,) if by else ()).objects.filter(scope.cells()).order_by()
             .values(*group, "stratum_id")
             .annotate(m=Sum("audited"), passed_n=Sum("passed"),
                       critical_n=Sum("critical_failed"), scored=Sum("ai_scored"),
                       s1=Sum("ai_score_sum"), s2=Sum("ai_score2_sum"),
                       s3=Sum("ai_score3_sum"), s4=Sum("ai_score4_sum"),
                       **{f"{name}_{k}": Sum(f"{name}_ai_score{suffix}_sum")
                          for name in ATTRIBUTES.values()
                          for k, suffix in ((1, ""), (2, "2"), (3, "3"))},
                       n=F("stratum__audit_total__audited"), **STRATUM))
    rows = [row for row in cells if row["n"]]
    if not rows:
        return {}
    strata = {row["stratum_id"]: SampleStratum(**{name: row[name] for name in STRATUM})
              for row in rows}
    population = {
        (row[group[0]] if group else None, row["stratum_id"]): row["total"]
        for row in PopulationScoreCell.objects.filter(
            scope.cells(), stratum_id__in=list(strata)).order_by()
        .values(*group, "stratum_id").annotate(total=Sum("score_sum"))
    }
    by_domain: dict[Hashable, list[dict]] = defaultdict(list)
    for row in rows:
        by_domain[row[group[0]] if group else None].append(row)
    outcomes = {}
    for key, domain_rows in by_domain.items():
        reasons: Counter = Counter()
        usable = []
        for row in domain_rows:
            why = ai_assisted_reason(strata[row["stratum_id"]])
            if why is None and row["scored"] < row["m"]:
                why = "some audited tickets had no model score at draw"
            if why:
                reasons[why] += 1
            usable.append(why is None)
        outcome = AssistedOutcome(key, strata=len(domain_rows), assisted_strata=sum(usable),
                                  reasons=dict(reasons))
        risky = any(strata[row["stratum_id"]].risk_weighted for row in domain_rows)
        if any(usable) and not risky and sum(row["m"] for row in domain_rows) >= MIN_AUDITS:
            outcome = replace(outcome, rates=_rates(key, domain_rows, usable, population,
                                                    confidence))
        outcomes[key] = outcome
    return outcomes


def _rates(key, rows: list[dict], usable: list[bool], population: dict,
           confidence: float) -> dict[str, AssistedRate]:
    big_n = [row["population"] for row in rows]
    n = [row["n"] for row in rows]
    m = [row["m"] for row in rows]
    scores = np.array([[row[f"s{k}"] or 0.0 for row in rows] for k in range(1, 5)])
    totals = [population.get((key, row["stratum_id"]), 0.0) or 0.0 for row in rows]
    rates = {}
    for metric, name in ATTRIBUTES.items():
        hits = [row[f"{name}_n"] for row in rows]
        hit_scores = np.array([[row[f"{name}_{k}"] or 0.0 for row in rows] for k in (1, 2, 3)])
        (result,) = stats.assisted_domain_proportions(
            np.zeros(len(rows), dtype=np.intp), big_n, n, m, hits, scores, hit_scores,
            totals, assisted=usable, confidence=confidence, domains=1)
        estimate = _as_estimate(result)
        variance = result.se**2
        extra = (result.n * (result.classical_se**2 / variance - 1) if variance > 0
                 else math.inf)
        rates[metric] = AssistedRate(estimate, result.classical_se, max(0.0, extra))
    return rates


def _as_estimate(result: stats.AssistedEstimate) -> stats.Estimate:
    """The assisted estimate as a ``stats.Estimate`` (effective size p(1 − p)/v)."""
    p = min(1.0, max(0.0, result.p))
    variance = result.se**2
    effective = p * (1 - p) / variance if variance > 0 and 0 < p < 1 else float(result.n)
    return stats.Estimate(p=p, se=result.se, low=result.low, high=result.high, n=result.n,
                          margin=(result.high - result.low) / 2, confidence=result.confidence,
                          method="wilson", population=result.population or 0,
                          covered_population=result.population or 0, effective_n=effective)

