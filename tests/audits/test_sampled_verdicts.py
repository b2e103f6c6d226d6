"""A sampled ticket carries its audit's verdict while the audit is scored, so the next draws
learn past error rates from sampling's own table: the lifecycle keeps it in step. (That a
database with audits from before the column has it filled in by the migration is checked by
tests/test_apps_split_migration.py: its trip back to the old layout drops the column too.)"""

import pytest

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

