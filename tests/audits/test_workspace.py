"""The auditor's workspace pages: the queue, the scoring page, the audit page, ad hoc audits."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from audits import lifecycle
from audits.models import Audit, AuditStatus
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits, published_form
from tests.factories import TicketFactory, UserFactory, WorkflowFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(version, auditor, workflow, site_a):
    """Three audits due in 30, 5 and 50 hours."""
    return assigned_audits(auditor, workflow, 3, site=site_a, due_in_hours=(30, 5, 50))


def score_url(audit):
    return reverse("audits:audit_score", args=[audit.pk])


def answers_post(answers, **extra):
    return {**{f"q_{key}": value for key, value in answers.items()}, **extra}


# ----- the queue ----------------------------------------------------------------------------


def test_the_queue_lists_my_open_audits_soonest_due_first(client_as, auditor, queue):
    soonest, middle, latest = sorted(queue, key=lambda a: a.due_at)
    lifecycle.submit_audit(latest, auditor, answers=ALL_GOOD)
    someone_elses = assigned_audits(
        UserFactory(email="b@example.com", role=Role.QA_AUDITOR), queue[0].ticket.workflow
    )[0]

    page = client_as(auditor).get(reverse("audits:queue")).content.decode()

    assert page.index(str(soonest.ticket)) < page.index(str(middle.ticket))
    assert str(latest.ticket) not in page.split("<tbody>")[1]  # submitted: not in the queue
    assert str(someone_elses.ticket) not in page
    assert '<div class="value">2</div><div class="label">open</div>' in page
    assert '<div class="value">1</div><div class="label">submitted today</div>' in page
    assert "Start next" in page


def test_start_next_opens_the_soonest_due_audit(client_as, auditor, queue):
    soonest = min(queue, key=lambda a: a.due_at)

    response = client_as(auditor).post(reverse("audits:queue_next"))

    assert response.status_code == 302 and response["Location"] == score_url(soonest)


def test_the_queue_page_costs_the_same_queries_for_3_or_30_audits(
    client_as, auditor, queue, site_a, django_assert_num_queries
):
    client = client_as(auditor)
    client.get(reverse("audits:queue"))  # warm the session
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("audits:queue"))
    other = WorkflowFactory(name="Spam (ES)", slug="spam-es")
    published_form(other, name="Spam scorecard")
    assigned_audits(auditor, other, 27, site=site_a)

    with django_assert_num_queries(len(three.captured_queries)):
        page = client.get(reverse("audits:queue")).content.decode()

    assert page.count("Open</a>") == 30 and "Spam (ES)" in page


def test_vendor_pocs_have_no_queue(client_as, poc_a):
    assert client_as(poc_a).get(reverse("audits:queue")).status_code == 403


# ----- the scoring page ---------------------------------------------------------------------


def test_the_scoring_page_shows_the_ticket_beside_the_form_and_starts_the_audit(
    client_as, auditor, queue
):
    audit = queue[0]
    ticket = audit.ticket
    ticket.handled_at = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)
    ticket.save()

    page = client_as(auditor).get(score_url(audit)).content.decode()

    assert "Reported post number" in page and ticket.decision in page
    assert "1 Mar 2026 18:00" in page and "Asia/Manila" in page  # the site's clock
    assert "Was the right action taken?" in page
    assert "Compare with the policy&#x27;s examples." in page  # guidance
    assert "Policy error" in page  # the error category hint
    assert 'data-kind="scale"' in page and "js/scoring.js" in page
    audit.refresh_from_db()
    assert audit.status == AuditStatus.IN_PROGRESS


def test_submitting_with_missing_answers_names_each_question(client_as, auditor, queue):
    audit = queue[0]
    client = client_as(auditor)

    response = client.post(score_url(audit), answers_post({"right_action": "yes"}, submit="1"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "3 questions need an answer or a fix" in page
    for label in ("2. Was the correct policy cited?", "3. Tone of the reply", "4. Escalation"):
        assert label in page
    audit.refresh_from_db()
    assert audit.status == AuditStatus.IN_PROGRESS and audit.answers == {"right_action": "yes"}


def test_submit_and_next_opens_the_next_audit_in_the_queue(client_as, auditor, queue):
    first, second, _ = sorted(queue, key=lambda a: a.due_at)
    client = client_as(auditor)
    client.get(score_url(first))

    response = client.post(
        score_url(first), answers_post(ALL_GOOD, next="1", time_spent_seconds="75")
    )

    assert response.status_code == 302 and response["Location"] == score_url(second)
    first.refresh_from_db()
    assert first.status == AuditStatus.SUBMITTED and first.time_spent_seconds == 75


def test_another_auditor_cannot_open_or_autosave_my_audit(client_as, queue):
    intruder = client_as(UserFactory(email="c@example.com", role=Role.QA_AUDITOR))
    audit = queue[0]

    assert intruder.get(score_url(audit)).status_code == 403
    response = intruder.post(
        reverse("audits:audit_draft", args=[audit.pk]),
        json.dumps({"answers": {"tone": "1"}}),
        content_type="application/json",
    )
    assert response.status_code == 403


def test_autosave_keeps_the_draft_and_the_time_spent(client_as, auditor, queue):
    audit = queue[0]

    response = client_as(auditor).post(
        reverse("audits:audit_draft", args=[audit.pk]),
        json.dumps(
            {
                "answers": {"tone": "4", "right_action": ""},
                "comments": {"tone": "Curt"},
                "time_spent_seconds": 42,
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["answered"] == 1
    audit.refresh_from_db()
    assert audit.answers == {"tone": "4"} and audit.comments == {"tone": "Curt"}
    assert (audit.time_spent_seconds, audit.status) == (42, AuditStatus.IN_PROGRESS)


def test_the_last_chance_beacon_saves_a_form_encoded_draft(client_as, auditor, queue):
    audit = queue[0]

    response = client_as(auditor).post(
        reverse("audits:audit_draft", args=[audit.pk]),
        {"payload": json.dumps({"answers": {"right_action": "no"}, "time_spent_seconds": 9})},
    )

    assert response.status_code == 200
    audit.refresh_from_db()
    assert audit.answers == {"right_action": "no"} and audit.time_spent_seconds == 9


# ----- the audit page, reopening ------------------------------------------------------------


def test_the_audit_page_shows_score_sections_trail_and_history_of_a_reopen(
    client_as, auditor, manager, queue
):
    audit = queue[0]
    lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)
    lead = client_as(manager)

    page = lead.get(reverse("audits:audit_detail", args=[audit.pk])).content.decode()
    assert "100.0" in page and "Reopen for rescoring" in page
    response = lead.post(
        reverse("audits:audit_reopen", args=[audit.pk]), {"reason": "Tone needs a second look"}
    )
    assert response.status_code == 302
    lifecycle.submit_audit(audit, auditor, answers={**ALL_GOOD, "tone": "2"})

    page = lead.get(reverse("audits:audit_detail", args=[audit.pk])).content.decode()
    assert "Reopened" in page and "Tone needs a second look" in page
    assert "3. Tone of the reply: <del>5</del> → <ins>2</ins>" in page
    assert "Decision" in page and "Handling" in page  # section scores


def test_an_auditor_cannot_reopen_and_a_lead_needs_a_reason(client_as, auditor, manager, queue):
    audit = queue[0]
    lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)
    url = reverse("audits:audit_reopen", args=[audit.pk])

    assert client_as(auditor).post(url, {"reason": "oops"}).status_code == 403
    assert (
        "Reopen for rescoring"
        not in client_as(auditor)
        .get(reverse("audits:audit_detail", args=[audit.pk]))
        .content.decode()
    )
    client_as(manager).post(url, {"reason": ""})
    audit.refresh_from_db()
    assert audit.status == AuditStatus.SUBMITTED


def test_a_lead_makes_a_submitted_audit_final_and_an_auditor_cannot(
    client_as, auditor, manager, queue
):
    audit = queue[0]
    lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)
    url = reverse("audits:audit_finalise", args=[audit.pk])

    assert client_as(auditor).post(url).status_code == 403
    assert (
        "Make final"
        in client_as(manager).get(reverse("audits:audit_detail", args=[audit.pk])).content.decode()
    )
    client_as(manager).post(url)
    audit.refresh_from_db()
    assert audit.status == AuditStatus.FINAL and audit.finalised_at is not None


def test_a_vendor_poc_sees_only_their_final_audits_and_never_internal_notes(
    client_as, auditor, manager, queue, poc_a, vendor_b, site_b, workflow
):
    submitted, final, _ = queue
    for audit in (submitted, final):
        lifecycle.submit_audit(
            audit, auditor, answers=ALL_GOOD, internal_note="Agent seems to guess"
        )
    lifecycle.finalise_audit(final, manager)
    lifecycle.reopen_audit(final, manager, "Second opinion from the calibration lead")
    lifecycle.submit_audit(final, auditor, answers={**ALL_GOOD, "tone": "4"})
    lifecycle.finalise_audit(final, manager)
    (theirs,) = assigned_audits(auditor, workflow, site=site_b)
    lifecycle.submit_audit(theirs, auditor, answers=ALL_GOOD)
    lifecycle.finalise_audit(theirs, manager)
    client = client_as(poc_a)

    def detail(audit):
        return client.get(reverse("audits:audit_detail", args=[audit.pk]))

    assert detail(submitted).status_code == 404
    assert detail(theirs).status_code == 404
    page = detail(final)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Agent seems to guess" not in text
    assert "calibration lead" not in text and auditor.email not in text  # QA's trail stays in
    assert "<del>5</del> → <ins>4</ins>" in text  # but the change to the score is shown
    assert (
        "Agent seems to guess"
        in client_as(manager).get(reverse("audits:audit_detail", args=[final.pk])).content.decode()
    )


# ----- ad hoc -------------------------------------------------------------------------------


def test_an_auditor_finds_a_ticket_by_id_and_starts_an_unsampled_audit(
    client_as, auditor, version, workflow
):
    ticket = TicketFactory(workflow=workflow, external_id="ZD-99812")
    client = client_as(auditor)

    page = client.get(reverse("audits:adhoc_audit"), {"q": "ZD-99812"}).content.decode()
    assert "Start unsampled audit" in page and str(version) in page

    response = client.post(
        reverse("audits:adhoc_audit"), {"ticket": ticket.pk, "version": version.pk}
    )
    audit = Audit.objects.get(ticket=ticket)
    assert response.status_code == 302 and response["Location"] == score_url(audit)
    assert audit.unsampled and audit.auditor == auditor


def test_ad_hoc_search_says_when_no_ticket_matches(client_as, auditor):
    page = client_as(auditor).get(reverse("audits:adhoc_audit"), {"q": "nope"}).content.decode()
    assert "No ticket has the id “nope”" in page
