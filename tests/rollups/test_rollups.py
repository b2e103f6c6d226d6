"""Scorecard cells follow the audits: every lifecycle step refreshes the cells it touches,
and the cells kept up step by step are exactly what a full rebuild, or counting the audit
rows by hand, gives — the agent cells and the site cells alike. Ad-hoc audits never count."""

import datetime as dt

import pytest

from accounts.models import Role
from audits import lifecycle
from audits.models import Audit
from rollups.models import AuditCell, SiteCell, VendorCell
from rollups.writer import rebuild_rollups, refresh_rollups
from tests.audits.workspace_helpers import ALL_GOOD, sample_run
from tests.factories import AgentFactory, TicketFactory, UserFactory
from tests.rollups.rollup_helpers import (
    agent_cells_summed_over_agents,
    counted_from_audits,
    sampled_audits,
    stored_cells,
    stored_site_cells,
    stored_vendor_cells,
)

pytestmark = pytest.mark.django_db

CRITICAL_MISS = {**ALL_GOOD, "right_action": "no"}  # policy error, critical: fails
MISSED_ESCALATION = {**ALL_GOOD, "escalation": "missed", "policy_cited": "fail"}  # procedural
SUNDAY_LATE = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)  # week of Monday 23 February
MONDAY_EARLY = dt.datetime(2026, 3, 2, 0, 30, tzinfo=dt.UTC)  # week of Monday 2 March


@pytest.fixture
def program(version, auditor, workflow, site_a, site_b):
    """Two runs; three strata; two agents of different vendors; tickets either side of a
    UTC week boundary; every audit assigned to ``auditor``."""
    first, second = sample_run("Daily moderation"), sample_run("Weekly review")
    agent_a, agent_b = AgentFactory(site=site_a), AgentFactory(site=site_b)
    return {
        "a": sampled_audits(
            first,
            auditor,
            workflow,
            agent_a,
            [SUNDAY_LATE, MONDAY_EARLY, MONDAY_EARLY + dt.timedelta(days=2)],
        ),
        "b": sampled_audits(first, auditor, workflow, agent_b, [SUNDAY_LATE, MONDAY_EARLY]),
        "c": sampled_audits(
            second, auditor, workflow, agent_a, [MONDAY_EARLY - dt.timedelta(weeks=3)]
        ),
        "agent_a": agent_a,
    }


def test_incremental_cells_equal_a_rebuild_and_a_count_by_hand(
    program, step, auditor, manager, version, workflow
):
    a, b, c = program["a"], program["b"], program["c"]
    other_lead = UserFactory(email="lead2@example.com", role=Role.PROGRAM_MANAGER)
    step(lifecycle.submit_audit, a[0], auditor, answers=ALL_GOOD)
    step(lifecycle.submit_audit, a[1], auditor, answers=CRITICAL_MISS)
    step(lifecycle.submit_audit, a[2], auditor, answers=MISSED_ESCALATION)
    step(lifecycle.submit_audit, b[0], auditor, answers=ALL_GOOD)
    step(lifecycle.submit_audit, b[1], auditor, answers=ALL_GOOD)
    step(lifecycle.submit_audit, c[0], auditor, answers=ALL_GOOD)
    # A lead sends a passing audit back; it is rescored as a critical failure.
    step(lifecycle.reopen_audit, a[0], manager, "Wrong action: the post was borderline.")
    step(lifecycle.submit_audit, a[0], auditor, answers=CRITICAL_MISS)
    step(lifecycle.finalise_audit, a[1], manager)
    step(lifecycle.dispute_audit, b[0], manager, "Vendor says the context was missing.")
    step(lifecycle.resolve_audit, b[0], other_lead, "Upheld.")
    # Reopened and not yet rescored: it leaves its cell, which is left empty and goes.
    step(lifecycle.reopen_audit, c[0], manager, "Score the right form section.")
    # An ad-hoc audit of a ticket in a sampled cell's week never counts.
    adhoc_ticket = TicketFactory(
        agent=program["agent_a"], workflow=workflow, handled_at=MONDAY_EARLY
    )
    adhoc = step(lifecycle.start_adhoc_audit, adhoc_ticket, version, auditor)
    step(lifecycle.submit_audit, adhoc, auditor, answers=ALL_GOOD)

    incremental, incremental_sites = stored_cells(), stored_site_cells()
    assert incremental == stored_cells()  # nothing pending
    assert stored_cells(drop_zero_categories=True) == counted_from_audits()
    assert stored_site_cells(drop_zero_categories=True) == counted_from_audits(agents=False)
    assert stored_site_cells(drop_zero_categories=True) == agent_cells_summed_over_agents()
    rebuild_rollups()
    assert stored_cells() == incremental
    assert stored_site_cells() == incremental_sites

    # Agent A's stratum of the first run: Sunday's audit in one week, Monday's two in the
    # next (one finalised critical miss, one procedural miss); nothing from the ad-hoc audit.
    cells = {(cell.stratum_id, cell.week): cell for cell in AuditCell.objects.all()}
    stratum_a = a[0].sampled_ticket.stratum_id
    sunday = cells[(stratum_a, dt.date(2026, 2, 23))]
    monday = cells[(stratum_a, dt.date(2026, 3, 2))]
    assert (sunday.audited, sunday.passed, sunday.critical_failed) == (1, 0, 1)
    assert (monday.audited, monday.passed, monday.critical_failed) == (2, 0, 1)
    assert monday.error_categories["procedural"] == 1
    assert monday.error_categories["policy-error"] == 1
    assert monday.vendor_id == program["agent_a"].vendor_id
    assert not AuditCell.objects.filter(stratum=c[0].sampled_ticket.stratum_id).exists()
    assert not SiteCell.objects.filter(stratum=c[0].sampled_ticket.stratum_id).exists()
    assert not VendorCell.objects.filter(stratum=c[0].sampled_ticket.stratum_id).exists()
    assert AuditCell.objects.filter(stratum=b[0].sampled_ticket.stratum_id).count() == 2
    site_monday = SiteCell.objects.get(stratum=stratum_a, week=dt.date(2026, 3, 2))
    assert (site_monday.audited, site_monday.passed, site_monday.critical_failed) == (2, 0, 1)
    vendor_monday = VendorCell.objects.get(stratum=stratum_a, week=dt.date(2026, 3, 2))
    assert (vendor_monday.audited, vendor_monday.passed) == (2, 0)


def test_refreshing_again_or_out_of_order_changes_nothing(program, step, auditor, manager):
    audits = program["a"] + program["b"]
    for audit in audits:
        step(lifecycle.submit_audit, audit, auditor, answers=ALL_GOOD)
    step(lifecycle.reopen_audit, audits[0], manager, "Recheck.")
    step(lifecycle.submit_audit, audits[0], auditor, answers=CRITICAL_MISS)
    after_steps, sites_after_steps = stored_cells(), stored_site_cells()

    refresh_rollups([audit.pk for audit in reversed(audits)])
    refresh_rollups([audits[0].pk, audits[0].pk])
    refresh_rollups([])

    assert stored_cells() == after_steps
    assert stored_site_cells() == sites_after_steps
    assert stored_cells(drop_zero_categories=True) == counted_from_audits()
    assert stored_site_cells(drop_zero_categories=True) == counted_from_audits(agents=False)


def test_a_refresh_catches_up_with_writes_that_bypassed_the_lifecycle(program, step, auditor):
    for audit in program["a"]:
        step(lifecycle.submit_audit, audit, auditor, answers=ALL_GOOD)
    Audit.objects.filter(pk=program["a"][2].pk).update(passed=False)  # e.g. a data fix

    refresh_rollups([program["a"][2].pk])

    assert stored_cells(drop_zero_categories=True) == counted_from_audits()
    assert stored_site_cells(drop_zero_categories=True) == counted_from_audits(agents=False)
    assert stored_vendor_cells(drop_zero_categories=True) == counted_from_audits(
        agents=False, sites=False
    )


def test_unsubmitted_and_unknown_audits_write_no_cells(program):
    assert refresh_rollups([audit.pk for audit in program["a"]] + [10**9]) == 0
    assert rebuild_rollups() == 0
    assert not AuditCell.objects.exists()
    assert not SiteCell.objects.exists() and not VendorCell.objects.exists()
