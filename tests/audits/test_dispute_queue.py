"""The leads' dispute queue, filtered by vendor, status, overdue and disputed question; and
the decision page, which shows the ticket's content, every answer of the audit with the
auditor's comments, and the vendor's reason on each disputed question."""

import datetime as dt

import pytest
import time_machine
from django.test import TestCase

from audits import disputes, lifecycle
from audits.disputes import Decision
from audits.models import Audit, Dispute
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits, published_form
from tests.conftest import answered_from_the_program, rows_for_every_test
from tests.people_and_places import two_vendors_people_and_places, vendor_poc

pytestmark = pytest.mark.django_db

QUEUE = "/audits/disputes/"
NOW = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)
FLAWED = {**ALL_GOOD, "policy_cited": "fail", "tone": "2"}
COMMENTS = {"policy_cited": "No policy reference in the reply.", "tone": "Curt closing line."}


@pytest.fixture(autouse=True)
def frozen(time_machine, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    time_machine.move_to(NOW, tick=False)


def final_audit(auditor, manager, workflow, site) -> Audit:
    audit = assigned_audits(auditor, workflow, site=site)[0]
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.submit_audit(audit, auditor, answers=FLAWED, comments=COMMENTS)
        return lifecycle.finalise_audit(audit, manager)


def three_disputes() -> dict:
    """Three disputes: A's open one on the tone, A's overdue one on the policy citation,
    and B's resolved one on the tone; among tests/conftest.py's people and places, made as its
    fixtures make them."""
    program = two_vendors_people_and_places()
    manager, auditor, workflow = program["manager"], program["auditor"], program["workflow"]
    published_form(workflow, by=manager)
    poc_a, poc_b = vendor_poc(program["vendor_a"]), vendor_poc(program["vendor_b"])
    on_tone = disputes.raise_dispute(
        final_audit(auditor, manager, workflow, program["site_a"]),
        poc_a,
        {"tone": "The closing line is our approved template."},
    )
    overdue = disputes.raise_dispute(
        final_audit(auditor, manager, workflow, program["site_a"]),
        poc_a,
        {"policy_cited": "Policy 4.2 is cited in line two."},
    )
    Dispute.objects.filter(pk=overdue.pk).update(due_at=NOW - dt.timedelta(hours=2))
    resolved = disputes.raise_dispute(
        final_audit(auditor, manager, workflow, program["site_b"]),
        poc_b,
        {"tone": "Polite enough."},
    )
    lead = manager
    disputes.resolve_dispute(resolved, lead, {"tone": Decision("upheld", "It was curt.")})
    queue = {"on_tone": on_tone, "overdue": overdue, "resolved": resolved}
    return {**program, "poc_a": poc_a, "queue": queue}


@pytest.fixture(scope="class")
def program(django_db_setup, django_db_blocker):
    """The three disputes, built once (on the frozen clock) for the class whose tests read them."""
    with time_machine.travel(NOW, tick=False):
        yield from rows_for_every_test(django_db_blocker, three_disputes)


def listed(response) -> set[int]:
    return set(response.context["rows"] and [r["dispute"].pk for r in response.context["rows"]])


def test_the_queue_counts_each_disputes_questions_under_a_question_filter(
    client_as, manager, auditor, workflow, site_a, poc_a, version
):
    two = disputes.raise_dispute(
        final_audit(auditor, manager, workflow, site_a),
        poc_a,
        {"tone": "Fine.", "policy_cited": "Cited."},
    )
    response = client_as(manager).get(QUEUE, {"question": "tone"})
    [row] = response.context["rows"]
    assert row["dispute"].pk == two.pk and row["dispute"].question_count == 2


class TestTheThreeDisputes:
    """The tests that read the queue of three disputes, built once for the class on the frozen
    clock. A class, not the module, holds them and their program: the question-count test
    above needs a queue without them."""

    # The people, places and disputes the tests ask for are the program's.
    (manager, auditor, vendor_a, vendor_b, poc_a, queue) = answered_from_the_program(
        "manager", "auditor", "vendor_a", "vendor_b", "poc_a", "queue", in_a_class=True
    )

    def test_the_queue_filters_by_vendor_status_overdue_and_question(
        self, client_as, manager, queue, vendor_a, vendor_b
    ):
        client = client_as(manager)
        on_tone, overdue, resolved = queue["on_tone"].pk, queue["overdue"].pk, queue["resolved"].pk

        assert listed(client.get(QUEUE)) == {on_tone, overdue, resolved}
        assert listed(client.get(QUEUE, {"vendor": vendor_a.slug})) == {on_tone, overdue}
        assert listed(client.get(QUEUE, {"vendor": vendor_b.slug})) == {resolved}
        assert listed(client.get(QUEUE, {"status": "open"})) == {on_tone, overdue}
        assert listed(client.get(QUEUE, {"status": "resolved"})) == {resolved}
        assert listed(client.get(QUEUE, {"overdue": "on"})) == {overdue}
        assert listed(client.get(QUEUE, {"question": "tone"})) == {on_tone, resolved}
        assert listed(
            client.get(QUEUE, {"question": "tone", "status": "open", "vendor": vendor_a.slug})
        ) == {on_tone}

    def test_the_question_filter_offers_the_disputed_questions_by_their_wording(
        self, client_as, manager, queue
    ):
        page = client_as(manager).get(QUEUE).content.decode()
        assert '<option value="tone">Tone of the reply</option>' in page
        assert '<option value="policy_cited">Was the correct policy cited?</option>' in page
        assert '<option value="right_action">' not in page  # never disputed

    @pytest.mark.parametrize(
        "query, field",
        [
            ({"vendor": "no-such-vendor"}, "Vendor"),
            ({"status": "pending"}, "Status"),
            ({"question": "made_up"}, "Disputed question"),
        ],
    )
    def test_a_bad_filter_is_a_400_naming_the_field(self, client_as, manager, queue, query, field):
        response = client_as(manager).get(QUEUE, query)
        assert response.status_code == 400
        page = response.content.decode()
        assert f"<strong>{field}</strong>: Select a valid choice." in page
        assert not response.context["rows"]

    def test_a_nul_character_in_a_filter_is_a_400(self, client_as, manager, queue):
        assert client_as(manager).get(QUEUE, {"vendor": "acme\x00"}).status_code == 400

    def test_the_decision_page_shows_the_ticket_every_answer_with_comments_and_the_reason(
        self, client_as, manager, queue
    ):
        dispute = queue["on_tone"]
        ticket = dispute.audit.ticket
        page = client_as(manager).get(f"/audits/disputes/{dispute.pk}/").content.decode()

        assert ticket.excerpt and ticket.excerpt in page
        assert f"/audits/tickets/{ticket.pk}/" in page
        answers = page[page.index('id="answers"') :]
        for wording in (
            "Was the right action taken?",
            "Was the correct policy cited?",
            "Tone of the reply",
            "Escalation",
        ):
            assert wording in answers
        assert "Auditor's comment:</span> No policy reference in the reply." in answers
        assert "Curt closing line." in answers
        assert answers.count('<span class="badge">disputed</span>') == 1
        assert "Vendor's reason: “The closing line is our approved template.”" in page
        disputed = page[page.index('class="disputed-question"') : page.index('id="answers"')]
        assert "Auditor's answer: <strong>2</strong> · comment: “Curt closing line.”" in disputed

    def test_a_poc_sees_their_own_dispute_page_with_the_ticket_but_not_another_vendors(
        self, client_as, poc_a, queue
    ):
        client = client_as(poc_a)
        own = client.get(f"/audits/disputes/{queue['on_tone'].pk}/")
        assert own.status_code == 200
        assert queue["on_tone"].audit.ticket.excerpt in own.content.decode()
        assert client.get(f"/audits/disputes/{queue['resolved'].pk}/").status_code == 404
        assert client.get(QUEUE, {"vendor": "acme"}).status_code == 404

    def test_an_auditor_may_read_the_queue_but_the_filters_still_apply(
        self, client_as, auditor, queue
    ):
        response = client_as(auditor).get(QUEUE, {"overdue": "on"})
        assert response.status_code == 200 and listed(response) == {queue["overdue"].pk}
