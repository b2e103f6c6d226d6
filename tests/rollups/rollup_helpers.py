"""Builders for the scorecard rollup tests: audits across strata, agents
and weeks, and views of the cells (as stored, as counted from the audits here, and the site
cells as the agent cells summed over agents)."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from decimal import Decimal

from django.utils import timezone

from accounts.models import Role
from audit_forms.catalog import version_with_parts
from audit_forms.scoring import score_audit
from audits import lifecycle
from audits.lifecycle import open_assigned_audits
from audits.models import SCORED_STATUSES, Audit, AuditStatus
from rollups.models import AuditCell, RunWeekSums, SiteCell, VendorCell, WeekSums
from sampling import stats
from tests.audits.workspace_helpers import ALL_GOOD, assign_tickets
from tests.factories import TicketFactory, UserFactory

CRITICAL_MISS = {**ALL_GOOD, "right_action": "no"}
MISSED_ESCALATION = {**ALL_GOOD, "escalation": "missed", "policy_cited": "fail"}
CURT = {**ALL_GOOD, "tone": "2"}
# What audits are scored with in a random lifecycle: passes, a critical miss, errors.
ANSWERS = (ALL_GOOD, ALL_GOOD, CRITICAL_MISS, MISSED_ESCALATION, CURT)


def sampled_audits(run, auditor, workflow, agent, handled_at: list[dt.datetime]) -> list[Audit]:
    """One stratum of ``run`` holding tickets of ``agent`` handled at the given times, each
    opened as an audit assigned to ``auditor``."""
    tickets = [TicketFactory(agent=agent, workflow=workflow, handled_at=at) for at in handled_at]
    assign_tickets(run, tickets, auditor)
    open_assigned_audits(run)
    return list(Audit.objects.filter(ticket__in=tickets).order_by("ticket__handled_at", "pk"))


def stored_cells(*, drop_zero_categories: bool = False) -> list[tuple]:
    """Every agent cell as a comparable tuple (without ``updated_at``)."""
    return _comparable(AuditCell.objects.order_by("pk"), drop_zero_categories)


def stored_site_cells(*, drop_zero_categories: bool = False, model=SiteCell) -> list[tuple]:
    """Every site cell (or ``VendorCell``) as a comparable tuple: the agent column is None
    (and the site column, for vendor cells)."""
    return _comparable(model.objects.order_by("pk"), drop_zero_categories)


def stored_vendor_cells(*, drop_zero_categories: bool = False) -> list[tuple]:
    return stored_site_cells(drop_zero_categories=drop_zero_categories, model=VendorCell)


def _comparable(cells, drop_zero_categories: bool) -> list[tuple]:
    rows = []
    for cell in cells:
        categories = cell.error_categories
        if drop_zero_categories:
            categories = {slug: n for slug, n in categories.items() if n}
        rows.append(
            (
                cell.stratum_id,
                cell.vendor_id,
                getattr(cell, "site_id", None),
                getattr(cell, "agent_id", None),
                cell.workflow_id,
                cell.week,
                cell.audited,
                cell.passed,
                cell.critical_failed,
                sorted(categories.items()),
                cell.scored,
                Decimal(cell.score_sum),
            )
        )
    return sorted(rows)


def stored_week_sums(model=WeekSums) -> dict:
    """Every row of ``WeekSums`` (or its runs' parts, ``RunWeekSums``) by key: its audits and
    its sums flattened by name ({"passed.hits": …, "categories.procedural.within": …})."""
    def key(row):
        return (row.vendor_id, row.week, getattr(row, "run_id", None))

    return {key(row): (row.audits, _flat(row.sums)) for row in model.objects.all()}


def _flat(sums: dict, path: str = "") -> dict[str, float]:
    flat = {}
    for name, value in sums.items():
        if isinstance(value, dict):
            flat |= _flat(value, f"{path}{name}.")
        else:
            flat[f"{path}{name}"] = value
    return flat


def assert_same_week_sums(left: dict, right: dict) -> None:
    """Two ``stored_week_sums`` hold the same rows, the same audits and the same sums (to the
    last few bits: the database may add a run's strata in another order)."""
    assert left.keys() == right.keys()
    for key, (audits, sums) in left.items():
        assert audits == right[key][0], key
        assert sums.keys() == right[key][1].keys(), key
        assert all(math.isclose(value, right[key][1][name], rel_tol=1e-12, abs_tol=1e-12)
                   for name, value in sums.items()), key


def assert_week_sums_as_rebuilt() -> None:
    """The week sums and their runs' parts, as kept so far, are what a rebuild writes."""
    from rollups.writer import rebuild_rollups

    kept = stored_week_sums(), stored_week_sums(RunWeekSums)
    rebuild_rollups()
    assert_same_week_sums(kept[0], stored_week_sums())
    assert_same_week_sums(kept[1], stored_week_sums(RunWeekSums))


def agent_cells_summed_over_agents(*, sites: bool = True) -> list[tuple]:
    """The site cells as the agent cells say they must be: summed over agents (zero category
    counts dropped, as a sum of cells computed at different times can differ in those).
    Without ``sites``: the vendor cells, summed over sites too (site None)."""
    sums: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, Counter(), 0, Decimal("0")])
    for cell in AuditCell.objects.all():
        total = sums[
            (
                cell.stratum_id,
                cell.vendor_id,
                cell.site_id if sites else None,
                None,
                cell.workflow_id,
                cell.week,
            )
        ]
        total[0] += cell.audited
        total[1] += cell.passed
        total[2] += cell.critical_failed
        total[3].update({slug: n for slug, n in cell.error_categories.items() if n})
        total[4] += cell.scored
        total[5] += Decimal(cell.score_sum)
    return sorted(
        (*key, a, p, c, sorted(cats.items()), n, s) for key, (a, p, c, cats, n, s) in sums.items()
    )


def counted_from_audits(*, agents: bool = True, sites: bool = True) -> list[tuple]:
    """The cells as a reader would count them by hand from the audit rows: completed sampled
    audits only, grouped by stratum and the ticket's vendor, site, agent, workflow and the
    Monday (UTC) of the week it was handled. Without ``agents``: the site cells (agent None);
    without ``sites`` as well: the vendor cells (site None too)."""
    cells: dict[tuple, dict] = defaultdict(
        lambda: {
            "audited": 0,
            "passed": 0,
            "critical": 0,
            "categories": Counter(),
            "scored": 0,
            "score_sum": Decimal("0"),
        }
    )
    for audit in Audit.objects.select_related("ticket", "sampled_ticket"):
        # Re-audits grade our auditors and are in no cell (audits.models.VENDOR_WORK).
        if audit.unsampled or audit.reaudit_of_id or audit.status not in SCORED_STATUSES:
            continue
        ticket = audit.ticket
        day = ticket.handled_at.astimezone(dt.UTC).date()
        monday = day - dt.timedelta(days=day.weekday())
        cell = cells[
            (
                audit.sampled_ticket.stratum_id,
                ticket.vendor_id,
                ticket.site_id if sites else None,
                ticket.agent_id if agents else None,
                ticket.workflow_id,
                monday,
            )
        ]
        cell["audited"] += 1
        cell["passed"] += bool(audit.passed)
        cell["critical"] += audit.critical_failed
        cell["categories"].update(slug for slug, n in audit.error_categories.items() if n)
        if audit.score is not None:
            cell["scored"] += 1
            cell["score_sum"] += audit.score
    return sorted(
        (
            *key,
            c["audited"],
            c["passed"],
            c["critical"],
            sorted(c["categories"].items()),
            c["scored"],
            c["score_sum"],
        )
        for key, c in cells.items()
    )


def category_rate_from_audits(slug: str, period, **ticket) -> stats.Estimate:
    """A category's rate over ``period`` from the audit rows, computed here independently of
    the cells: N_h the stratum's population, n_h its completed sampled audits in any week,
    m_hd those in the domain (handled in the period, the ticket matching every ``ticket``
    attribute given, e.g. vendor=, site=, agent=), x_hd those with an error of ``slug``."""
    strata: dict[int, list[int]] = {}
    completed = Audit.objects.filter(unsampled=False, status__in=SCORED_STATUSES)
    for audit in completed.select_related("ticket", "sampled_ticket__stratum"):
        stratum = audit.sampled_ticket.stratum
        counts = strata.setdefault(stratum.pk, [stratum.population, 0, 0, 0])
        counts[1] += 1
        day = audit.ticket.handled_at.astimezone(dt.UTC).date()
        week = day - dt.timedelta(days=day.weekday())
        if period.first <= week <= period.last and all(
            getattr(audit.ticket, name) == value for name, value in ticket.items()
        ):
            counts[2] += 1
            counts[3] += audit.error_categories.get(slug, 0) > 0
    return stats.domain_proportion({k: tuple(v) for k, v in strata.items() if v[2]})


def submitted_in_bulk(audits, answers) -> None:
    """Score each audit's answers with ``score_audit`` and store the result as ``submit_audit``
    does, in one UPDATE per kind of answers (as the demo writes audits in bulk; the rollups
    are then rebuilt). The lifecycle itself is tested in tests/audits; here it would only make
    a hundred audits slow to build."""
    now = timezone.now()
    groups = defaultdict(list)
    for audit, given in zip(audits, answers, strict=True):
        groups[tuple(sorted(given.items()))].append(audit.pk)
    spec = version_with_parts(audits[0].form_version_id).to_spec()
    for given, ids in groups.items():
        result = score_audit(spec, dict(given))
        Audit.objects.filter(pk__in=ids).update(
            status=AuditStatus.SUBMITTED,
            answers=dict(given),
            submitted_at=now,
            started_at=now,
            score=Decimal(str(result.score)).quantize(Decimal("0.01")),
            passed=result.passed,
            critical_failed=result.critical_failed,
            section_scores=result.section_scores,
            error_categories=result.error_categories,
            errors=list(result.errors),
            error_count=len(result.errors),
        )


def assert_same_outcomes(left: dict, right: dict, tolerance: float = 1e-12) -> None:
    """Two ``domain_outcomes`` results agree: the same domains, audits and strata, and every
    estimate to ``tolerance`` (the database adds floating-point sums in whatever order its
    plan reads the rows, so two reads of the same counts can differ in the last digit)."""
    assert left.keys() == right.keys()
    for key, a in left.items():
        b = right[key]
        assert (a.audits, a.strata, a.enough) == (b.audits, b.strata, b.enough), key
        pairs = [
            (a.accuracy, b.accuracy),
            (a.critical_rate, b.critical_rate),
            *((a.categories[slug], b.categories.get(slug)) for slug in a.categories),
        ]
        assert a.categories.keys() == b.categories.keys(), key
        for x, y in pairs:
            assert (x is None) == (y is None), key
            if x is not None:
                for name in ("p", "se", "low", "high", "effective_n"):
                    assert math.isclose(
                        getattr(x, name), getattr(y, name), rel_tol=tolerance, abs_tol=tolerance
                    ), (key, name)
                assert (x.n, x.population) == (y.n, y.population), key
        if a.average_score is None or b.average_score is None:
            assert a.average_score is b.average_score, key
        else:
            assert math.isclose(a.average_score, b.average_score, rel_tol=tolerance), key


def random_lifecycle(program, step, auditor, manager, steps: int) -> None:
    """Submit every audit in one step (one flush refreshes them all, as a debounced flush
    does), then ``steps`` random moves a QA team makes, each a step of its own: reopen and
    rescore, dispute and resolve, finalise; some audits are left reopened (out of the counts)."""
    rng, audits = program["rng"], program["audits"]
    other_lead = UserFactory(email="lead2@example.com", role=Role.PROGRAM_MANAGER)

    def submit_every_audit():
        for audit in audits:
            lifecycle.submit_audit(audit, auditor, answers=rng.choice(ANSWERS))

    step(submit_every_audit)
    for _ in range(steps):
        audit = Audit.objects.get(pk=rng.choice(audits).pk)
        match audit.status:
            case AuditStatus.IN_PROGRESS:
                step(lifecycle.submit_audit, audit, auditor, answers=rng.choice(ANSWERS))
            case AuditStatus.SUBMITTED:
                move = rng.choice(("reopen", "dispute", "finalise"))
                if move == "reopen":
                    step(lifecycle.reopen_audit, audit, manager, "Recheck the policy.")
                elif move == "dispute":
                    step(lifecycle.dispute_audit, audit, manager, "Vendor disagrees.")
                else:
                    step(lifecycle.finalise_audit, audit, manager)
            case AuditStatus.DISPUTED:
                step(lifecycle.resolve_audit, audit, other_lead, "Upheld.")
            case AuditStatus.RESOLVED | AuditStatus.FINAL:
                step(lifecycle.reopen_audit, audit, manager, "Rescore after calibration.")
