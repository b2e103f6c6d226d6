"""The sample-size planner: how many audits a population needs, overall and per stratum.

A program manager states a confidence level, a margin of error and an expected error rate;
the planner answers with the sample a simple random sample would need (Cochran's n0, and n
with the finite population correction) and, for each allocation method, how the draw would
split the audits across the strata and the margin each stratum then achieves on its own.

The split is the draw's own (``sampling.allocation.allocate_strata``, built on
``sampling.stats``), so the number on the page is the number a plan with these settings draws.
``plan_sample`` is pure; ``population_by_stratum`` is the one database read: a single grouped
count over the tickets the user may see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from django.db.models import QuerySet

from accounts.scoping import visible_to

from . import stats
from .allocation import Design, allocate_strata
from .models import SamplingPlan
from .population import StratumCount, Window, filtered_tickets, stratum_counts

ALLOCATION_METHODS: tuple[str, ...] = ("proportional", "neyman", "optimal", "equal")
EACH_STRATUM = "each_stratum"
DESIGN_LABELS: dict[str, str] = {
    "proportional": "Proportional",
    "neyman": "Neyman",
    "optimal": "Optimal (with costs)",
    "equal": "Equal",
    EACH_STRATUM: "Each stratum to the margin",
}


def stratum_token(stratum: StratumCount) -> str:
    """A stratum's key as text, e.g. "vendor=3|workflow=12" ("all" for an unstratified
    population): stable across requests, so the page can match rows between updates."""
    return "|".join(f"{key}={value}" for key, value in stratum.values.items()) or "all"


@dataclass(frozen=True)
class StratumPlan:
    """One stratum under one design: its size and weight, its audits, the margin it achieves
    alone (None when it gets no audits, so nothing can be said about it) and its audit cost."""

    key: str
    label: str
    population: int
    weight: float
    sample: int
    margin: float | None
    cost: float


@dataclass(frozen=True)
class AllocationPlan:
    """The whole sample as one design would draw it, with the margin the stratified estimate
    achieves for the population as a whole (None when some stratum gets no audits)."""

    method: str
    label: str
    total: int
    overall_margin: float | None
    strata: list[StratumPlan]
    notes: list[str] = field(default_factory=list)

    @property
    def unsampled(self) -> int:
        return sum(1 for s in self.strata if s.population and not s.sample)


@dataclass(frozen=True)
class SamplePlan:
    """Everything the planner shows for one set of inputs."""

    confidence: float
    margin: float
    expected_rate: float
    z: float
    population: int
    n0: int
    n_fpc: int | None
    minimum: int = 0
    cap: int | None = None
    allocations: list[AllocationPlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def population_by_stratum(
    user,
    population_filter: Mapping,
    strata_keys: list[str],
    window: Window | None = None,
) -> list[StratumCount]:
    """N_h for each stratum of the tickets ``user`` may see that match the filter, counted in
    one grouped query (labels looked up in bulk) by the same code the draw uses."""
    tickets: QuerySet = filtered_tickets(**population_filter, window=window)
    return stratum_counts(visible_to(user, tickets), strata_keys)


def plan_sample(
    strata: list[StratumCount],
    *,
    confidence: float,
    margin: float,
    expected_rate: float,
    minimum: int = 0,
    cap: int | None = None,
    costs: Mapping[str, float] | None = None,
) -> SamplePlan:
    """Plan the sample for a population split into ``strata``.

    Headline (Cochran 1977 §4.4, via stats.sample_size): n0 = z² p(1-p)/e² and, for the finite
    population N = Σ N_h, n = n0 / (1 + (n0 - 1)/N), rounded up. Then, for each allocation
    method, the split the draw would make (stats.allocate under allocation.allocate_strata,
    which raises the total when a method's split of n misses ± e), and the "each stratum to
    ± e" design, where n_h = sample_size(e, conf, p, N_h). Per stratum, the margin it achieves
    alone is stats.margin_of_error(n_h, conf, p, population=N_h). ``costs`` are the plan's
    "<key>=<value>" audit costs (used by optimal allocation).
    Raises ValueError (with a message fit for the form) on impossible inputs.
    """
    population = sum(stratum.population for stratum in strata)
    plan = SamplePlan(
        confidence=confidence,
        margin=margin,
        expected_rate=expected_rate,
        z=stats.z_value(confidence),
        population=population,
        n0=stats.sample_size(margin, confidence, expected_rate),
        n_fpc=stats.sample_size(margin, confidence, expected_rate, population=population)
        if population
        else None,
        minimum=minimum,
        cap=cap,
    )
    if not population:
        plan.notes.append("No tickets match this filter, so there is nothing to allocate.")
        return plan
    if len(strata) > 1:
        plan.notes.append(
            "Until audits give each stratum its own error rate, every stratum is planned at the "
            "expected rate, so Neyman allocation equals proportional and optimal allocation "
            "differs only where audit costs differ."
        )
    designs = [(m, SamplingPlan.MarginScope.OVERALL) for m in ALLOCATION_METHODS]
    designs.append(("proportional", SamplingPlan.MarginScope.EACH_STRATUM))
    for method, scope in designs:
        design = Design(
            confidence=confidence,
            margin=margin,
            expected_rate=expected_rate,
            allocation=method,
            margin_applies_to=scope,
            minimum=minimum,
            cap=cap,
            costs=dict(costs or {}),
        )
        name = EACH_STRATUM if scope == SamplingPlan.MarginScope.EACH_STRATUM else method
        plan.allocations.append(_allocation(name, design, strata, population))
    return plan


def _allocation(
    name: str, design: Design, strata: list[StratumCount], population: int
) -> AllocationPlan:
    split = allocate_strata(design, strata)
    shares = [split.per_stratum[stratum.key] for stratum in strata]
    samples = np.array([share.allocated for share in shares])
    sizes = np.array([stratum.population for stratum in strata])
    sampled = samples > 0
    # One vectorised call for every stratum's own margin (thousands of agents stay instant).
    margins = np.full(len(strata), np.nan)
    if sampled.any():
        margins[sampled] = stats.margin_of_error(
            samples[sampled],
            design.confidence,
            np.array([share.expected_rate for share in shares])[sampled],
            population=sizes[sampled],
        )
    rows = [
        StratumPlan(
            key=stratum_token(stratum),
            label=stratum.label,
            population=stratum.population,
            weight=stratum.population / population,
            sample=share.allocated,
            margin=float(margin) if share.allocated else None,
            cost=share.cost,
        )
        for stratum, share, margin in zip(strata, shares, margins, strict=True)
    ]
    return AllocationPlan(
        method=name,
        label=DESIGN_LABELS[name],
        total=split.total,
        overall_margin=split.achieved_margin,
        strata=rows,
        notes=list(split.notes),
    )
