"""A sampled ticket carries its audit's verdict while the audit is scored, so the next draws
learn past error rates from sampling's own table: the lifecycle keeps it in step, and a
database with audits from before the column has it filled in by the migration."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from audits import lifecycle
from sampling.models import SampledTicket
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits

WRONG_ACTION = {**ALL_GOOD, "right_action": "no"}  # a failed critical question: not passed


def verdicts(audits):
    return [SampledTicket.objects.get(pk=a.sampled_ticket_id).passed for a in audits]


@pytest.mark.django_db
def test_the_verdict_follows_the_audit_through_submission_and_reopening(
    version, auditor, workflow, site_a, manager
):
    passing, failing, untouched = assigned_audits(auditor, workflow, count=3, site=site_a)
    lifecycle.submit_audit(passing, auditor, answers=ALL_GOOD)
    lifecycle.submit_audit(failing, auditor, answers=WRONG_ACTION)
    assert verdicts([passing, failing, untouched]) == [True, False, None]

    # Reopened, the audit no longer carries a score; rescored, its new verdict counts.
    lifecycle.reopen_audit(passing, manager, "Check the escalation again.")
    assert verdicts([passing]) == [None]
    lifecycle.submit_audit(passing, auditor, answers=WRONG_ACTION)
    assert verdicts([passing]) == [False]

    lifecycle.finalise_audit(failing, manager)
    assert verdicts([failing]) == [False]


BEFORE_THE_VERDICT = ("sampling", "0005_alter_sampledticket_ticket_alter_samplingplan_form")


@pytest.mark.slow  # it migrates the test database back and forth
@pytest.mark.django_db(transaction=True)
def test_a_database_with_audits_before_the_verdict_column_gets_their_verdicts(
    version, auditor, workflow, site_a, manager
):
    passing, failing, reopened, untouched = assigned_audits(
        auditor, workflow, count=4, site=site_a
    )
    lifecycle.submit_audit(passing, auditor, answers=ALL_GOOD)
    lifecycle.submit_audit(failing, auditor, answers=WRONG_ACTION)
    lifecycle.finalise_audit(failing, manager)
    lifecycle.submit_audit(reopened, auditor, answers=ALL_GOOD)
    lifecycle.reopen_audit(reopened, manager, "Look again.")  # keeps its old passed=True

    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([BEFORE_THE_VERDICT])
    try:
        old = executor.loader.project_state([BEFORE_THE_VERDICT]).apps
        columns = {f.name for f in old.get_model("sampling", "SampledTicket")._meta.fields}
        assert "passed" not in columns
    finally:
        MigrationExecutor(connection).migrate(latest)

    assert verdicts([passing, failing, reopened, untouched]) == [True, False, None, None]
