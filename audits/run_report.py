"""A sample run's report from its audits: how each stratum's sampled tickets were audited.

Sampling owns the strata and the statistics (``sampling.reporting``); this module reads what
only the audits know, in a fixed, small number of queries whatever the number of strata or
audits: the strata with their audit outcomes come from ONE grouped query (strata ⟕ sampled
tickets ⟕ audits, conditional counts per stratum); once some audit is done, two more read the
error-category taxonomy and the per-stratum category counts. Error categories are counted in
the database with a JSON key test per category (``error_categories__has_key``: ``?`` on
PostgreSQL jsonb, ``json_type`` on SQLite), so no audit row is loaded into Python.

Only sampled audits count: an ad-hoc audit has no sampled ticket (a database constraint), so
the join through the run's sampled tickets cannot reach one. A skipped audit is non-response,
counted per stratum and left out of n_h (see ``sampling.reporting``).
"""

from __future__ import annotations

from dataclasses import replace

from django.db.models import Count, Q

from audit_forms.models import ErrorCategory
from sampling.models import SampleRun, SampleStratum
from sampling.reporting import RunReport, StratumOutcomes, report_from_outcomes

from .models import OPEN_STATUSES, SCORED_STATUSES, Audit, AuditStatus

_DONE = "sampled_tickets__audit__"
OPEN_ASSIGNMENTS_SHOWN = 50


def run_report(run: SampleRun) -> RunReport:
    """The report of one run (``sampling.reporting.report_from_outcomes``) from its audits'
    outcomes. A run with no completed audit reads no error category."""
    strata, outcomes = stratum_outcomes(run)
    categories: list[tuple[str, str]] = []
    if any(found.done for found in outcomes.values()):
        categories = list(ErrorCategory.objects.order_by("name").values_list("slug", "name"))
        found_in = category_counts(run, [slug for slug, _ in categories])
        outcomes = {
            pk: replace(found, categories=found_in.get(pk, {}))
            for pk, found in outcomes.items()
        }
        if any(s.risk_weighted for s in strata):
            audits = weighted_audits(run)
            outcomes = {
                pk: replace(found, audits=tuple(audits.get(pk, ())))
                for pk, found in outcomes.items()
            }
    return report_from_outcomes(run, strata, outcomes, categories)


def weighted_audits(run: SampleRun) -> dict[int, list[tuple[float, bool, bool, frozenset]]]:
    """Per stratum pk of a risk-weighted run, each completed audit's (π_i, passed, critical,
    error categories found): ONE query over the run's completed audits, which its estimates
    weight one by one (``sampling.reporting.weighted_estimate``)."""
    rows = (
        Audit.objects.filter(sampled_ticket__run=run, status__in=SCORED_STATUSES)
        .order_by("sampled_ticket__stratum_id", "sampled_ticket__draw_rank")
        .values_list("sampled_ticket__stratum_id", "sampled_ticket__inclusion_probability",
                     "passed", "critical_failed", "error_categories")
    )
    found: dict[int, list[tuple[float, bool, bool, frozenset]]] = {}
    for stratum, pi, passed, critical, categories in rows:
        found.setdefault(stratum, []).append(
            (float(pi), bool(passed), bool(critical), frozenset(categories or {}))
        )
    return found


def open_assignments(
    run: SampleRun, limit: int = OPEN_ASSIGNMENTS_SHOWN
) -> tuple[list[Audit], int]:
    """The run's audits not yet submitted, soonest due first (at most ``limit``), and how many
    there are: where a lead goes to reassign or skip one. Two queries."""
    pending = Audit.objects.filter(
        sampled_ticket__run=run, status__in=OPEN_STATUSES, submitted_at__isnull=True
    )
    shown = list(
        pending.select_related("ticket", "auditor", "sampled_ticket__stratum")
        .order_by("due_at", "pk")[:limit]
    )
    return shown, pending.count()


def stratum_outcomes(run: SampleRun) -> tuple[list[SampleStratum], dict[int, StratumOutcomes]]:
    """The run's strata in report order and, per stratum pk, its completed-audit outcomes
    (done, passed, critical) and its skipped audits: ONE grouped query, conditional COUNTs
    over the stratum's sampled tickets' audits."""
    done = Q(**{f"{_DONE}status__in": SCORED_STATUSES})
    strata = list(
        run.strata.order_by("position").annotate(
            done_n=Count("sampled_tickets__audit", filter=done),
            passed_n=Count(
                "sampled_tickets__audit", filter=done & Q(**{f"{_DONE}passed": True})
            ),
            critical_n=Count(
                "sampled_tickets__audit", filter=done & Q(**{f"{_DONE}critical_failed": True})
            ),
            skipped_n=Count(
                "sampled_tickets__audit", filter=Q(**{f"{_DONE}status": AuditStatus.SKIPPED})
            ),
        )
    )
    outcomes = {
        s.pk: StratumOutcomes(done=s.done_n, passed=s.passed_n, critical=s.critical_n,
                              skipped=s.skipped_n)
        for s in strata
    }
    return strata, outcomes


def category_counts(run: SampleRun, slugs: list[str]) -> dict[int, dict[str, int]]:
    """Per stratum pk, how many completed audits found at least one error of each category:
    ONE grouped query over the run's completed audits, a conditional COUNT per category on
    whether ``error_categories`` has the slug as a key (scoring stores only categories with
    at least one error)."""
    if not slugs:
        return {}
    rows = (
        Audit.objects.filter(sampled_ticket__run=run, status__in=SCORED_STATUSES)
        .order_by()
        .values("sampled_ticket__stratum_id")
        .annotate(**{
            f"category_{index}": Count("pk", filter=Q(error_categories__has_key=slug))
            for index, slug in enumerate(slugs)
        })
    )
    return {
        row["sampled_ticket__stratum_id"]: {
            slug: row[f"category_{index}"] for index, slug in enumerate(slugs)
        }
        for row in rows
    }
