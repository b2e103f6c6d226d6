"""Stories about building, publishing and versioning audit forms (domain functions)."""

import pytest
from django.db import IntegrityError, transaction

from audit_forms.catalog import (
    FormEditError,
    add_question,
    add_section,
    create_form,
    publication_problems,
    publish_version,
    retire_version,
    spec_of,
    start_draft,
    update_question,
    update_section,
    version_to_spec,
    version_with_parts,
)
from audit_forms.models import FormQuestion, FormVersion, FrozenVersion
from audit_forms.scoring import score_audit

from .forms_helpers import build_small_form

pytestmark = pytest.mark.django_db


def test_publishing_freezes_the_version(manager):
    version = publish_version(build_small_form(manager), by=manager)
    assert version.status == "published" and version.published_by == manager
    question = FormQuestion.objects.get(version=version, key="tone")

    with pytest.raises(FrozenVersion, match="create a new draft"):
        update_question(question, text="Changed")
    with pytest.raises(FrozenVersion):
        add_section(version, title="Late addition")
    # The model guard refuses even code that bypasses the domain functions.
    question.text = "Changed behind the catalog's back"
    with pytest.raises(FrozenVersion):
        question.save()
    with pytest.raises(FrozenVersion):
        question.delete()
    version.pass_mark = 10
    with pytest.raises(FrozenVersion):
        version.save()
    with pytest.raises(FrozenVersion):
        FormVersion.objects.get(pk=version.pk).delete()
    assert FormQuestion.objects.get(pk=question.pk).text == "Tone"


def test_editing_a_published_form_creates_a_numbered_draft_copy(manager):
    v1 = publish_version(build_small_form(manager), by=manager)
    v2 = start_draft(v1.form, by=manager)

    assert (v2.number, v2.status, v2.based_on) == (2, "draft", v1)
    assert list(v2.questions.values_list("key", flat=True).order_by("key")) == [
        "policy-cited",
        "right-action",
        "tone",
    ]
    assert v2.questions.get(key="policy-cited").choices.count() == 3
    # Only one draft at a time: asking again returns the same draft.
    assert start_draft(v1.form, by=manager) == v2

    update_question(v2.questions.get(key="tone"), weight=3)
    assert v1.questions.get(key="tone").weight == 1

    v2 = publish_version(v2, by=manager)
    v1.refresh_from_db()
    assert v1.status == "retired" and v1.retired_at is not None
    assert start_draft(v1.form, by=manager).number == 3


def test_the_database_allows_one_draft_per_form(manager):
    version = create_form(name="Spam", created_by=manager)
    with pytest.raises(IntegrityError), transaction.atomic():
        FormVersion.objects.create(form=version.form, number=2)


def test_publication_needs_questions_positive_weights_and_two_choices(manager):
    version = create_form(name="Incomplete", created_by=manager)
    assert publication_problems(version) == ["The form has no questions: add at least one."]
    section = add_section(version, title="Only", key="only")
    add_question(section, text="Pick one", key="pick", kind="choice")
    with pytest.raises(FormEditError) as refused:
        publish_version(version, by=manager)
    assert "Question 'pick': a single-choice question needs at least 2 choices." in (
        refused.value.problems
    )
    with pytest.raises(FormEditError, match="weight: must be > 0"):
        update_section(section, weight=0)
    assert FormVersion.objects.get(pk=version.pk).status == "draft"


def test_keys_are_unique_within_a_version(manager):
    version = build_small_form(manager)
    section = version.sections.get(key="handling")
    with pytest.raises(FormEditError, match="already used"):
        add_question(section, text="Tone again", key="tone")


def test_retired_versions_stay_readable(manager):
    version = publish_version(build_small_form(manager), by=manager)
    retire_version(version, by=manager)
    version.refresh_from_db()
    assert version.status == "retired"
    assert version.questions.count() == 3
    with pytest.raises(FrozenVersion):
        update_question(version.questions.first(), text="x")


def test_to_spec_scores_like_the_form_says(manager, django_assert_num_queries):
    version = publish_version(build_small_form(manager), by=manager)
    with django_assert_num_queries(4):
        spec = version_to_spec(version_with_parts(version.pk))
    assert version.to_spec() == spec

    # Decision: yes → 100 (weight 2). Handling: cited partly (0.5, weight 2), tone 4 →
    # 0.75 (weight 1): (1 + 0.75) / 3 = 58.33. Audit: (2·100 + 58.33) / 3 = 86.11.
    result = score_audit(spec, {"right-action": "yes", "policy-cited": "partly", "tone": "4"})
    assert result.score == pytest.approx(86.1111, abs=1e-3)
    assert result.passed

    failed = score_audit(spec, {"right-action": "no", "policy-cited": "none", "tone": "na"})
    assert failed.critical_failed and not failed.passed and failed.score == 0
    assert failed.error_categories == {"wrong-action": 1, "policy-error": 1}


def test_a_published_form_is_read_once_and_a_draft_every_time(
    manager, django_assert_num_queries
):
    draft = build_small_form(manager)
    before = spec_of(draft.pk)
    update_question(FormQuestion.objects.get(version=draft, key="tone"), weight=3)
    edited = spec_of(draft.pk)
    assert edited != before  # a draft's description follows its edits

    version = publish_version(draft, by=manager)
    assert spec_of(version.pk) == edited
    with django_assert_num_queries(1):  # still that version, published: no parts read
        assert spec_of(version.pk) == edited
    retire_version(version, by=manager)
    with django_assert_num_queries(1):
        assert spec_of(version.pk) == edited
    with pytest.raises(FormVersion.DoesNotExist):
        spec_of(version.pk + 1000)


def test_audits_keep_the_version_they_were_scored_with(manager, auditor):
    from audits.models import Audit
    from tests.factories import TicketFactory

    v1 = publish_version(build_small_form(manager), by=manager)
    audit = Audit.objects.create(
        ticket=TicketFactory(), form_version=v1, auditor=auditor, unsampled=True
    )
    v2 = start_draft(v1.form, by=manager)
    update_question(v2.questions.get(key="tone"), text="Tone and empathy")
    publish_version(v2, by=manager)

    audit.refresh_from_db()
    assert audit.form_version == v1
    assert audit.form_version.questions.get(key="tone").text == "Tone"


def test_questions_and_sections_can_be_reordered_and_removed_in_a_draft(manager):
    from audit_forms.catalog import delete_question, move_question, move_section

    version = build_small_form(manager)
    handling = version.sections.get(key="handling")
    move_section(handling, -1)
    assert list(version.sections.values_list("key", flat=True)) == ["handling", "decision"]
    tone = handling.questions.get(key="tone")
    move_question(tone, -1)
    assert list(handling.questions.values_list("key", flat=True)) == ["tone", "policy-cited"]
    move_question(tone, -1)  # already first: nothing moves
    assert handling.questions.first() == tone
    delete_question(tone)
    assert list(version.questions.values_list("key", flat=True).order_by("key")) == [
        "policy-cited",
        "right-action",
    ]
