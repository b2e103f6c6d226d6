"""Site cells are the agent cells summed over agents, and vendor cells summed over agents
and sites, whatever happens to the audits: the dashboards that do not look at agents (or
sites) read them instead, and must show the same numbers.

Several agents of two vendors' three sites share each stratum and week, so a site cell sums
several agent cells, and refreshing one agent's audit must recount its site cell with the
other agents' audits still in it."""

import datetime as dt
import random

import pytest

from accounts.models import Role
from audits import lifecycle
from audits.lifecycle import open_assigned_audits
from audits.models import SCORED_STATUSES, Audit, AuditStatus
from rollups import estimates
from rollups.estimates import Scope, domain_outcomes
from rollups.models import AuditCell, SiteCell, StratumTotal, VendorCell
from rollups.periods import period_of
from rollups.writer import rebuild_rollups
from tests.audits.workspace_helpers import assign_tickets, published_form, sample_run
from tests.factories import AgentFactory, SiteFactory, TicketFactory, UserFactory, WorkflowFactory
from tests.rollups.rollup_helpers import (
    agent_cells_summed_over_agents,
    assert_same_outcomes,
    counted_from_audits,
    random_lifecycle,
    stored_site_cells,
    stored_vendor_cells,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

FIRST_MONDAY = dt.date(2026, 3, 2)
MARCH = period_of("month", FIRST_MONDAY)


@pytest.fixture
def program(version, auditor, manager, workflow, site_a, site_b):
    """Three strata (two workflows) of 24 tickets each, handled by five agents at three
    sites over three weeks (one ticket just before a UTC week boundary), every audit
    submitted once through the lifecycle, each submission refreshing its cells on commit."""
    other_workflow = WorkflowFactory(name="Spam (EN)", slug="spam-en")
    published_form(other_workflow, by=manager, name="Spam scorecard")
    site_c = SiteFactory(vendor=site_a.vendor, name="Cebu", slug="cebu")
    agents = [AgentFactory(site=site) for site in (site_a, site_a, site_b, site_b, site_c)]
    rng = random.Random(20260302)
    run = sample_run("Shared strata")
    for stratum_workflow in (workflow, workflow, other_workflow):
        tickets = []
        for i in range(24):
            monday = FIRST_MONDAY + dt.timedelta(weeks=i % 3)
            handled = dt.datetime.combine(monday, dt.time(9), tzinfo=dt.UTC)
            handled += dt.timedelta(days=i % 5)
            if i == 23:  # Sunday night: the week before
                handled = dt.datetime.combine(monday, dt.time(23, 30), tzinfo=dt.UTC)
                handled -= dt.timedelta(days=1)
            tickets.append(
                TicketFactory(
                    agent=rng.choice(agents), workflow=stratum_workflow, handled_at=handled
                )
            )
        assign_tickets(run, tickets, auditor)
    open_assigned_audits(run)
    audits = list(Audit.objects.filter(sampled_ticket__run=run).order_by("pk"))
    return {"audits": audits, "rng": rng, "workflows": (workflow, other_workflow)}


def test_site_and_vendor_cells_equal_the_agent_cells_summed_after_any_lifecycle(
    program, step, auditor, manager
):
    random_lifecycle(program, step, auditor, manager, steps=80)
    reopened = Audit.objects.filter(status=AuditStatus.IN_PROGRESS).count()
    assert 0 < reopened < len(program["audits"])  # some audits left the counts

    kept_up = stored_site_cells(), stored_vendor_cells()
    # Site cells: the agent cells summed over agents.
    assert stored_site_cells(drop_zero_categories=True) == agent_cells_summed_over_agents()
    assert stored_site_cells(drop_zero_categories=True) == counted_from_audits(agents=False)
    # Vendor cells: summed over agents and sites.
    summed = agent_cells_summed_over_agents(sites=False)
    assert stored_vendor_cells(drop_zero_categories=True) == summed
    assert stored_vendor_cells(drop_zero_categories=True) == counted_from_audits(
        agents=False, sites=False
    )
    # Several agents share a site cell, and vendor A's two sites share strata and weeks:
    # each level holds fewer cells than the one below it.
    assert VendorCell.objects.count() < SiteCell.objects.count() < AuditCell.objects.count()
    rebuild_rollups()
    assert (stored_site_cells(), stored_vendor_cells()) == kept_up


def test_dashboards_read_the_same_numbers_from_vendor_and_site_cells_as_from_agent_cells(
    program, step, auditor, manager, monkeypatch, vendor_a, site_a
):
    random_lifecycle(program, step, auditor, manager, steps=40)
    workflow = program["workflows"][0]
    scopes = [
        Scope(MARCH),
        Scope(MARCH, vendor=vendor_a.pk),
        Scope(MARCH, site=site_a.pk),
        Scope(MARCH, workflow=workflow.pk),
        Scope(period_of("week", FIRST_MONDAY)),
    ]
    breakdowns = [None, "site", "vendor", "workflow", "week", ("vendor", "workflow")]

    def read_all():
        return [
            domain_outcomes(scope, by=by, categories=True) for scope in scopes for by in breakdowns
        ]

    from_coarse_cells = read_all()
    monkeypatch.setattr(estimates, "SiteCell", AuditCell)  # the agent cells stand in
    monkeypatch.setattr(estimates, "VendorCell", AuditCell)
    from_agent_cells = read_all()

    for coarse, fine in zip(from_coarse_cells, from_agent_cells, strict=True):
        assert_same_outcomes(coarse, fine)
    assert any(outcome.enough for outcomes in from_coarse_cells for outcome in outcomes.values())


def test_only_pages_that_name_an_agent_read_the_agent_cells(program, step, auditor, manager):
    random_lifecycle(program, step, auditor, manager, steps=0)
    agent = program["audits"][0].ticket.agent_id
    by_site = domain_outcomes(Scope(MARCH), by="site")
    by_agent = domain_outcomes(Scope(MARCH), by="agent")
    assert by_agent and domain_outcomes(Scope(MARCH, agent=agent))

    AuditCell.objects.all().delete()

    assert_same_outcomes(domain_outcomes(Scope(MARCH), by="site"), by_site)
    assert domain_outcomes(Scope(MARCH), by="agent") == {}
    assert domain_outcomes(Scope(MARCH, agent=agent)) == {}


def test_only_pages_that_name_a_site_read_the_site_cells(program, step, auditor, manager, site_a):
    random_lifecycle(program, step, auditor, manager, steps=0)
    by_vendor = domain_outcomes(Scope(MARCH), by=("vendor", "week"), categories=True)
    assert domain_outcomes(Scope(MARCH, site=site_a.pk))

    SiteCell.objects.all().delete()

    assert_same_outcomes(
        domain_outcomes(Scope(MARCH), by=("vendor", "week"), categories=True), by_vendor
    )
    assert domain_outcomes(Scope(MARCH), by="site") == {}
    assert domain_outcomes(Scope(MARCH, site=site_a.pk)) == {}


def test_stratum_totals_follow_the_cells_through_refreshes_and_rebuilds(
    program, step, auditor, manager
):
    """n_h of every estimate: each stratum's completed audits over all its cells, beside N_h
    and the first and last week of its cells; a stratum whose audits are all reopened has no
    total left."""

    def expected():
        totals = {}
        for cell in SiteCell.objects.select_related("stratum"):
            population, audited, first, last = totals.get(
                cell.stratum_id, (cell.stratum.population, 0, cell.week, cell.week)
            )
            totals[cell.stratum_id] = (
                population,
                audited + cell.audited,
                min(first, cell.week),
                max(last, cell.week),
            )
        return totals

    def stored():
        return {
            t.stratum_id: (t.population, t.audited, t.first_week, t.last_week)
            for t in StratumTotal.objects.all()
        }

    random_lifecycle(program, step, auditor, manager, steps=30)
    assert stored() == expected() and len(stored()) == 3
    stratum = program["audits"][0].sampled_ticket.stratum_id
    for audit in Audit.objects.filter(
        sampled_ticket__stratum_id=stratum, status__in=SCORED_STATUSES
    ):
        if audit.status == AuditStatus.DISPUTED:
            step(lifecycle.resolve_audit, audit, UserFactory(role=Role.PROGRAM_MANAGER), "Upheld.")
        step(lifecycle.reopen_audit, audit, manager, "Calibration")
    assert stratum not in stored()
    assert stored() == expected()
    rebuild_rollups()
    assert stored() == expected()
