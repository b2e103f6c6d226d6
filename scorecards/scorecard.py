"""The vendor scorecard: where a vendor (or one of its sites, workflows or agents) stands
against its contract over a period, and the next level down to drill into.

Every number is a domain estimate from ``rollups.estimates`` (stratified and weighted,
never pooled audits), and every verdict comes from ``scorecards.targets.verdict``, so the
page only says "below target" when the interval says so. The page's query names the scope;
drilling goes vendor → site → workflow → agent, one level at a time, and each level shows
the next level's children with their own audits and intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.db.models import Model

from accounts.formats import points
from accounts.scoping import visible_to
from audits.models import Audit
from rollups.assisted import AssistedOutcome, AssistedRate, assisted_outcomes, assisted_rate
from rollups.estimates import DomainOutcome, Scope, audit_domain_outcomes, domain_outcomes
from sampling import stats
from vendors.models import Agent, ContractTarget, Site, Workflow

from .page_cache import cached_page, query_parts, targets_parts
from .query import PageQuery
from .tables import Table, interval_columns, rate
from .targets import Verdict, targets_in_effect, verdict
from .trends import verdict as trend_words

# Drill-down order below the vendor; the first one the query does not fix is broken down.
LEVELS = ("site", "workflow", "agent")
LEVEL_MODELS = {"site": Site, "workflow": Workflow, "agent": Agent}
HEADLINES = (
    ("accuracy", "Accuracy"),
    ("critical_error_rate", "Critical error rate"),
    ("policy_accuracy", "Policy accuracy"),
)
METRIC_LABELS = dict(HEADLINES)


@dataclass(frozen=True)
class Headline:
    """One headline metric of the page's domain (estimate None: too few audits)."""

    metric: str
    label: str
    estimate: stats.Estimate | None
    audits: int
    counted: str = ""  # the counts behind it in words, on an agent's page ("6 of 8 passed")
    # The AI-assisted estimate beside the classical one (accuracy and critical error rate),
    # or why there is none ("" when the metric has none at all, like policy accuracy).
    assisted: AssistedRate | None = None
    assisted_note: str = ""


@dataclass(frozen=True)
class TargetRow:
    """A contract target in effect, read on the domain it speaks about: the page's domain, or
    the page's domain within the target's workflow."""

    target: ContractTarget
    label: str
    workflow_label: str
    estimate: stats.Estimate | None
    audits: int
    verdict: Verdict | None
    basis: str = "classical"  # the estimate the verdict used: "AI-assisted" or "classical"

    @property
    def value(self) -> float:
        return float(self.target.target)

    @property
    def text(self) -> str:
        return self.verdict.text if self.verdict else too_few(self.audits)


@dataclass(frozen=True)
class Child:
    """One row of the breakdown: a site, workflow or agent of the page's domain."""

    name: str
    query: str
    outcome: DomainOutcome
    verdict: Verdict | None
    # The row's AI-assisted rates by metric (none where its audits carry no model scores),
    # and which estimate the verdict read (``chosen_estimate``).
    assisted: dict[str, AssistedRate] = field(default_factory=dict)
    basis: str = "classical"

    @property
    def note(self) -> str:
        if not self.outcome.enough:
            return too_few(self.outcome.audits)
        if self.verdict and self.basis == "AI-assisted":
            return f"{self.verdict.text} (on the AI-assisted estimate)"
        return self.verdict.text if self.verdict else ""


@dataclass(frozen=True)
class Crumb:
    """One step of the breadcrumbs; links keep the period and confidence."""

    label: str
    query: str | None  # None: the current level, not a link


@dataclass(frozen=True)
class Decisions:
    """The scope's manual against its automated decisions: each kind's outcome (None without
    audits of it) and, when both have rates, automated − manual accuracy."""

    manual: DomainOutcome | None
    automated: DomainOutcome | None
    comparison: stats.Comparison | None

    @property
    def rows(self) -> list[tuple[str, DomainOutcome]]:
        return [(label, outcome) for label, outcome in (
            ("Manual decisions", self.manual), ("Automated decisions", self.automated))
            if outcome is not None]

    @property
    def sentence(self) -> str:
        c = self.comparison
        if c is None:
            return ""
        return (f"Automated against manual decisions: accuracy {points(c.difference)} "
                f"({points(c.low)} to {points(c.high)}), "
                f"{trend_words(c, unchanged='no significant difference')}.")


@dataclass
class Scorecard:
    """What the scorecard page shows, and the tables its downloads carry."""

    query: PageQuery
    audits: int
    headlines: list[Headline]
    targets: list[TargetRow]
    level: str | None  # the level broken down, None at agent level
    children: list[Child] = field(default_factory=list)
    breadcrumbs: list[Crumb] = field(default_factory=list)
    # None unless the scope has automated decisions; read live by vendor_scorecard, never cached.
    decisions: Decisions | None = None

    @property
    def tables(self) -> list[Table]:
        return [metrics_table(self), breakdown_table(self), decisions_table(self)]

    @property
    def estimated_children(self) -> list[Child]:
        """The breakdown's rows with enough audits for a rate."""
        return [child for child in self.children if child.outcome.enough]

    @property
    def thin_children(self) -> list[Child]:
        """The rows with too few audits: the page folds them into one line (the downloads
        keep a row each)."""
        return [child for child in self.children if not child.outcome.enough]


def too_few(audits: int) -> str:
    return f"too few audits (n {audits})"


def vendor_scorecard(page_query: PageQuery, viewer=None) -> Scorecard:
    """The scorecard of the page's scope and period: headline metrics, a row per contract
    target in effect, and the next drill-down level's children. A bounded number of queries
    whatever the number of children (each ``domain_outcomes`` call is two or three); served
    from ``scorecards.page_cache`` while the rollups and the targets are unchanged (``viewer``,
    the user asking, keys a vendor user's entry to their vendor)."""
    targets = [t for t in targets_in_effect(page_query.period, vendors=[page_query.vendor.pk])
               if page_query.workflow is None or t.workflow_id in (None, page_query.workflow.pk)]
    parts = (*query_parts(page_query, viewer), ("targets", targets_parts(targets)))
    card = cached_page("scorecard", parts, lambda: _scorecard(page_query, targets))
    if not card.audits:
        return card
    # Read live, not cached: a ticket's ``automated`` can change (a push, an import) without
    # the rollups' version.
    return replace(card, decisions=_decisions(page_query.scope, page_query.confidence, viewer))


def _scorecard(page_query: PageQuery, targets: list[ContractTarget]) -> Scorecard:
    scope, confidence = page_query.scope, page_query.confidence
    whole = domain_outcomes(scope, categories=True, confidence=confidence).get(None)
    audits = whole.audits if whole else 0
    assisted = assisted_outcomes(scope, confidence=confidence).get(None) if whole else None
    headlines = [_headline(metric, label, whole, assisted) for metric, label in HEADLINES]
    target_rows = _target_rows(page_query, targets, whole, assisted)
    level = next_level(page_query)
    children = _children(page_query, level, targets) if level else []
    return Scorecard(query=page_query, audits=audits, headlines=headlines, targets=target_rows,
                     level=level, children=children, breadcrumbs=breadcrumbs(page_query))


def _decisions(scope: Scope, confidence: float, viewer=None) -> Decisions | None:
    """Manual against automated decisions in the scope (None when none was automated): the
    audits the cells count, through the scoping function, one query. The cells do not key
    ``automated``, so this reads the period's audits (docs/statistics.md#watching-the-model)."""
    audits = Audit.objects.filter(scope.audits())
    if viewer is not None:
        audits = visible_to(viewer, audits)
    outcomes = audit_domain_outcomes(audits, "ticket__automated",
                                     (scope.period.first, scope.period.last), confidence)
    manual, automated = outcomes.get(False), outcomes.get(True)
    if automated is None:
        return None
    comparison = (stats.compare_estimates(automated.accuracy, manual.accuracy, confidence)
                  if manual is not None and manual.accuracy and automated.accuracy else None)
    return Decisions(manual=manual, automated=automated, comparison=comparison)


def _headline(metric: str, label: str, whole: DomainOutcome | None,
              assisted: AssistedOutcome | None) -> Headline:
    estimate = whole.metric(metric) if whole else None
    headline = Headline(metric, label, estimate, whole.audits if whole else 0)
    if estimate is None or metric not in ("accuracy", "critical_error_rate"):
        return headline
    rate = assisted_rate(assisted, metric)
    return replace(headline, assisted=rate, assisted_note=assisted_note(assisted))


def assisted_note(assisted: AssistedOutcome | None) -> str:
    """Why a domain has no AI-assisted estimate, or which of its strata it leaves out."""
    if assisted is None:
        return "no AI-assisted estimate: no audit of this scope carries a model score"
    if not assisted.rates:
        return f"no AI-assisted estimate: {assisted.why_not or 'too few audits'}"
    if assisted.reasons:
        return (f"strata without the model's scores count classically "
                f"({assisted.why_not})")
    return ""


def chosen_estimate(outcome: DomainOutcome | None, assisted: AssistedOutcome | None,
                    metric: str) -> tuple[stats.Estimate | None, str]:
    """The estimate a verdict on ``metric`` uses: the AI-assisted one when the domain has it,
    else the classical one; and which it is."""
    rate = assisted_rate(assisted, metric)
    if rate is not None and outcome is not None and outcome.enough:
        return rate.estimate, "AI-assisted"
    return (outcome.metric(metric) if outcome else None), "classical"


def next_level(page_query: PageQuery) -> str | None:
    """The level the page breaks down: the first of site, workflow, agent it does not fix;
    none once an agent is fixed (an agent is the bottom of the drill-down)."""
    if page_query.agent is not None:
        return None
    return next((name for name in LEVELS if getattr(page_query, name) is None), None)


def breadcrumbs(page_query: PageQuery) -> list[Crumb]:
    """Vendor › Site › Workflow › Agent, as far as the query goes; each links back up by
    dropping the deeper levels (period and confidence stay)."""
    chain = [("vendor", page_query.vendor.name)]
    chain += [(name, _name(getattr(page_query, name), with_site=False)) for name in LEVELS
              if getattr(page_query, name) is not None]
    crumbs = []
    for position, (_, label) in enumerate(chain):
        deeper = {later: None for later, _ in chain[position + 1:]}
        last = position == len(chain) - 1
        crumbs.append(Crumb(label, None if last else page_query.url_query(**deeper)))
    return crumbs


def _target_rows(page_query: PageQuery, targets: list[ContractTarget],
                 whole: DomainOutcome | None,
                 assisted: AssistedOutcome | None) -> list[TargetRow]:
    # A workflow target speaks about the page's domain within that workflow; when the page
    # is already one workflow, that is the page's domain itself.
    per_workflow: dict = {}
    assisted_per_workflow: dict = {}
    if page_query.workflow is None and any(t.workflow_id for t in targets):
        needs_categories = any(t.workflow_id and t.metric == "policy_accuracy"
                               for t in targets)
        per_workflow = domain_outcomes(page_query.scope, by="workflow",
                                       categories=needs_categories,
                                       confidence=page_query.confidence)
        assisted_per_workflow = assisted_outcomes(page_query.scope, by="workflow",
                                                  confidence=page_query.confidence)
    rows = []
    for target in sorted(targets, key=_target_order):
        whole_domain = target.workflow_id is None or page_query.workflow is not None
        outcome = whole if whole_domain else per_workflow.get(target.workflow_id)
        estimate, basis = chosen_estimate(
            outcome, assisted if whole_domain else assisted_per_workflow.get(target.workflow_id),
            target.metric)
        rows.append(TargetRow(
            target=target,
            label=METRIC_LABELS.get(target.metric, target.metric),
            workflow_label=target.workflow.name if target.workflow else "all workflows",
            estimate=estimate,
            audits=outcome.audits if outcome else 0,
            verdict=(verdict(estimate, float(target.target), target.direction)
                     if estimate else None),
            basis=basis,
        ))
    return rows


def _target_order(target: ContractTarget) -> tuple:
    metrics = [metric for metric, _ in HEADLINES]
    order = metrics.index(target.metric) if target.metric in metrics else len(metrics)
    return (target.workflow is not None, target.workflow.name if target.workflow else "",
            order)


def _children(page_query: PageQuery, level: str,
              targets: list[ContractTarget]) -> list[Child]:
    outcomes = domain_outcomes(page_query.scope, by=level, confidence=page_query.confidence)
    assisted = assisted_outcomes(page_query.scope, by=level, confidence=page_query.confidence)
    objects = LEVEL_MODELS[level].objects.filter(pk__in=list(outcomes))
    if level == "agent":
        objects = objects.select_related("site")
    accuracy = {t.workflow_id: t for t in targets if t.metric == "accuracy"}
    page_workflow = page_query.workflow.pk if page_query.workflow else None
    children = []
    for obj in objects:
        outcome = outcomes[obj.pk]
        workflow = obj.pk if level == "workflow" else page_workflow
        target = accuracy.get(workflow) or accuracy.get(None)
        estimate, basis = chosen_estimate(outcome, assisted.get(obj.pk), "accuracy")
        judged = (verdict(estimate, float(target.target), target.direction)
                  if target and estimate else None)
        rates = assisted[obj.pk].rates if obj.pk in assisted else {}
        children.append(Child(name=_name(obj), query=page_query.url_query(**{
            level: _param(obj)}), outcome=outcome, verdict=judged, assisted=rates,
            basis=basis))
    return sorted(children, key=lambda child: child.name)


def _name(obj: Model, with_site: bool = True) -> str:
    if isinstance(obj, Agent):
        return f"{obj.external_id} ({obj.site.name})" if with_site else obj.external_id
    return obj.name


def _param(obj: Model) -> str:
    return obj.external_id if isinstance(obj, Agent) else obj.slug


def metrics_table(card: Scorecard) -> Table:
    """The headline metrics, then one row per contract target, as the page shows them."""
    table = Table("metrics", "Metrics and contract targets", [
        "metric", "workflow", "audits", "estimate", "low", "high", "margin", "target",
        "direction", "verdict"])
    for headline in card.headlines:
        estimate = headline.estimate
        table.add(metric=headline.label, workflow="page scope", audits=headline.audits,
                  **_rates(estimate), target=None, direction="",
                  verdict="" if estimate else too_few(headline.audits))
    for row in card.targets:
        table.add(metric=row.label, workflow=row.workflow_label, audits=row.audits,
                  **_rates(row.estimate), target=rate(row.value),
                  direction=row.target.get_direction_display(),
                  verdict=(f"{row.text} (on the AI-assisted estimate)"
                           if row.verdict and row.basis == "AI-assisted" else row.text))
    return table


def breakdown_table(card: Scorecard) -> Table:
    """One row per child of the breakdown (empty at agent level)."""
    table = Table("breakdown", f"By {card.level or 'agent'}", [
        card.level or "agent", "audits", "accuracy", "accuracy_low", "accuracy_high",
        "critical_error_rate", "critical_low", "critical_high", "verdict",
        *(f"{name}_assisted{part}" for name in ("accuracy", "critical")
          for part in ("", "_low", "_high"))])
    for child in card.children:
        accuracy, critical = child.outcome.accuracy, child.outcome.critical_rate
        table.add(**{card.level: child.name}, audits=child.outcome.audits,
                  **interval_columns("accuracy", accuracy),
                  critical_error_rate=rate(critical and critical.p),
                  critical_low=rate(critical and critical.low),
                  critical_high=rate(critical and critical.high),
                  verdict=child.note,
                  **_assisted_rates(child, "accuracy", "accuracy"),
                  **_assisted_rates(child, "critical_error_rate", "critical"))
    return table


def decisions_table(card: Scorecard) -> Table:
    """Manual and automated decisions as the page shows them (no rows without automated
    decisions); the automated row carries its difference in accuracy from the manual one."""
    table = Table("decisions", "Manual and automated decisions", [
        "decisions", "audits", "accuracy", "accuracy_low", "accuracy_high",
        "critical_error_rate", "critical_error_rate_low", "critical_error_rate_high",
        "accuracy_difference", "accuracy_difference_low", "accuracy_difference_high",
        "significant"])
    decisions = card.decisions
    if decisions is None:
        return table
    comparison = decisions.comparison
    for label, outcome in decisions.rows:
        against_manual = comparison is not None and outcome is decisions.automated
        table.add(decisions=label, audits=outcome.audits,
                  **interval_columns("accuracy", outcome.accuracy),
                  **interval_columns("critical_error_rate", outcome.critical_rate),
                  accuracy_difference=rate(comparison.difference) if against_manual else None,
                  accuracy_difference_low=rate(comparison.low) if against_manual else None,
                  accuracy_difference_high=rate(comparison.high) if against_manual else None,
                  significant=(("yes" if comparison.significant else "no")
                               if against_manual else ""))
    return table


def _assisted_rates(child: Child, metric: str, name: str) -> dict:
    """A breakdown row's AI-assisted estimate and interval of ``metric`` (blank without)."""
    assisted = child.assisted.get(metric)
    return interval_columns(f"{name}_assisted", assisted.estimate if assisted else None)


def _rates(estimate: stats.Estimate | None) -> dict:
    if estimate is None:
        return {"estimate": None, "low": None, "high": None, "margin": None}
    return {"estimate": rate(estimate.p), "low": rate(estimate.low),
            "high": rate(estimate.high), "margin": rate(estimate.margin)}

