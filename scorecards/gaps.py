"""Thematic gaps: which error categories drive a scope's errors, which moved, and where.

A theme's rate is the estimated share of tickets with at least one error of its category, a
domain estimate over the stratified samples like every other scorecard rate (read through
``estimates.domain_outcomes``, never by pooling audits). A ticket can show errors of several
categories, so the rates do not add up to the error rate: the Pareto line is each theme's
share of the *summed* rates, i.e. of all category findings, which is what tells a manager
that "three themes are 80 % of what we find".

Movers compare each category with the previous period of the same kind
(``stats.compare_estimates``); only a significant change is called a mover, so a wobble of a
few audits never reaches the list. The breakdown shows the same rates per vendor (no vendor
chosen) or per site of the chosen vendor; a row with fewer than MIN_AUDITS audits shows no
rates.

``theme_audits`` lists the audits behind one theme with the same rules as the rollup cells
(completed, sampled, handled in the period's UTC weeks, in scope), so the list a manager
opens from a theme holds exactly the audits that theme's numerator counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.db.models import IntegerField, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from audit_forms.models import ErrorCategory, FormQuestion
from audits.models import SCORED_STATUSES, VENDOR_WORK
from audits.selectors import audits_visible_to
from rollups.estimates import MIN_AUDITS, domain_outcomes
from rollups.periods import Period
from sampling import stats
from vendors.models import Site, Vendor

from .query import PageQuery
from .tables import Table, rate

# Downloads of a theme's audits stop here; the page says so when there are more.
EXPORT_CAP = 10_000


@dataclass(frozen=True)
class Theme:
    """One category's rate in a period, its share of the summed rates and the running total
    of shares down the Pareto order (the line on the chart)."""

    slug: str
    name: str
    estimate: stats.Estimate
    share: float
    cumulative: float


@dataclass(frozen=True)
class Pareto:
    """A period's themes, highest rate first; ``themes`` holds only categories with errors
    found (the live others are named in ``clean``); ``estimates`` has every category's rate, zeros
included. Empty below MIN_AUDITS (``enough`` False): the page says "too few audits"."""

    period: Period
    audits: int
    themes: list[Theme] = field(default_factory=list)
    clean: list[str] = field(default_factory=list)
    estimates: dict[str, stats.Estimate] = field(default_factory=dict)

    @property
    def enough(self) -> bool:
        return self.audits >= MIN_AUDITS


@dataclass(frozen=True)
class Change:
    """A category's rate now against the previous period (difference = now - before)."""

    slug: str
    name: str
    current: stats.Estimate
    previous: stats.Estimate
    comparison: stats.Comparison

    @property
    def significant(self) -> bool:
        return self.comparison.significant


@dataclass(frozen=True)
class BreakdownRow:
    """A vendor's or site's category rates (empty below MIN_AUDITS)."""

    key: int
    label: str
    slug: str
    audits: int
    rates: dict[str, stats.Estimate]

    @property
    def enough(self) -> bool:
        return self.audits >= MIN_AUDITS


@dataclass(frozen=True)
class Gaps:
    """Everything the thematic gaps page shows for one scope and period."""

    current: Pareto
    previous: Pareto
    changes: list[Change]
    by: str
    breakdown: list[BreakdownRow]
    names: dict[str, str]

    @property
    def movers(self) -> list[Change]:
        """The significant changes, largest first; never a change within the noise."""
        return [change for change in self.changes if change.significant]


def thematic_gaps(page_query: PageQuery) -> Gaps:
    """The Pareto of error themes for the page's scope and period, the previous period's,
    the changes between them (largest |change| first) and the breakdown by vendor, or by site
    when a vendor is chosen. A constant number of queries, whatever the number of categories,
    vendors or audits."""
    confidence = page_query.confidence
    scope = page_query.scope
    categories = list(ErrorCategory.objects.order_by("slug").values_list("slug", "name",
                                                                       "active"))
    names = {slug: name for slug, name, _ in categories}
    retired = {slug for slug, _, active in categories if not active}
    current = _pareto(scope.period, domain_outcomes(scope, categories=True,
                                                    confidence=confidence), names, retired)
    before = replace(scope, period=scope.period.previous())
    previous = _pareto(before.period, domain_outcomes(before, categories=True,
                                                      confidence=confidence), names, retired)
    changes = _changes(current, previous, names, confidence)
    by = "site" if page_query.vendor is not None else "vendor"
    breakdown = _breakdown(domain_outcomes(scope, by=by, categories=True, confidence=confidence),
                           by)
    return Gaps(current=current, previous=previous, changes=changes, by=by,
                breakdown=breakdown, names=names)


def _pareto(period: Period, outcomes: dict, names: dict[str, str],
            retired: set[str]) -> Pareto:
    outcome = outcomes.get(None)
    if outcome is None or not outcome.enough:
        return Pareto(period=period, audits=outcome.audits if outcome else 0)
    found = [(slug, estimate) for slug, estimate in outcome.categories.items() if estimate.p > 0]
    found.sort(key=lambda item: (-item[1].p, names.get(item[0], item[0])))
    total = sum(estimate.p for _, estimate in found)
    themes, running = [], 0.0
    for slug, estimate in found:
        running += estimate.p
        themes.append(Theme(slug=slug, name=names.get(slug, slug), estimate=estimate,
                            share=estimate.p / total, cumulative=running / total))
    # Retired categories with nothing found are not news: only live ones are named.
    clean = sorted(names.get(slug, slug) for slug, estimate in outcome.categories.items()
                   if estimate.p == 0 and slug not in retired)
    return Pareto(period=period, audits=outcome.audits, themes=themes, clean=clean,
                  estimates=dict(outcome.categories))


def _changes(current: Pareto, previous: Pareto, names: dict[str, str],
             confidence: float) -> list[Change]:
    """Every category with errors found in either period, compared; both periods need
    enough audits for a comparison to mean anything."""
    if not (current.enough and previous.enough):
        return []
    now, before = current.estimates, previous.estimates
    slugs = {slug for slug in set(now) & set(before) if now[slug].p > 0 or before[slug].p > 0}
    changes = [
        Change(slug=slug, name=names.get(slug, slug), current=now[slug], previous=before[slug],
               comparison=stats.compare_estimates(now[slug], before[slug], confidence=confidence))
        for slug in slugs
    ]
    changes.sort(key=lambda c: (-abs(c.comparison.difference), c.name))
    return changes


def _breakdown(outcomes: dict, by: str) -> list[BreakdownRow]:
    model = Vendor if by == "vendor" else Site
    objects = model.objects.in_bulk([key for key in outcomes if key is not None])
    rows = []
    for key, outcome in outcomes.items():
        obj = objects.get(key)
        if obj is None:
            continue
        rows.append(BreakdownRow(key=key, label=obj.name, slug=obj.slug,
                                 audits=outcome.audits,
                                 rates=dict(outcome.categories) if outcome.enough else {}))
    rows.sort(key=lambda row: row.label.lower())
    return rows


# ----- the audits behind a theme -------------------------------------------------------------


def theme_audits(user, page_query: PageQuery, slug: str) -> QuerySet:
    """Completed sampled audits in the page's scope, of tickets handled in its period's UTC
    weeks (Monday 00:00 of the first to the end of the last Sunday), with at least one error
    of category ``slug``; newest handled first. Read through ``audits_visible_to``."""
    audits = audits_visible_to(user).filter(
        VENDOR_WORK, page_query.scope.audits(), status__in=SCORED_STATUSES, unsampled=False,
        sampled_ticket__isnull=False,
    )
    return (
        audits.annotate(theme_errors=Cast(KeyTextTransform(slug, "error_categories"),
                                          IntegerField()))
        .filter(theme_errors__gt=0)
        .select_related("ticket__vendor", "ticket__site", "ticket__agent", "ticket__workflow")
        .order_by("-ticket__handled_at", "-pk")
    )


def questions_in_error(audits) -> dict[int, list[str]]:
    """Audit id → the texts of the questions it answered in error (one query)."""
    audits = list(audits)
    keys = {key for audit in audits for key in audit.errors}
    versions = {audit.form_version_id for audit in audits}
    texts = {
        (version, key): text
        for version, key, text in FormQuestion.objects.filter(
            version_id__in=versions, key__in=keys).values_list("version_id", "key", "text")
    } if keys else {}
    found = defaultdict(list)
    for audit in audits:
        found[audit.pk] = [texts.get((audit.form_version_id, key), key) for key in audit.errors]
    return dict(found)


AUDIT_COLUMNS = ["audit", "ticket", "vendor", "site", "agent", "workflow", "handled_at_utc",
                 "status", "score", "theme_errors", "questions_in_error"]


def audit_rows(audits, questions: dict[int, list[str]]) -> list[dict]:
    """The listed audits as the page shows them and the download holds them."""
    return [
        {
            "audit": audit.pk,
            "ticket": audit.ticket.external_id,
            "vendor": audit.ticket.vendor.name,
            "site": audit.ticket.site.name,
            "agent": audit.ticket.agent.external_id,
            "workflow": audit.ticket.workflow.name,
            "handled_at_utc": audit.ticket.handled_at.astimezone(dt.UTC),
            "status": audit.get_status_display(),
            "score": None if audit.score is None else float(audit.score),
            "theme_errors": audit.theme_errors,
            "questions_in_error": "; ".join(questions.get(audit.pk, [])),
        }
        for audit in audits
    ]


def audit_table(audits: QuerySet, category: ErrorCategory) -> tuple[Table, bool]:
    """The theme's audits as a downloadable table, at most EXPORT_CAP rows (newest first);
    the flag says whether the list was cut."""
    listed = list(audits[: EXPORT_CAP + 1])
    capped = len(listed) > EXPORT_CAP
    listed = listed[:EXPORT_CAP]
    table = Table("audits", f"Audits with {category.name} errors", AUDIT_COLUMNS)
    table.rows = audit_rows(listed, questions_in_error(listed))
    return table, capped


def pareto_table(pareto: Pareto, previous: Pareto) -> Table:
    """The chart's table: each theme's rate, interval, share and cumulative share, and the
    previous period's rate."""
    table = Table("pareto", "Error themes", ["category", "slug", "audits", "rate", "low", "high",
                                             "share", "cumulative_share", "previous_rate"])
    before = previous.estimates
    for theme in pareto.themes:
        prior = before.get(theme.slug)
        table.add(category=theme.name, slug=theme.slug, audits=pareto.audits,
                  rate=rate(theme.estimate.p), low=rate(theme.estimate.low),
                  high=rate(theme.estimate.high), share=rate(theme.share),
                  cumulative_share=rate(theme.cumulative),
                  previous_rate=rate(prior.p) if prior else None)
    return table


def movers_table(gaps: Gaps) -> Table:
    table = Table("movers", "Change from the previous period",
                  ["category", "slug", "rate", "previous_rate", "change", "change_low",
                   "change_high", "p_value", "significant"])
    for change in gaps.changes:
        table.add(category=change.name, slug=change.slug, rate=rate(change.current.p),
                  previous_rate=rate(change.previous.p),
                  change=rate(change.comparison.difference), change_low=rate(change.comparison.low),
                  change_high=rate(change.comparison.high),
                  p_value=rate(change.comparison.p_value),
                  significant="yes" if change.significant else "no")
    return table


def breakdown_table(gaps: Gaps) -> Table:
    """One row per (vendor or site, theme): long form, as analysts load it."""
    table = Table("breakdown", f"Error themes by {gaps.by}",
                  [gaps.by, "audits", "category", "rate", "low", "high"])
    for row in gaps.breakdown:
        for theme in gaps.current.themes:
            estimate = row.rates.get(theme.slug)
            table.add(**{gaps.by: row.label}, audits=row.audits, category=theme.name,
                      rate=rate(estimate.p) if estimate else None,
                      low=rate(estimate.low) if estimate else None,
                      high=rate(estimate.high) if estimate else None)
    return table
