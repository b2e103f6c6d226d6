"""Editing a draft form version: its settings, sections, questions and choices.

Each function refuses a version that is no longer a draft (``FrozenVersion``) and checks
what the database would refuse anyway (positive weights, unique keys) with a message that
names the field, so the builder can show it. Re-exported by ``audit_forms.catalog``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify

from .models import FormChoice, FormQuestion, FormSection, FormVersion, FrozenVersion

SECTION_FIELDS = {"key", "title", "description", "weight"}
QUESTION_FIELDS = {
    "key", "text", "guidance", "kind", "weight", "critical", "na_allowed", "required",
    "error_category", "scale_error_at_or_below", "section",
}
CHOICE_FIELDS = {"value", "label", "credit", "is_error", "error_category"}


class FormEditError(ValueError):
    """An edit that would make the form wrong; ``problems`` are messages for the manager."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


def require_draft(version: FormVersion) -> None:
    """Refuse to change ``version`` unless it is (still, in the database) a draft."""
    status = FormVersion.stored_status(version.pk)
    if status != FormVersion.Status.DRAFT:
        raise FrozenVersion(
            f"{version} is {status or 'gone'} and cannot be edited: create a new draft instead."
        )


def free_key(text: str, taken: Iterable[str], fallback: str) -> str:
    """A slug of ``text`` not in ``taken`` (adds -2, -3…), for keys the manager did not type."""
    base = slugify(text)[:40].strip("-") or fallback
    taken = set(taken)
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


# The taxonomy a new program starts with (issue 4); managers add free categories to it.
@transaction.atomic
def update_version_settings(
    version: FormVersion, *, pass_mark: Decimal, critical_zeroes_score: bool, changelog: str
) -> FormVersion:
    """Change the pass mark, the auto-fail rule and the changelog of a draft."""
    require_draft(version)
    if not Decimal(0) <= Decimal(pass_mark) <= Decimal(100):
        raise FormEditError("pass_mark: must be between 0 and 100")
    version.pass_mark = pass_mark
    version.critical_zeroes_score = critical_zeroes_score
    version.changelog = changelog
    version.save(update_fields=["pass_mark", "critical_zeroes_score", "changelog"])
    return version


# --- sections, questions, choices --------------------------------------------------------


def next_position(queryset) -> int:
    return (queryset.aggregate(p=Max("position"))["p"] or 0) + 1


def check_key(model, key: str, scope: dict, exclude_pk: int | None, what: str) -> None:
    clash = model.objects.filter(key=key, **scope).exclude(pk=exclude_pk).exists()
    if clash:
        raise FormEditError(f"key: {what} key {key!r} is already used in this version")


def check_weight(weight) -> None:
    if weight is None or Decimal(weight) <= 0:
        raise FormEditError("weight: must be > 0")


@transaction.atomic
def add_section(
    version: FormVersion, *, title: str, key: str = "", weight=1, description: str = ""
) -> FormSection:
    require_draft(version)
    check_weight(weight)
    taken = version.sections.values_list("key", flat=True)
    key = key or free_key(title, taken, "section")
    check_key(FormSection, key, {"version": version}, None, "section")
    return FormSection.objects.create(
        version=version, key=key, title=title, weight=weight, description=description,
        position=next_position(version.sections),
    )


@transaction.atomic
def update_section(section: FormSection, **fields) -> FormSection:
    require_draft(section.version)
    unknown = set(fields) - SECTION_FIELDS
    if unknown:
        raise FormEditError(f"cannot change {sorted(unknown)} of a section")
    if "weight" in fields:
        check_weight(fields["weight"])
    if "key" in fields:
        check_key(FormSection, fields["key"], {"version": section.version}, section.pk, "section")
    for name, value in fields.items():
        setattr(section, name, value)
    section.save()
    return section


@transaction.atomic
def delete_section(section: FormSection) -> None:
    require_draft(section.version)
    for question in section.questions.all():
        delete_question(question)
    section.delete()


def move(item, siblings, offset: int) -> None:
    """Swap ``item`` with its neighbour ``offset`` places away (renumbering the siblings)."""
    ordered = list(siblings)
    index = next(i for i, other in enumerate(ordered) if other.pk == item.pk)
    target = index + offset
    if not 0 <= target < len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, other in enumerate(ordered, start=1):
        if other.position != position:
            other.position = position
            other.save(update_fields=["position"])


@transaction.atomic
def move_section(section: FormSection, offset: int) -> None:
    require_draft(section.version)
    move(section, section.version.sections.order_by("position", "id"), offset)


@transaction.atomic
def add_question(section: FormSection, *, text: str, key: str = "", **fields) -> FormQuestion:
    """Add a question at the end of ``section``; its key defaults to a slug of the text."""
    require_draft(section.version)
    unknown = set(fields) - QUESTION_FIELDS
    if unknown:
        raise FormEditError(f"unknown question fields {sorted(unknown)}")
    check_weight(fields.get("weight", 1))
    taken = FormQuestion.objects.filter(version=section.version).values_list("key", flat=True)
    key = key or free_key(text, taken, "question")
    check_key(FormQuestion, key, {"version": section.version}, None, "question")
    return FormQuestion.objects.create(
        section=section, version=section.version, key=key, text=text,
        position=next_position(section.questions), **fields,
    )


@transaction.atomic
def update_question(question: FormQuestion, **fields) -> FormQuestion:
    """Change a question; turning it into another kind than choice drops its choices."""
    version = question.section.version
    require_draft(version)
    unknown = set(fields) - QUESTION_FIELDS
    if unknown:
        raise FormEditError(f"cannot change {sorted(unknown)} of a question")
    if "weight" in fields:
        check_weight(fields["weight"])
    if "key" in fields:
        check_key(FormQuestion, fields["key"], {"version": version}, question.pk, "question")
    if "section" in fields and fields["section"].version_id != version.pk:
        raise FormEditError("section: a question can only move within its own version")
    for name, value in fields.items():
        setattr(question, name, value)
    question.save()
    if question.kind != FormQuestion.Kind.CHOICE:
        for choice in question.choices.all():
            choice.delete()
    return question


@transaction.atomic
def delete_question(question: FormQuestion) -> None:
    require_draft(question.section.version)
    for choice in question.choices.all():
        choice.delete()
    question.delete()


@transaction.atomic
def move_question(question: FormQuestion, offset: int) -> None:
    require_draft(question.section.version)
    move(question, question.section.questions.order_by("position", "id"), offset)


@transaction.atomic
def add_choice(question: FormQuestion, *, label: str, value: str = "", **fields) -> FormChoice:
    """Add an option to a single-choice question; its value defaults to a slug of the label."""
    require_draft(question.section.version)
    if question.kind != FormQuestion.Kind.CHOICE:
        raise FormEditError("Only single-choice questions have choices.")
    unknown = set(fields) - CHOICE_FIELDS
    if unknown:
        raise FormEditError(f"unknown choice fields {sorted(unknown)}")
    taken = [*question.choices.values_list("value", flat=True), "na"]
    value = value or free_key(label, taken, "option")
    if value in taken:
        raise FormEditError(f"value: {value!r} is already an answer of this question")
    check_credit(fields.get("credit", 1))
    return FormChoice.objects.create(
        question=question, value=value, label=label,
        position=next_position(question.choices), **fields,
    )


def check_credit(credit) -> None:
    if credit is None or not Decimal(0) <= Decimal(credit) <= Decimal(1):
        raise FormEditError("credit: must be between 0 and 1")


@transaction.atomic
def update_choice(choice: FormChoice, **fields) -> FormChoice:
    require_draft(choice.question.section.version)
    unknown = set(fields) - CHOICE_FIELDS
    if unknown:
        raise FormEditError(f"cannot change {sorted(unknown)} of a choice")
    if "credit" in fields:
        check_credit(fields["credit"])
    if "value" in fields:
        taken = [*choice.question.choices.exclude(pk=choice.pk).values_list("value", flat=True),
                 "na"]
        if fields["value"] in taken:
            raise FormEditError(f"value: {fields['value']!r} is already an answer of this question")
    for name, value in fields.items():
        setattr(choice, name, value)
    choice.save()
    return choice


@transaction.atomic
def delete_choice(choice: FormChoice) -> None:
    require_draft(choice.question.section.version)
    choice.delete()
