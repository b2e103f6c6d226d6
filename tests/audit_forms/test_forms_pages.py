"""Stories about the audit-form builder pages: who may do what, and frozen versions."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit_forms.catalog import publish_version
from audit_forms.models import AuditForm, FormQuestion, FormVersion

from .forms_helpers import build_small_form, error_category

pytestmark = pytest.mark.django_db


def test_a_manager_builds_a_form_through_the_pages(client_as, manager):
    client = client_as(manager)
    error_category()
    response = client.post(reverse("audits:form_create"), {"name": "Spam review"})
    version = FormVersion.objects.get(form__name="Spam review")
    assert response.url == reverse("audits:form_version", args=[version.pk])

    client.post(
        reverse("audits:form_section_add", args=[version.pk]),
        {"new-section-title": "Decision", "new-section-weight": "1"},
    )
    section = version.sections.get()
    assert section.key == "decision"
    client.post(
        reverse("audits:form_question_add", args=[section.pk]),
        {
            "new-question-text": "Right action?",
            "new-question-kind": "yes_no",
            "new-question-weight": "2",
            "new-question-critical": "on",
            "new-question-required": "on",
            "new-question-scale_error_at_or_below": "2",
        },
    )
    question = FormQuestion.objects.get(version=version)
    assert (question.key, question.weight, question.critical) == ("right-action", 2, True)

    page = client.get(reverse("audits:form_version", args=[version.pk]))
    assert b"Right action?" in page.content and b"100.0% of score" in page.content

    client.post(reverse("audits:form_version_publish", args=[version.pk]))
    version.refresh_from_db()
    assert version.status == "published"


def test_publishing_an_incomplete_form_shows_what_is_missing(client_as, manager):
    client = client_as(manager)
    client.post(reverse("audits:form_create"), {"name": "Empty"})
    version = FormVersion.objects.get(form__name="Empty")
    response = client.post(reverse("audits:form_version_publish", args=[version.pk]), follow=True)
    assert "The form has no questions: add at least one." in response.content.decode()
    version.refresh_from_db()
    assert version.status == "draft"


def test_a_published_version_cannot_be_edited_in_place(client_as, manager):
    version = publish_version(build_small_form(manager), by=manager)
    question = version.questions.get(key="tone")
    client = client_as(manager)

    page = client.get(reverse("audits:form_version", args=[version.pk])).content.decode()
    assert "Edit question" not in page and "Add a section" not in page

    response = client.post(
        reverse("audits:form_question_edit", args=[question.pk]),
        {
            f"q{question.pk}-text": "Sneaky",
            f"q{question.pk}-kind": "scale",
            f"q{question.pk}-weight": "9",
            f"q{question.pk}-scale_error_at_or_below": "2",
        },
    )
    assert response.status_code == 409
    assert "create a new draft" in response.content.decode()
    response = client.post(
        reverse("audits:form_part_action", args=["question", question.pk, "delete"])
    )
    assert response.status_code == 409
    question.refresh_from_db()
    assert (question.text, question.weight) == ("Tone", 1)

    # "Edit" makes draft v2, a copy; the published v1 stays as it was.
    response = client.post(reverse("audits:form_draft_start", args=[version.form.slug]))
    draft = FormVersion.objects.get(form=version.form, number=2)
    assert response.url == reverse("audits:form_version", args=[draft.pk])
    assert draft.status == "draft" and draft.questions.count() == 3


def test_auditors_read_forms_but_cannot_change_them(client_as, auditor, manager):
    version = build_small_form(manager)
    client = client_as(auditor)
    assert client.get(reverse("audits:form_list")).status_code == 200
    page = client.get(reverse("audits:form_version", args=[version.pk]))
    assert page.status_code == 200 and b"Edit question" not in page.content
    assert client.post(reverse("audits:form_version_publish", args=[version.pk])).status_code == 403
    section = version.sections.first()
    response = client.post(
        reverse("audits:form_question_add", args=[section.pk]),
        {"new-question-text": "Added by an auditor"},
    )
    assert response.status_code == 403
    assert not FormQuestion.objects.filter(text="Added by an auditor").exists()


def test_vendor_pocs_do_not_see_forms(client_as, poc_a, manager):
    version = build_small_form(manager)
    client = client_as(poc_a)
    for url in [
        reverse("audits:form_list"),
        reverse("audits:form_detail", args=[version.form.slug]),
        reverse("audits:form_version", args=[version.pk]),
        reverse("audits:form_version_export", args=[version.pk]),
        reverse("audits:form_categories"),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("audits:form_version_publish", args=[version.pk])).status_code == 404


def test_export_then_import_through_the_pages(client_as, manager):
    version = publish_version(build_small_form(manager), by=manager)
    client = client_as(manager)
    exported = client.get(reverse("audits:form_version_export", args=[version.pk]))
    assert exported["Content-Disposition"] == 'attachment; filename="hate-speech-review-v1.json"'
    document = json.loads(exported.content)

    upload = SimpleUploadedFile("form.json", json.dumps(document).encode())
    response = client.post(
        reverse("audits:form_import_version", args=[version.form.slug]), {"file": upload}
    )
    v2 = FormVersion.objects.get(form=version.form, number=2)
    assert response.url == reverse("audits:form_version", args=[v2.pk])
    assert v2.questions.count() == 3

    document["sections"][1]["questions"][0]["weight"] = 0
    document["form"]["name"] = "Another form"
    upload = SimpleUploadedFile("broken.json", json.dumps(document).encode())
    response = client.post(reverse("audits:form_import"), {"file": upload})
    assert response.status_code == 400
    assert "broken.json: sections[1].questions[0].weight: must be &gt; 0" in (
        response.content.decode()
    )
    assert not AuditForm.objects.filter(name="Another form").exists()

    upload = SimpleUploadedFile("junk.json", b"{not json")
    response = client.post(reverse("audits:form_import"), {"file": upload})
    assert response.status_code == 400 and b"junk.json: not valid JSON" in response.content


def test_the_builder_page_costs_the_same_queries_however_big_the_form(client_as, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from audit_forms.catalog import add_choice, add_question

    version = build_small_form(manager)
    client = client_as(manager)
    url = reverse("audits:form_version", args=[version.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    small = queries()
    section = version.sections.get(key="handling")
    for n in range(6):
        question = add_question(
            section, text=f"Extra {n}", kind="choice", error_category=error_category()
        )
        add_choice(question, label="Yes", credit=1)
        add_choice(question, label="No", credit=0, is_error=True)
    assert queries() == small
    assert small <= 20


def test_managers_keep_the_error_taxonomy_auditors_only_read_it(client_as, manager, auditor):
    response = client_as(auditor).post(
        reverse("audits:form_categories"), {"name": "Privacy", "slug": "privacy", "kind": "policy"}
    )
    assert response.status_code == 403
    client = client_as(manager)
    client.post(
        reverse("audits:form_categories"), {"name": "Privacy", "slug": "privacy", "kind": "policy"}
    )
    page = client.get(reverse("audits:form_categories")).content.decode()
    assert "Privacy" in page


def test_the_admin_lists_forms_and_audits_read_only(admin_client, manager):
    build_small_form(manager)
    for app_model in [
        "audit_forms_errorcategory", "audit_forms_auditform", "audit_forms_formversion",
        "audits_audit",
    ]:
        response = admin_client.get(reverse(f"admin:{app_model}_changelist"))
        assert response.status_code == 200, app_model
    version = FormVersion.objects.get()
    page = admin_client.get(reverse("admin:audit_forms_formversion_change", args=[version.pk]))
    assert page.status_code == 200 and b"Save" not in page.content
