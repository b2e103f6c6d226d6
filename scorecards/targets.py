"""Contract targets and what an estimate says about them: the scorecard's verdict.

A verdict is only as strong as the interval allows (the interval at the page's confidence):
"meets target" when the whole interval is on the good side of the target, "below target"
when the whole interval is on the bad side (the difference is significant at that level),
and otherwise "inconclusive", with about how many more audits would decide it if the rate
stayed where it is (``sampling.stats.audits_to_decide``), or that no practical number would.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from rollups.periods import Period
from sampling import stats
from vendors.models import ContractTarget

MEETS, BELOW, INCONCLUSIVE = "meets", "below", "inconclusive"
# Beyond this many more audits a verdict is out of practical reach: say so, not "20,547,265".
TOO_CLOSE = 100_000


@dataclass(frozen=True)
class Verdict:
    kind: str  # MEETS, BELOW or INCONCLUSIVE
    text: str
    more_audits: int | None = None  # for INCONCLUSIVE: about how many more would decide


def verdict(estimate: stats.Estimate, target: float, direction: str) -> Verdict:
    """The verdict of ``estimate`` against a target that the rate must be ``direction``
    (ContractTarget.Direction: "at_least" or "at_most")."""
    if direction not in ContractTarget.Direction.values:
        raise ValueError(f"direction must be at_least or at_most, got {direction!r}")
    level = f"{estimate.confidence:.0%}"
    good_side = estimate.low >= target if direction == "at_least" else estimate.high <= target
    bad_side = estimate.high < target if direction == "at_least" else estimate.low > target
    if good_side:
        return Verdict(MEETS, "meets target")
    word = "below" if direction == "at_least" else "above"
    if bad_side:
        return Verdict(BELOW, f"{word} target (significant at {level})")
    more = stats.audits_to_decide(estimate, target)
    if more is None or more > TOO_CLOSE:
        return Verdict(INCONCLUSIVE, "inconclusive: the rate is too close to the target to "
                       "tell apart with any practical number of audits", more)
    return Verdict(INCONCLUSIVE, f"inconclusive: need about {more:,} more audits", more)


def targets_in_effect(period: Period, vendors=None) -> list[ContractTarget]:
    """Contract targets in effect at any time during ``period`` (of the given vendor ids, or
    all), newest first per vendor, workflow and metric: one target per key."""
    targets = ContractTarget.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=period.first),
        effective_from__lte=period.end,
    ).select_related("vendor", "workflow").order_by("vendor_id", "workflow_id", "metric",
                                                    "-effective_from")
    if vendors is not None:
        targets = targets.filter(vendor_id__in=vendors)
    chosen: dict[tuple, ContractTarget] = {}
    for target in targets:
        chosen.setdefault((target.vendor_id, target.workflow_id, target.metric), target)
    return list(chosen.values())
