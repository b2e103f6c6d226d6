"""Stories about exporting audit forms to JSON and importing them back."""

import copy

import pytest

from audit_forms.catalog import publish_version, version_to_spec
from audit_forms.json_format import FormImportError, export_version, import_version
from audit_forms.models import AuditForm, FormVersion
from tests.factories import WorkflowFactory

from .forms_helpers import build_small_form

pytestmark = pytest.mark.django_db


def without_version_number(document: dict) -> dict:
    document = copy.deepcopy(document)
    document.pop("version")
    return document


def test_export_then_import_gives_an_equal_form(manager):
    workflow = WorkflowFactory(slug="hate-speech-en")
    v1 = build_small_form(manager)
    v1.form.workflows.add(workflow)
    v1 = publish_version(v1, by=manager)
    document = export_version(v1)

    v2 = import_version(document, by=manager, form=v1.form)
    assert (v2.number, v2.status) == (2, "draft")
    assert without_version_number(export_version(v2)) == without_version_number(document)
    assert version_to_spec(v2) == version_to_spec(v1)

    document["form"]["name"] = "Hate speech review (copy)"
    copy_version = import_version(document, by=manager)
    assert copy_version.form != v1.form and copy_version.number == 1
    assert version_to_spec(copy_version) == version_to_spec(v1)
    assert list(copy_version.form.workflows.all()) == [workflow]


def test_import_errors_name_the_path_of_every_bad_field(manager):
    document = export_version(build_small_form(manager))
    document["form"]["name"] = "Broken"
    handling = document["sections"][1]
    handling["questions"][1]["weight"] = 0
    handling["questions"][0]["choices"][2]["credit"] = "lots"
    handling["questions"][0]["choices"] = handling["questions"][0]["choices"][:1] + [
        handling["questions"][0]["choices"][2]
    ]
    document["sections"][0]["questions"][0]["kind"] = "essay"
    document["sections"][0]["questions"][0]["error_category"] = "no-such-category"
    handling["questions"][1]["key"] = "right-action"
    document["form"]["workflows"] = ["nowhere"]

    with pytest.raises(FormImportError) as refused:
        import_version(document, by=manager)
    assert set(refused.value.problems) == {
        "form.workflows[0]: no workflow 'nowhere'",
        "sections[0].questions[0].kind: 'essay' is not one of ['choice', 'pass_fail', "
        "'scale', 'yes_no']",
        "sections[0].questions[0].error_category: no error category 'no-such-category' "
        "(add it first)",
        "sections[1].questions[0].choices[1].credit: 'lots' is not a number",
        "sections[1].questions[1].key: 'right-action' is used by another question",
        "sections[1].questions[1].weight: must be > 0",
    }
    assert not AuditForm.objects.filter(name="Broken").exists()


def test_import_refuses_a_document_that_is_not_a_form(manager):
    with pytest.raises(FormImportError) as refused:
        import_version(["not", "a", "form"], by=manager)
    assert refused.value.problems[0] == "document: must be an object"
    with pytest.raises(FormImportError) as refused:
        import_version({"format": "qa-program/audit-form", "form": {"name": "X"}}, by=manager)
    assert refused.value.problems == ["sections: must be a list"]


def test_import_into_a_form_with_a_draft_is_refused(manager):
    version = build_small_form(manager)
    with pytest.raises(FormImportError, match="already has a draft"):
        import_version(export_version(version), by=manager, form=version.form)
    assert FormVersion.objects.filter(form=version.form).count() == 1


def test_a_name_clash_is_reported_not_overwritten(manager):
    version = build_small_form(manager)
    with pytest.raises(FormImportError, match="already exists"):
        import_version(export_version(version), by=manager)
