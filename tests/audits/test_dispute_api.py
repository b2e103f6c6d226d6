"""Disputes over the API: a vendor POC raises one on a final audit of their vendor, a QA lead
who did not audit it resolves it (rescored, history kept); the window, the roles and the
vendor scoping answer as they do on the pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from audits import disputes, lifecycle
from audits.models import Audit, AuditEvent, AuditStatus, Dispute, DisputedQuestion
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The vendor disagrees: the policy citation was marked failed and the tone a 2.
FLAWED = {**ALL_GOOD, "policy_cited": "fail", "tone": "2"}
OVERTURN_POLICY = {
    "decisions": [
        {
            "question_key": "policy_cited",
            "decision": "overturned",
            "reply": "Cited in the second paragraph.",
            "corrected_answer": "pass",
        }
    ]
}


def final_audit(auditor, lead, workflow, site) -> Audit:
    audit = assigned_audits(auditor, workflow, site=site)[0]
    lifecycle.submit_audit(audit, auditor, answers=FLAWED)
    return lifecycle.finalise_audit(audit, lead)


@pytest.fixture
def lead(db):
    return UserFactory(email="lead@example.com", role=Role.PROGRAM_MANAGER)


@pytest.fixture
def audit(version, manager, lead, workflow, site_a):
    """Vendor A's final audit, scored by the manager (a lead) and finalised by another."""
    return final_audit(manager, lead, workflow, site_a)


def post(client, path, body):
    return client.post(path, body, content_type="application/json")


def raise_over_api(client, audit, questions):
    return post(
        client,
        "/api/v1/disputes/",
        {
            "audit": audit.pk,
            "questions": [{"question_key": key, "reason": reason} for key, reason in questions],
        },
    )


def test_a_poc_raises_a_dispute_and_a_lead_who_did_not_audit_resolves_it(
    client_as, audit, poc_a, lead
):
    score_before, history_before = audit.score, audit.history.count()

    raised = raise_over_api(
        client_as(poc_a),
        audit,
        [("policy_cited", "Policy 4.2 is cited."), ("tone", "The tone was polite.")],
    )

    assert raised.status_code == 201, raised.content
    body = raised.json()
    assert (body["audit"], body["status"], body["score_before"]) == (
        audit.pk,
        "open",
        str(score_before),
    )
    assert {q["question_key"]: q["original_answer"] for q in body["questions"]} == {
        "policy_cited": "fail",
        "tone": "2",
    }
    assert "resolved_by" not in body  # vendors are not told which lead decided
    assert Audit.objects.get(pk=audit.pk).status == AuditStatus.DISPUTED

    resolved = post(
        client_as(lead),
        f"/api/v1/disputes/{body['id']}/resolve/",
        {
            "decisions": [
                *OVERTURN_POLICY["decisions"],
                {"question_key": "tone", "decision": "upheld", "reply": "A 2 is right."},
            ]
        },
    )

    assert resolved.status_code == 200, resolved.content
    result = resolved.json()
    audit.refresh_from_db()
    assert audit.status == AuditStatus.FINAL and audit.answers["policy_cited"] == "pass"
    assert audit.score > score_before
    assert (result["status"], result["resolved_by"], result["score_after"]) == (
        "resolved",
        lead.pk,
        str(audit.score),
    )
    decided = {q["question_key"]: q for q in result["questions"]}
    assert (decided["policy_cited"]["decision"], decided["policy_cited"]["corrected_answer"]) == (
        "overturned",
        "pass",
    )
    assert decided["tone"]["reply"] == "A 2 is right."
    # The rescoring went through audits.disputes: a history row and a "rescored" event.
    assert audit.history.count() == history_before + 4
    assert (
        audit.history.filter(
            history_change_reason__contains="rescored by dispute", history_user=lead
        )
        .get()
        .score
        == audit.score
    )
    assert audit.events.filter(kind=AuditEvent.Kind.RESCORED).count() == 1


def test_the_audits_own_auditor_cannot_resolve_even_as_a_lead(
    client_as, audit, poc_a, manager, auditor
):
    dispute = disputes.raise_dispute(audit, poc_a, {"policy_cited": "Cited."})

    for user in (manager, auditor, poc_a):  # manager scored it; the others are not leads
        response = post(client_as(user), f"/api/v1/disputes/{dispute.pk}/resolve/", OVERTURN_POLICY)
        assert response.status_code == 403, user
        assert "other than the audit's auditor" in response.json()["detail"]
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.OPEN


def test_a_dispute_after_the_window_is_refused_naming_the_window(client_as, audit, poc_a, settings):
    settings.DISPUTE_WINDOW_DAYS = 7
    Audit.objects.filter(pk=audit.pk).update(finalised_at=timezone.now() - dt.timedelta(days=8))

    response = raise_over_api(client_as(poc_a), audit, [("tone", "Polite enough.")])

    assert response.status_code == 400
    assert "dispute window of 7 days closed" in response.json()["detail"]
    assert not Dispute.objects.exists()


def test_bad_bodies_and_bad_decisions_say_what_is_wrong(client_as, audit, poc_a, lead):
    client = client_as(poc_a)
    unknown = raise_over_api(client, audit, [("x", "Why?")])
    assert unknown.status_code == 400
    assert unknown.json()["detail"] == "Not questions of this audit's form: x."
    twice = raise_over_api(client, audit, [("tone", "One."), ("tone", "Two.")])
    assert twice.status_code == 400 and "tone listed twice" in str(twice.json()["questions"])
    assert "audit" in post(client, "/api/v1/disputes/", {}).json()

    dispute = disputes.raise_dispute(audit, poc_a, {"policy_cited": "Cited.", "tone": "Ok."})
    refused = post(client_as(lead), f"/api/v1/disputes/{dispute.pk}/resolve/", OVERTURN_POLICY)
    assert refused.status_code == 400
    assert "tone: choose upheld" in refused.json()["detail"]
    wrong = post(
        client_as(lead),
        f"/api/v1/disputes/{dispute.pk}/resolve/",
        {"decisions": [{"question_key": "tone", "decision": "maybe", "reply": "?"}]},
    )
    assert wrong.status_code == 400 and "decision" in str(wrong.json())


def test_staff_cannot_raise_a_dispute(client_as, audit, lead):
    response = raise_over_api(client_as(lead), audit, [("tone", "Polite.")])
    assert response.status_code == 403
    assert "Only a POC of the audit's vendor" in response.json()["detail"]


def test_vendor_b_poc_gets_404_for_vendor_as_dispute_and_audit(
    client_as, audit, poc_a, poc_b, lead
):
    dispute = disputes.raise_dispute(audit, poc_a, {"tone": "Polite."})
    client = client_as(poc_b)

    assert client.get(f"/api/v1/disputes/{dispute.pk}/").status_code == 404
    assert (
        post(client, f"/api/v1/disputes/{dispute.pk}/resolve/", OVERTURN_POLICY).status_code == 404
    )
    # Raising on A's audit: it does not exist for B (not "you may not").
    assert (
        raise_over_api(client, Audit.objects.get(pk=audit.pk), [("tone", "Ours?")]).status_code
        == 404
    )


def test_the_list_shows_only_the_pocs_own_vendors_disputes(
    client_as, audit, poc_a, poc_b, manager, lead, workflow, site_b, vendor_b
):
    mine = disputes.raise_dispute(audit, poc_a, {"tone": "Polite."})
    theirs = disputes.raise_dispute(
        final_audit(manager, lead, workflow, site_b), poc_b, {"tone": "Also polite."}
    )

    def ids(user, query=""):
        response = client_as(user).get(f"/api/v1/disputes/{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(poc_a) == [mine.pk]
    assert ids(poc_a, f"?vendor={vendor_b.pk}") == []
    assert ids(poc_b) == [theirs.pk]
    assert ids(lead) == [theirs.pk, mine.pk]  # newest first
    assert ids(lead, f"?vendor={vendor_b.pk}") == [theirs.pk]
    Dispute.objects.filter(pk=mine.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    assert ids(lead, "?overdue=true") == [mine.pk]
    assert ids(lead, "?status=resolved") == []


def test_an_attachment_is_a_link_to_the_scoped_download_never_a_media_url(
    client_as, audit, poc_a, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    dispute = disputes.raise_dispute(
        audit,
        poc_a,
        {"tone": "See the screenshot."},
        {"tone": SimpleUploadedFile("proof.png", b"\x89PNG")},
    )
    row = DisputedQuestion.objects.get(dispute=dispute)

    body = client_as(poc_a).get(f"/api/v1/disputes/{dispute.pk}/").json()

    link = body["questions"][0]["attachment"]
    assert link.endswith(f"/audits/disputes/attachments/{row.pk}/")
    assert settings.MEDIA_URL not in link and row.attachment.name not in link
    assert body["questions"][0]["attachment_name"] == "proof.png"


def test_the_list_answers_in_a_fixed_number_of_queries(
    client_as, manager, lead, workflow, site_a, poc_a, django_assert_num_queries, version
):
    for _ in range(3):
        disputes.raise_dispute(
            final_audit(manager, lead, workflow, site_a),
            poc_a,
            {"tone": "Polite.", "policy_cited": "Cited."},
        )
    client = client_as(lead)
    client.get("/api/v1/disputes/")  # warm the session

    # session, user, disputes with audit and ticket, their questions
    with django_assert_num_queries(4):
        rows = client.get("/api/v1/disputes/").json()["results"]
    assert len(rows) == 3 and all(len(row["questions"]) == 2 for row in rows)
    assert Decimal(rows[0]["score_before"]) < 100


def test_the_admin_shows_disputes_but_changes_them_only_through_audits_disputes(
    client_as, audit, poc_a
):
    from accounts.models import User

    dispute = disputes.raise_dispute(audit, poc_a, {"tone": "Polite."})
    admin = User.objects.create_superuser("root@example.com", "x")
    client = client_as(admin)

    listed = client.get("/admin/audits/dispute/?status__exact=open")
    assert listed.status_code == 200
    assert f"/admin/audits/dispute/{dispute.pk}/change/" in listed.content.decode()
    page = client.get(f"/admin/audits/dispute/{dispute.pk}/change/")
    assert page.status_code == 200 and "Polite." in page.content.decode()  # the inline
    assert client.get("/admin/audits/dispute/add/").status_code == 403
    assert (
        client.post(
            f"/admin/audits/dispute/{dispute.pk}/change/", {"status": "resolved"}
        ).status_code
        == 403
    )
    assert (
        client.post(f"/admin/audits/dispute/{dispute.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.OPEN
