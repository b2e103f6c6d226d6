"""What the scorecard page adds when it is one agent's: the counts behind the estimates, the
agent's audits (filtered by result and error category, for the page's period) and the agent's
coaching history with each action's follow-up measurement.

The counts are read from the same agent cells as the estimates (completed sampled audits of
tickets handled in the period's weeks), so "6 of 8 passed" always sits beside "n 8". The
audit list also holds the agent's ad-hoc audits (flagged: they count in no estimate), so a
manager coaching the agent sees everything QA found.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.db.models import IntegerField, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from audit_forms.models import ErrorCategory
from audits.models import SCORED_STATUSES, VENDOR_WORK
from audits.selectors import audits_visible_to
from coaching.actions import actions_visible_to
from coaching.effectiveness import Effectiveness, effectiveness
from coaching.models import CoachingAction
from rollups.estimates import POLICY_CATEGORY, Scope
from rollups.models import AuditCell
from vendors.models import Agent

AUDITS_PER_PAGE = 25
RESULTS = {"passed": True, "failed": False}


@dataclass(frozen=True)
class RawCounts:
    """The completed sampled audits behind an agent's estimates, as plain counts."""

    audits: int
    passed: int
    critical: int
    policy_errors: int

    def text(self, metric: str) -> str:
        """The counts beside a headline metric's estimate, in words."""
        if metric == "accuracy":
            return f"{self.passed} of {self.audits} passed"
        if metric == "critical_error_rate":
            return f"{self.critical} of {self.audits} with a critical error"
        if metric == "policy_accuracy":
            return f"{self.audits - self.policy_errors} of {self.audits} without a policy error"
        return ""


def raw_counts(scope: Scope) -> RawCounts:
    """The scope's audits, passes, critical fails and policy errors summed over its agent
    cells (one query)."""
    sums = AuditCell.objects.filter(scope.cells()).aggregate(
        audits=Coalesce(Sum("audited"), 0), passed=Coalesce(Sum("passed"), 0),
        critical=Coalesce(Sum("critical_failed"), 0),
        policy_errors=Coalesce(Sum(Cast(KeyTextTransform(POLICY_CATEGORY, "error_categories"),
                                        IntegerField())), 0),
    )
    return RawCounts(**sums)


class AgentAuditFilter(forms.Form):
    """The audit list's filters (the period is the page's)."""

    result = forms.ChoiceField(required=False, choices=[
        ("", "Passed and failed"), ("passed", "Passed"), ("failed", "Failed")])
    category = forms.ModelChoiceField(ErrorCategory.objects.order_by("name"),
                                      to_field_name="slug", required=False,
                                      empty_label="Any error category",
                                      label="Error category")

    def chosen(self) -> dict[str, str]:
        """The filters set, as query parameters (valid forms only)."""
        data = self.cleaned_data
        chosen = {"result": data["result"]}
        if data["category"] is not None:
            chosen["category"] = data["category"].slug
        return {name: value for name, value in chosen.items() if value}


def agent_audits(user, scope: Scope, result: str = "",
                 category: ErrorCategory | None = None) -> QuerySet:
    """The scored audits (sampled and ad hoc) in ``scope`` of tickets handled in its period's
    UTC weeks, newest handled first; ``result`` "passed" or "failed" and ``category`` (at
    least one error of it) narrow the list. Read through ``audits_visible_to``."""
    audits = audits_visible_to(user).filter(VENDOR_WORK, scope.audits(),
                                            status__in=SCORED_STATUSES)
    if result in RESULTS:
        audits = audits.filter(passed=RESULTS[result])
    if category is not None:
        audits = audits.annotate(category_errors=Cast(
            KeyTextTransform(category.slug, "error_categories"), IntegerField())
        ).filter(category_errors__gt=0)
    return audits.select_related("ticket__workflow").order_by("-ticket__handled_at", "-pk")


def category_names(audits) -> dict[int, list[str]]:
    """Audit id → the names of the error categories it found (one query)."""
    audits = list(audits)
    slugs = {slug for audit in audits for slug, n in audit.error_categories.items() if n}
    names = dict(ErrorCategory.objects.filter(slug__in=slugs).values_list("slug", "name"))
    return {audit.pk: sorted(names.get(slug, slug)
                             for slug, n in audit.error_categories.items() if n)
            for audit in audits}


def coaching_history(user, agent: Agent) -> list[tuple[CoachingAction, Effectiveness | None]]:
    """The agent's coaching actions, newest first, each with its before/after measurement
    once the coaching is done (None before then: nothing to measure yet)."""
    history = (actions_visible_to(user).filter(agent=agent)
               .select_related("category", "workflow", "owner", "vendor", "site", "agent")
               .order_by("-opened_at", "-pk"))
    return [(action, effectiveness(action) if action.completed_at else None)
            for action in history]
