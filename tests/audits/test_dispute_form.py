"""The POC's dispute form lists only what can be disputed: answered questions (not N/A) not
decided in an earlier dispute of the audit; the rule itself refuses N/A questions too."""

import pytest
from django.test import TestCase

from audits import disputes, lifecycle
from audits.disputes import Decision
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits

pytestmark = pytest.mark.django_db

# The policy question is N/A (it allows it); tone got a 2, which the vendor may contest.
WITH_NA = {**ALL_GOOD, "policy_cited": "na", "tone": "2"}


@pytest.fixture
def audit(version, auditor, manager, workflow, site_a):
    audit = assigned_audits(auditor, workflow, site=site_a)[0]
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.submit_audit(audit, auditor, answers=WITH_NA)
        return lifecycle.finalise_audit(audit, manager)


def listed_questions(client, audit) -> set[str]:
    response = client.get(f"/audits/{audit.pk}/dispute/")
    assert response.status_code == 200
    return {item["q"].key for item in response.context["questions"]}


def test_the_form_leaves_out_a_question_answered_na(audit, poc_a, client_as):
    client = client_as(poc_a)

    assert listed_questions(client, audit) == {"right_action", "tone", "escalation"}
    page = client.get(f"/audits/{audit.pk}/dispute/").content.decode()
    assert 'name="reason_policy_cited"' not in page
    assert "1 question not listed: answered N/A or decided in an earlier dispute" in page


def test_a_posted_na_question_is_refused_naming_it(audit, poc_a, client_as):
    response = client_as(poc_a).post(
        f"/audits/{audit.pk}/dispute/", {"reason_policy_cited": "It applied."}
    )

    # The field is not on the form, so nothing of it is read: no question chosen.
    assert response.status_code == 400
    with pytest.raises(disputes.DisputeError, match="N/A or not answered.*policy_cited"):
        disputes.raise_dispute(audit, poc_a, {"policy_cited": "It applied."})


def test_after_a_decision_the_decided_question_is_no_longer_offered(
    audit, poc_a, manager, client_as
):
    dispute = disputes.raise_dispute(audit, poc_a, {"tone": "The reply was polite."})
    disputes.resolve_dispute(dispute, manager, {"tone": Decision("upheld", "A 2 is right.")})
    audit.refresh_from_db()

    assert listed_questions(client_as(poc_a), audit) == {"right_action", "escalation"}
    assert disputes.disputable_questions(audit) == {"right_action", "escalation"}
