"""Did the coaching work? The error rate on the coached theme before and after.

The theme is the action's error category (within its workflow, if it names one) and the
coached population is its agent, site or vendor. *Before* is the BEFORE_WEEKS whole weeks
before the week the action was opened; *after* is the whole weeks from the one after the
week of completion up to the current week (the coaching week itself is neither). Each rate
is a stratified domain estimate read through ``rollups.estimates.domain_outcomes`` (the
share of tickets with at least one error of the category; never a pooled rate of a
stratified sample), and the two are compared with ``sampling.stats.compare_estimates``
(pooled z-test and Newcombe interval on effective sizes, Korn & Graubard 1998).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from rollups.estimates import CONFIDENCE, Scope, domain_outcomes
from rollups.periods import Period, monday
from sampling import stats

from .models import DONE_STATUSES, CoachingAction, Level

BEFORE_WEEKS = 8

IMPROVED = "improved (significant)"
WORSE = "worse (significant)"
NO_CHANGE = "no significant change"
TOO_FEW_AFTER = "too few audits after"
TOO_FEW_BEFORE = "too few audits before"
NOT_DONE = "not completed yet"


@dataclass(frozen=True)
class Window:
    """One side of the comparison: its weeks, audits and the theme's error rate (None when
    there are too few audits, or no whole week yet)."""

    period: Period | None
    audits: int
    rate: stats.Estimate | None


@dataclass(frozen=True)
class Effectiveness:
    """Before vs after; ``comparison.difference`` is after − before (negative: fewer errors)."""

    before: Window
    after: Window
    comparison: stats.Comparison | None
    verdict: str

    @property
    def significant(self) -> bool:
        return self.comparison is not None and self.comparison.significant


def before_period(action: CoachingAction, weeks: int = BEFORE_WEEKS) -> Period:
    """The ``weeks`` whole weeks before the week the action was opened."""
    last = monday(timezone.localtime(action.opened_at, dt.UTC).date()) - dt.timedelta(weeks=1)
    return Period("custom", last - dt.timedelta(weeks=weeks - 1), last)


def after_period(action: CoachingAction, today: dt.date | None = None) -> Period | None:
    """The whole weeks after the week of completion, up to this week; None before then."""
    if action.completed_at is None:
        return None
    first = monday(timezone.localtime(action.completed_at, dt.UTC).date()) + dt.timedelta(
        weeks=1)
    last = monday(today or timezone.now().astimezone(dt.UTC).date())
    return Period("custom", first, last) if first <= last else None


def theme_scope(action: CoachingAction, period: Period) -> Scope:
    """The cells of the coached agent, site or vendor in ``period`` (and its workflow)."""
    return Scope(
        period, vendor=action.vendor_id,
        site=action.site_id if action.level in (Level.SITE, Level.AGENT) else None,
        agent=action.agent_id if action.level == Level.AGENT else None,
        workflow=action.workflow_id,
    )


def theme_rate(action: CoachingAction, period: Period | None,
               confidence: float = CONFIDENCE) -> Window:
    """The share of the coached population's tickets with an error of the action's category
    over ``period``: a stratified domain estimate (None below MIN_AUDITS)."""
    if period is None:
        return Window(None, 0, None)
    outcome = domain_outcomes(theme_scope(action, period), categories=True,
                              confidence=confidence).get(None)
    if outcome is None:
        return Window(period, 0, None)
    return Window(period, outcome.audits, outcome.categories.get(action.category.slug))


def effectiveness(action: CoachingAction, today: dt.date | None = None,
                  confidence: float = CONFIDENCE) -> Effectiveness:
    """The theme's error rate before the action and after its completion, compared."""
    before = theme_rate(action, before_period(action), confidence)
    if action.status not in DONE_STATUSES:
        return Effectiveness(before, Window(None, 0, None), None, NOT_DONE)
    after = theme_rate(action, after_period(action, today), confidence)
    if after.rate is None:
        return Effectiveness(before, after, None, TOO_FEW_AFTER)
    if before.rate is None:
        return Effectiveness(before, after, None, TOO_FEW_BEFORE)
    comparison = stats.compare_estimates(after.rate, before.rate, confidence)
    if not comparison.significant:
        verdict = NO_CHANGE
    else:
        verdict = IMPROVED if comparison.difference < 0 else WORSE
    return Effectiveness(before, after, comparison, verdict)


def coaching_report(actions, today: dt.date | None = None) -> list[tuple[CoachingAction,
                                                                          Effectiveness]]:
    """Every completed or verified action of ``actions`` with its effectiveness."""
    done = actions.filter(status__in=DONE_STATUSES).select_related(
        "vendor", "site", "agent", "category", "workflow").order_by("-completed_at", "pk")
    return [(action, effectiveness(action, today)) for action in done]
