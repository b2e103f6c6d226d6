"""On a real Celery worker a submitted audit's cell is refreshed by the worker, not in the web
process. (That the demo's bulk-scored audits reach the cells is checked on the one seeded
demo: tests/test_seed_demo.py.)"""

import time

import pytest

from audits import lifecycle
from rollups.models import AuditCell
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits

WAIT_SECONDS = 60


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
