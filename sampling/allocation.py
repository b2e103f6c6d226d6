"""How many audits a run takes from each stratum, from the plan's precision target.

Pure apart from ``Design.from_plan`` and ``past_error_rates`` (one grouped query over past
audits): plain values in, dataclasses out, all arithmetic from ``sampling.stats`` (Cochran
1977, ch. 4–5).

Two readings of "margin of error" are supported (``margin_applies_to``):

* ``overall`` — the margin is for the whole population's stratified estimate. The total starts
  at the simple-random-sample size n = sample_size(e, conf, p, N) and is split by the plan's
  allocation method. Proportional and Neyman splits of that n meet the target; equal and
  cost-optimal splits, or a large minimum, can fall short, so the total is then raised (by
  bisection) until the stratified margin z·sqrt(Σ W_h² p_h q_h / n_h · (1 - n_h/N_h)) meets it.
* ``each_stratum`` — every stratum must support its own estimate to ± e:
  n_h = sample_size(e, conf, p_h, N_h). The allocation method does not apply.

A cap (``max_sample_size``) is a hard budget: the split is redone for the cap and the run
reports the margin it really achieves; minimums that alone exceed the cap are an error.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count, Q
from django.utils import timezone

from . import stats
from .models import STRATUM_FIELDS, SampledTicket, SampleRun, SamplingPlan
from .population import StratumCount

# A stratum with no errors in past audits still has uncertainty; planning with p_h = 0 would
# give it a zero standard deviation and so no audits under Neyman allocation.
RATE_FLOOR = 0.005
PAST_AUDITS_DAYS = 90  # how far back past audits inform the planning rates
PRIOR_AUDITS = 10  # weight, in audits, of the plan's expected rate in each stratum's rate


@dataclass(frozen=True)
class Design:
    """The plan's precision and allocation settings as plain values."""

    confidence: float
    margin: float
    expected_rate: float
    allocation: str = "proportional"
    margin_applies_to: str = "overall"
    minimum: int = 0
    cap: int | None = None
    costs: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_plan(cls, plan: SamplingPlan) -> Design:
        return cls(
            confidence=float(plan.confidence),
            margin=float(plan.margin_of_error),
            expected_rate=float(plan.expected_rate),
            allocation=plan.allocation,
            margin_applies_to=plan.margin_applies_to,
            minimum=plan.minimum_per_stratum,
            cap=plan.max_sample_size,
            costs=dict(plan.stratum_costs or {}),
        )

    def as_parameters(self) -> dict:
        return {
            "confidence": self.confidence,
            "margin_of_error": self.margin,
            "expected_rate": self.expected_rate,
            "allocation": self.allocation,
            "margin_applies_to": self.margin_applies_to,
            "minimum_per_stratum": self.minimum,
            "max_sample_size": self.cap,
            "stratum_costs": dict(self.costs),
        }


@dataclass(frozen=True)
class StratumAllocation:
    population: int
    allocated: int
    expected_rate: float
    stddev: float
    cost: float


@dataclass
class RunAllocation:
    """The split of one run: n_h per stratum key, and the margins it plans and achieves."""

    total: int
    per_stratum: dict[tuple, StratumAllocation]
    planned_margin: float
    achieved_margin: float | None
    notes: list[str] = field(default_factory=list)


def past_error_rates(
    plan: SamplingPlan, strata: list[StratumCount], *, as_of: dt.datetime | None = None
) -> dict[tuple, float]:
    """Planning error rate p_h per stratum key from the plan's recent audits.

    Audits count when they were scored (submitted or later) on tickets drawn by the plan's
    done runs whose window ended in the PAST_AUDITS_DAYS days up to ``as_of`` (a run passes
    its own window start; the planner page, now); an error is a failed audit
    (the rate the plan's ``expected_rate`` anticipates). Tickets are grouped by the plan's
    *current* strata keys, in one grouped query. Each rate is shrunk towards the plan's
    expected rate with a Beta prior worth PRIOR_AUDITS audits, (errors + m·p0) / (audits + m)
    (the usual empirical-Bayes smoothing; e.g. Gelman et al. 2013, *Bayesian Data Analysis*,
    §2.4), so a stratum with three clean audits is not planned as error-free. Strata with no
    past audits are absent: the caller uses the expected rate. Keys are StratumCount.key.
    The verdicts are the sampled tickets' own (``SampledTicket.passed``, kept by the audit
    lifecycle), so sampling reads no audit.
    """
    wanted = {stratum.key for stratum in strata}
    if not wanted:
        return {}
    keys = list(plan.strata_keys or [])
    as_of = as_of or timezone.now()
    audited = SampledTicket.objects.filter(
        run__plan=plan,
        run__status=SampleRun.Status.DONE,
        run__window_end__gt=as_of - dt.timedelta(days=PAST_AUDITS_DAYS),
        run__window_end__lte=as_of,
        passed__isnull=False,
    ).order_by()
    counts = {
        "audits": Count("pk"),
        "errors": Count("pk", filter=Q(passed=False)),
    }
    columns = [f"ticket__{STRATUM_FIELDS[key]}" for key in keys]
    if columns:
        rows = audited.values(*columns).annotate(**counts)
    else:
        rows = [audited.aggregate(**counts)]
    prior = float(plan.expected_rate)
    rates = {}
    for row in rows:
        key = tuple((name, row[column]) for name, column in zip(keys, columns, strict=True))
        if key in wanted and row["audits"]:
            rates[key] = (row["errors"] + PRIOR_AUDITS * prior) / (row["audits"] + PRIOR_AUDITS)
    return rates


def stratum_cost(costs: Mapping[str, float], values: Mapping[str, object]) -> float:
    """Relative audit cost of a stratum: the product of the plan's "<key>=<value>" entries
    that match it (1 when none), e.g. workflow=12 → 2.5 and language=ja → 1.5 gives 3.75."""
    cost = 1.0
    for key, value in values.items():
        cost *= float(costs.get(f"{key}={value}", 1.0))
    return cost


def stratified_margin(
    populations: np.ndarray, samples: np.ndarray, rates: np.ndarray, confidence: float
) -> float | None:
    """Half-width of the stratified proportion at the planned rates (Cochran 1977, 5.6 with
    the finite population correction); None when a stratum with tickets gets no audits."""
    total = populations.sum()
    if total == 0:
        return None
    present = populations > 0
    if np.any(samples[present] == 0):
        return None
    e_h = stats.margin_of_error(
        samples[present], confidence, rates[present], population=populations[present]
    )
    weights = populations[present] / total
    return float(math.sqrt(float(np.sum((weights * np.asarray(e_h)) ** 2))))


def allocate_strata(
    design: Design, strata: list[StratumCount], rates: Mapping[tuple, float] | None = None
) -> RunAllocation:
    """Allocate a run's audits across ``strata`` following ``design`` (see module docstring).

    Raises ValueError with a message fit for a failed run when the minimums cannot fit the cap.
    """
    rates = rates or {}
    keys = [stratum.key for stratum in strata]
    sizes = {stratum.key: stratum.population for stratum in strata}
    p = np.array(
        [min(max(rates.get(k, design.expected_rate), RATE_FLOOR), 1 - RATE_FLOOR) for k in keys]
    )
    stddev = np.sqrt(p * (1 - p))
    costs = {s.key: stratum_cost(design.costs, s.values) for s in strata}
    population = np.array([sizes[k] for k in keys], dtype=float)
    notes: list[str] = []
    total_population = int(population.sum())
    if total_population == 0:
        return RunAllocation(0, {}, design.margin, None, ["No tickets in the population."])

    floor = int(np.minimum(design.minimum, population).sum())
    if design.cap is not None and floor > design.cap:
        raise ValueError(
            f"The minimum of {design.minimum} audits per stratum needs {floor} audits over "
            f"{len(keys)} strata, more than the cap of {design.cap}. Lower the minimum, raise "
            "the cap or use fewer strata keys."
        )
    if design.margin_applies_to == SamplingPlan.MarginScope.EACH_STRATUM:
        split = _each_stratum(design, keys, population, p)
        if design.cap is not None and sum(split.values()) > design.cap:
            notes.append(
                f"Each stratum needs {sum(split.values())} audits in all; the cap of "
                f"{design.cap} scales them down in proportion."
            )
            split = stats.allocate(split, design.cap, "proportional", minimum=design.minimum)
    else:
        split = _overall(design, keys, sizes, population, p, stddev, costs, floor, notes)

    allocated = np.array([split[k] for k in keys], dtype=float)
    achieved = stratified_margin(population, allocated, p, design.confidence)
    if achieved is None:
        notes.append("Some strata get no audits, so the whole-population margin is undefined.")
    elif achieved > design.margin + 1e-12:
        notes.append(
            f"The sample achieves ±{achieved:.2%} at the expected rates, wider than the planned "
            f"±{design.margin:.2%}."
        )
    per_stratum = {
        key: StratumAllocation(
            population=sizes[key],
            allocated=int(split[key]),
            expected_rate=float(p[i]),
            stddev=float(stddev[i]),
            cost=costs[key],
        )
        for i, key in enumerate(keys)
    }
    return RunAllocation(
        total=int(allocated.sum()),
        per_stratum=per_stratum,
        planned_margin=design.margin,
        achieved_margin=achieved,
        notes=notes,
    )


def _each_stratum(design: Design, keys: list, population: np.ndarray, p: np.ndarray) -> dict:
    wanted = np.zeros(len(keys), dtype=np.int64)
    present = population > 0
    if present.any():
        wanted[present] = stats.sample_size(
            design.margin, design.confidence, p[present], population=population[present]
        )
    wanted = np.maximum(wanted, np.minimum(design.minimum, population).astype(np.int64))
    return {key: int(n) for key, n in zip(keys, wanted, strict=True)}


def _overall(design, keys, sizes, population, p, stddev, costs, floor, notes) -> dict:
    total_population = int(population.sum())
    stddevs = dict(zip(keys, stddev.tolist(), strict=True))

    def split_for(n: int) -> dict:
        return stats.allocate(
            sizes, n, design.allocation, stddevs=stddevs, costs=costs, minimum=design.minimum
        )

    def margin_for(split: dict) -> float:
        allocated = np.array([split[k] for k in keys], dtype=float)
        achieved = stratified_margin(population, allocated, p, design.confidence)
        return math.inf if achieved is None else achieved

    n = max(
        int(stats.sample_size(design.margin, design.confidence, design.expected_rate,
                              population=total_population)),
        floor,
    )
    split = split_for(n)
    if margin_for(split) > design.margin:
        # The method's split of the SRS size falls short of the target: find the smallest total
        # that meets it (margins shrink as n grows; a census has margin 0).
        low, high = n, total_population
        while low < high:
            middle = (low + high) // 2
            if margin_for(split_for(middle)) <= design.margin:
                high = middle
            else:
                low = middle + 1
        notes.append(
            f"{design.allocation.capitalize()} allocation of the simple-random-sample size {n} "
            f"misses ±{design.margin:.2%}; the sample is raised to {low}."
        )
        n, split = low, split_for(low)
    if design.cap is not None and n > design.cap:
        notes.append(f"The cap of {design.cap} audits limits the sample (the target needs {n}).")
        split = split_for(design.cap)
    return split
