"""The demo's bulk-scored audits reach the scorecard cells, and on a real Celery worker a
submitted audit's cell is refreshed by the worker, not in the web process."""

import io
import time

import pytest
from django.core.management import call_command

from audits import lifecycle
from rollups.models import AuditCell
from rollups.writer import rebuild_rollups
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits
from tests.rollups.rollup_helpers import counted_from_audits, stored_cells

WAIT_SECONDS = 60


@pytest.mark.django_db
def test_seeding_the_demo_leaves_cells_equal_to_a_rebuild(settings):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", tickets=600, stdout=io.StringIO())

    seeded = stored_cells()
    assert seeded, "the demo scores audits, so some cells must exist"
    assert stored_cells(drop_zero_categories=True) == counted_from_audits()
    rebuild_rollups()
    assert stored_cells() == seeded


@pytest.mark.celery_worker
def test_a_real_worker_refreshes_the_cell_of_a_submitted_audit(
    live_celery_worker, version, auditor, workflow, site_a
):
    audit = assigned_audits(auditor, workflow, site=site_a)[0]

    lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)  # queues the refresh on commit

    deadline = time.monotonic() + WAIT_SECONDS
    while not AuditCell.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    cell = AuditCell.objects.get()
    assert (cell.stratum_id, cell.agent_id, cell.audited, cell.passed) == (
        audit.sampled_ticket.stratum_id,
        audit.ticket.agent_id,
        1,
        1,
    )
    assert "rollups.tasks.flush_rollups[" in live_celery_worker.log()
