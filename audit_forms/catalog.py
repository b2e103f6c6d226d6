"""Building audit forms: drafts, their editing, publication, retirement and the scoring spec.

Every change to a form goes through these functions, and each one refuses a version that
is no longer a draft (``FrozenVersion``): a published version is what existing audits were
scored with, so it never changes; editing it means ``start_draft`` (a numbered copy).
Views, the admin, the JSON import and the demo seeding all call these, never the ORM
directly on form parts.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max, Prefetch
from django.utils import timezone

from .editing import (
    FormEditError,
    add_choice,
    add_question,
    add_section,
    delete_choice,
    delete_question,
    delete_section,
    free_key,
    move_question,
    move_section,
    require_draft,
    update_choice,
    update_question,
    update_section,
    update_version_settings,
)
from .models import (
    AuditForm,
    ErrorCategory,
    FormChoice,
    FormQuestion,
    FormSection,
    FormVersion,
    FrozenVersion,
)
from .scoring import FormSpec

__all__ = [
    "FormEditError", "FrozenVersion", "create_form", "start_draft", "publish_version",
    "retire_version", "publication_problems", "version_to_spec",
    "version_with_parts", "spec_of", "update_version_settings",
    "add_section", "update_section", "delete_section", "move_section", "add_question",
    "update_question", "delete_question", "move_question", "add_choice", "update_choice",
    "delete_choice", "require_draft", "ensure_default_categories", "question_shares",
]

# Form slugs that would shadow a builder URL (/audits/forms/<slug>/).
RESERVED_SLUGS = {"new", "import", "categories", "versions", "sections", "questions", "choices"}


DEFAULT_ERROR_CATEGORIES = [
    ("Policy error", "policy-error", "policy"),
    ("Wrong action", "wrong-action", "wrong_action"),
    ("Procedural", "procedural", "procedural"),
    ("Customer experience", "customer-experience", "customer_experience"),
]


def ensure_default_categories() -> list[ErrorCategory]:
    """The standard error categories, creating any that are missing (idempotent).

    Migration 0004 seeds the same list; the demo and tests that flush the database call
    this to get them back.
    """
    return [
        ErrorCategory.objects.get_or_create(slug=slug, defaults={"name": name, "kind": kind})[0]
        for name, slug, kind in DEFAULT_ERROR_CATEGORIES
    ]


# --- forms and versions ------------------------------------------------------------------


@transaction.atomic
def create_form(
    *, name: str, created_by, workflows: Iterable = (), description: str = ""
) -> FormVersion:
    """A new form with an empty draft version 1, ready for sections and questions."""
    name = name.strip()
    if not name:
        raise FormEditError("name: a form needs a name")
    if AuditForm.objects.filter(name__iexact=name).exists():
        raise FormEditError(f"name: a form named {name!r} already exists")
    taken = [*AuditForm.objects.values_list("slug", flat=True), *RESERVED_SLUGS]
    slug = free_key(name, taken, "form")
    form = AuditForm.objects.create(
        name=name, slug=slug, description=description, created_by=created_by
    )
    form.workflows.set(workflows)
    return FormVersion.objects.create(form=form, number=1, created_by=created_by)


@transaction.atomic
def start_draft(form: AuditForm, *, by, empty: bool = False) -> FormVersion:
    """The form's draft: the existing one, or a copy of its published (else newest) version.

    Audits keep pointing at the version they were scored with; the copy gets the next
    number and ``based_on`` names the version it came from. ``empty`` skips copying the
    sections (for an import that brings its own).
    """
    AuditForm.objects.select_for_update().get(pk=form.pk)  # one draft at a time, even racing
    draft = form.versions.drafts().first()
    if draft:
        return draft
    base = form.versions.published().first() or form.versions.order_by("-number").first()
    number = (form.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    draft = FormVersion.objects.create(
        form=form, number=number, based_on=base, created_by=by,
        pass_mark=base.pass_mark if base else Decimal(80),
        critical_zeroes_score=base.critical_zeroes_score if base else True,
    )
    if base and not empty:
        copy_parts(base, draft)
    return draft


def copy_parts(source: FormVersion, target: FormVersion) -> None:
    """Copy sections, questions and choices of ``source`` into the draft ``target``: one
    insert for each kind of part (bulk inserts skip each part's check that its version is a
    draft, which ``target``, made in this transaction, is)."""
    sections = list(source.sections.prefetch_related("questions__choices"))
    new_sections = FormSection.objects.bulk_create(
        FormSection(version=target, key=section.key, title=section.title,
                    description=section.description, weight=section.weight,
                    position=section.position)
        for section in sections
    )
    questions, choices = [], []
    for section, new_section in zip(sections, new_sections, strict=True):
        for question in section.questions.all():
            choices.append(list(question.choices.all()))
            question.pk = None
            question.section, question.version = new_section, target
            question._state.adding = True
            questions.append(question)
    FormQuestion.objects.bulk_create(questions)
    for question, listed in zip(questions, choices, strict=True):
        for choice in listed:
            choice.pk = None
            choice.question = question
            choice._state.adding = True
    FormChoice.objects.bulk_create(choice for listed in choices for choice in listed)


def publication_problems(version: FormVersion) -> list[str]:
    """Everything that stops ``version`` from being published, as messages naming the part."""
    problems: list[str] = []
    sections = list(version.sections.prefetch_related("questions__choices"))
    if not any(section.questions.all() for section in sections):
        problems.append("The form has no questions: add at least one.")
    question_keys: set[str] = set()
    for section in sections:
        where = f"Section {section.title!r}"
        if section.weight <= 0:
            problems.append(f"{where}: weight must be > 0.")
        if not section.questions.all():
            problems.append(f"{where} has no questions: add one or delete the section.")
        for question in section.questions.all():
            where = f"Question {question.key!r}"
            if question.key in question_keys:
                problems.append(f"{where}: key is used twice.")
            question_keys.add(question.key)
            if question.weight <= 0:
                problems.append(f"{where}: weight must be > 0.")
            choices = question.choices.all()
            if question.kind == FormQuestion.Kind.CHOICE:
                if len(choices) < 2:
                    problems.append(f"{where}: a single-choice question needs at least 2 choices.")
                if question.critical and not any(c.is_error for c in choices):
                    problems.append(f"{where}: critical, but no choice counts as an error.")
            if (
                question.kind == FormQuestion.Kind.SCALE
                and question.critical
                and question.scale_error_at_or_below == 0
            ):
                problems.append(f"{where}: critical, but no scale answer counts as an error.")
    return problems


@transaction.atomic
def publish_version(version: FormVersion, *, by) -> FormVersion:
    """Freeze a draft and make it the form's current version (the previous one retires)."""
    version = FormVersion.objects.select_for_update().get(pk=version.pk)
    require_draft(version)
    if problems := publication_problems(version):
        raise FormEditError(problems)
    now = timezone.now()
    for previous in version.form.versions.published():
        retire_version(previous, by=by, at=now)
    FormVersion.objects.filter(pk=version.pk).update(
        status=FormVersion.Status.PUBLISHED, published_at=now, published_by=by
    )
    version.refresh_from_db()
    return version


@transaction.atomic
def retire_version(version: FormVersion, *, by, at=None) -> FormVersion:
    """Stop using a published version for new audits; it and its audits stay as they are."""
    if version.status != FormVersion.Status.PUBLISHED:
        raise FormEditError(f"{version} is {version.status}: only a published version retires.")
    version.status = FormVersion.Status.RETIRED
    version.retired_at = at or timezone.now()
    version.retired_by = by
    version.save(update_fields=["status", "retired_at", "retired_by"])
    return version


def version_with_parts(version_id: int) -> FormVersion:
    """One version with its sections, questions, choices and categories in four queries."""
    questions = FormQuestion.objects.select_related("error_category").prefetch_related(
        Prefetch("choices", queryset=FormChoice.objects.select_related("error_category"))
    )
    return FormVersion.objects.select_related("form").prefetch_related(
        Prefetch("sections__questions", queryset=questions)
    ).get(pk=version_id)


def spec_of(version_id: int) -> FormSpec:
    """The scoring description of version ``version_id``. A draft's is read in four queries
    (a version's own ``to_spec`` reads its questions one section at a time); a published or
    retired version never changes, so its description is read once per process and then
    costs the one query that says it is still that version."""
    status, published_at = FormVersion.objects.filter(pk=version_id).values_list(
        "status", "published_at").get()
    if status == FormVersion.Status.DRAFT or published_at is None:
        return version_with_parts(version_id).to_spec()
    return frozen_spec(connection.settings_dict["NAME"], version_id, published_at)


@functools.lru_cache(maxsize=512)
def frozen_spec(database: str, version_id: int, published_at) -> FormSpec:
    """``spec_of`` a version that is no longer a draft, by its database, id and time of
    publication (a test database may give a rolled-back version's id to another)."""
    return version_with_parts(version_id).to_spec()


def version_to_spec(version: FormVersion) -> FormSpec:
    """The plain description of ``version`` that ``audit_forms.scoring.score_audit`` scores with
    (``FormVersion.to_spec``: the model builds on the pure scoring module, not on this one)."""
    return version.to_spec()


def question_shares(version: FormVersion) -> dict[int, float]:
    """Each question's share (percent) of the score when every question is answered.

    Shown beside each question in the builder so a manager sees what the weights mean.
    """
    sections = [(s, list(s.questions.all())) for s in version.sections.all()]
    section_total = sum(float(s.weight) for s, questions in sections if questions)
    shares: dict[int, float] = {}
    for section, questions in sections:
        question_total = sum(float(q.weight) for q in questions)
        for q in questions:
            shares[q.pk] = 100 * float(section.weight) / section_total * float(q.weight) / (
                question_total
            )
    return shares
