"""The audits API: forms to read, audits to list, open and submit, with the pages' scoping."""

import pytest

from accounts.models import Role
from audits import lifecycle
from audits.models import Audit, AuditStatus
from tests.audits.workspace_helpers import (
    ALL_GOOD,
    assign_tickets,
    assigned_audits,
    sample_run,
)
from tests.factories import TicketFactory, UserFactory, enrol_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def audits(version, auditor, workflow, site_a, site_b, manager):
    """Vendor A: one final, one submitted, one assigned audit; vendor B: one final audit."""
    a_final, a_submitted, a_open = assigned_audits(auditor, workflow, 3, site=site_a)
    (b_final,) = assigned_audits(auditor, workflow, 1, site=site_b)
    for audit in (a_final, a_submitted, b_final):
        lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD, internal_note="Agent is new")
    for audit in (a_final, b_final):
        lifecycle.finalise_audit(audit, manager)
    return {"a_final": a_final, "a_submitted": a_submitted, "a_open": a_open, "b_final": b_final}


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


# ----- scoping ------------------------------------------------------------------------------


def test_a_vendor_poc_lists_only_their_vendors_final_audits_without_internal_notes(
    client_as, poc_a, audits
):
    rows = results(client_as(poc_a).get("/api/v1/audits/"))

    assert [row["id"] for row in rows] == [audits["a_final"].pk]
    assert "internal_note" not in rows[0]
    detail = client_as(poc_a).get(f"/api/v1/audits/{audits['a_final'].pk}/").json()
    assert "internal_note" not in detail and detail["score"] == "100.00"


def test_a_vendor_poc_is_not_told_who_audited(client_as, poc_a, auditor, audits):
    client = client_as(poc_a)

    rows = results(client.get("/api/v1/audits/"))
    assert rows and all("auditor" not in row for row in rows)
    response = client.get(f"/api/v1/audits/?auditor={auditor.pk}")
    assert response.status_code == 400 and "auditor" in response.json()


@pytest.mark.parametrize("which", ["b_final", "a_submitted", "a_open"])
def test_a_vendor_poc_gets_404_for_another_vendors_or_unfinalised_audits(
    client_as, poc_a, audits, which
):
    assert client_as(poc_a).get(f"/api/v1/audits/{audits[which].pk}/").status_code == 404


def test_a_vendor_poc_cannot_submit_or_create_audits(client_as, poc_a, audits, version):
    client = client_as(poc_a)
    response = client.post(
        f"/api/v1/audits/{audits['a_open'].pk}/submit/",
        {"answers": ALL_GOOD},
        content_type="application/json",
    )
    assert response.status_code == 404
    ticket = audits["a_open"].ticket
    response = client.post(
        "/api/v1/audits/",
        {"ticket": ticket.pk, "form_version": version.pk},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Audit.objects.filter(unsampled=True).count() == 0


def test_staff_see_internal_notes_and_filter_audits(client_as, manager, audits, vendor_b, auditor):
    client = client_as(manager)

    rows = results(client.get(f"/api/v1/audits/?vendor={vendor_b.pk}"))
    assert [row["id"] for row in rows] == [audits["b_final"].pk]
    assert rows[0]["internal_note"] == "Agent is new"
    final = results(client.get("/api/v1/audits/?status=final"))
    assert {row["id"] for row in final} == {audits["a_final"].pk, audits["b_final"].pk}
    submitted = results(
        client.get(
            "/api/v1/audits/?status=submitted&status=final&submitted_after=2000-01-01T00:00:00Z"
        )
    )
    assert len(submitted) == 3
    assert results(client.get("/api/v1/audits/?submitted_before=2000-01-01T00:00:00Z")) == []
    assert len(results(client.get(f"/api/v1/audits/?auditor={auditor.pk}&status=assigned"))) == 1


# ----- forms --------------------------------------------------------------------------------


def test_published_forms_come_with_sections_questions_and_choices(
    client_as, auditor, version, workflow
):
    rows = results(client_as(auditor).get(f"/api/v1/forms/?workflow={workflow.pk}"))

    assert [row["id"] for row in rows] == [version.pk]
    sections = rows[0]["sections"]
    assert [s["key"] for s in sections] == ["decision", "handling"]
    escalation = sections[1]["questions"][1]
    assert [c["value"] for c in escalation["choices"]] == ["not_needed", "done", "missed"]
    assert sections[0]["questions"][0]["critical"] is True


# ----- creating and submitting --------------------------------------------------------------


def test_the_assigned_auditor_opens_an_audit_from_an_assignment_once(
    client_as, auditor, version, workflow
):
    run = sample_run()
    (assignment,) = assign_tickets(run, [TicketFactory(workflow=workflow)], auditor)
    client = client_as(auditor)

    first = client.post(
        "/api/v1/audits/", {"sampled_ticket": assignment.pk}, content_type="application/json"
    )
    again = client.post(
        "/api/v1/audits/", {"sampled_ticket": assignment.pk}, content_type="application/json"
    )

    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["status"] == "assigned"
    assert Audit.objects.filter(sampled_ticket=assignment).count() == 1


def test_another_auditor_cannot_open_someone_elses_assignment(
    client_as, auditor, version, workflow
):
    run = sample_run()
    (assignment,) = assign_tickets(run, [TicketFactory(workflow=workflow)], auditor)
    other = UserFactory(email="someone.else@example.com", role=Role.QA_AUDITOR)

    response = client_as(other).post(
        "/api/v1/audits/", {"sampled_ticket": assignment.pk}, content_type="application/json"
    )

    assert response.status_code == 403
    assert not Audit.objects.exists()


def test_an_ad_hoc_audit_is_created_unsampled(client_as, auditor, version, workflow):
    ticket = TicketFactory(workflow=workflow)

    response = client_as(auditor).post(
        "/api/v1/audits/",
        {"ticket": ticket.pk, "form_version": version.pk},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response.json()["unsampled"] is True and response.json()["status"] == "in_progress"


def test_submitting_reports_each_unanswered_question_then_scores(client_as, auditor, audits):
    audit = audits["a_open"]
    client = client_as(auditor)

    refused = client.post(
        f"/api/v1/audits/{audit.pk}/submit/",
        {"answers": {"right_action": "yes"}},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert [p["question"] for p in refused.json()["problems"]] == [
        "policy_cited",
        "tone",
        "escalation",
    ]
    assert refused.json()["problems"][1]["label"] == "3. Tone of the reply"

    accepted = client.post(
        f"/api/v1/audits/{audit.pk}/submit/",
        {"answers": {**ALL_GOOD, "tone": "3"}, "time_spent_seconds": 80},
        content_type="application/json",
    )
    assert accepted.status_code == 200, accepted.content
    body = accepted.json()
    assert body["status"] == AuditStatus.SUBMITTED and body["passed"] is True
    assert body["time_spent_seconds"] == 80


def test_a_draft_saved_over_the_api_keeps_partial_answers(client_as, auditor, audits):
    audit = audits["a_open"]

    response = client_as(auditor).post(
        f"/api/v1/audits/{audit.pk}/draft/",
        {"answers": {"tone": "2", "unknown": "yes"}, "time_spent_seconds": 12},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["answers"] == {"tone": "2"}
    assert response.json()["status"] == "in_progress"


def test_only_the_assigned_auditor_submits_over_the_api(client_as, manager, audits):
    response = client_as(manager).post(
        f"/api/v1/audits/{audits['a_open'].pk}/submit/",
        {"answers": ALL_GOOD},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_a_vendor_b_poc_gets_404_on_vendor_as_final_audit(client_as, audits, vendor_b):
    poc_b = UserFactory(email="poc@borealis.example", role=Role.VENDOR_POC, vendor=vendor_b)
    enrol_totp(poc_b)
    client = client_as(poc_b)

    assert client.get(f"/api/v1/audits/{audits['a_final'].pk}/").status_code == 404
    assert [row["id"] for row in results(client.get("/api/v1/audits/"))] == [audits["b_final"].pk]


def test_the_schema_documents_the_audit_endpoints(client_as, auditor):
    response = client_as(auditor).get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in ("/api/v1/audits/{id}/submit/", "/api/v1/forms/", "/api/v1/audits/"):
        assert path in text
