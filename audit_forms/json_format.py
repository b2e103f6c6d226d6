"""Audit forms as JSON: export a version, import one as a new draft.

The whole document is checked before anything is written, and every problem names the
path of the bad field (``sections[1].questions[3].weight: must be > 0``, counting from 0
as the JSON does), so a manager can fix a file in one go and an import never half-happens.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from vendors.models import Workflow

from .catalog import FormEditError, create_form, start_draft
from .models import AuditForm, ErrorCategory, FormChoice, FormQuestion, FormSection, FormVersion

FORMAT = "qa-program/audit-form"
FORMAT_VERSION = 1
KINDS = {k.value for k in FormQuestion.Kind}


class FormImportError(ValueError):
    """A form document that cannot be imported; ``problems`` are "path: message" strings."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def number(value) -> int | float:
    """A stored decimal as the plainest JSON number (2, not 2.00)."""
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


def export_version(version: FormVersion) -> dict[str, Any]:
    """``version`` (any status) as a plain JSON-ready dict; error categories by slug."""
    form = version.form
    sections = []
    for section in version.sections.prefetch_related(
        "questions__choices__error_category", "questions__error_category"
    ):
        questions = []
        for q in section.questions.all():
            item = {
                "key": q.key, "text": q.text, "guidance": q.guidance, "kind": q.kind,
                "weight": number(q.weight), "critical": q.critical, "na_allowed": q.na_allowed,
                "required": q.required,
                "error_category": q.error_category.slug if q.error_category else None,
            }
            if q.kind == FormQuestion.Kind.SCALE:
                item["scale_error_at_or_below"] = q.scale_error_at_or_below
            if q.kind == FormQuestion.Kind.CHOICE:
                item["choices"] = [
                    {
                        "value": c.value, "label": c.label, "credit": number(c.credit),
                        "is_error": c.is_error,
                        "error_category": c.error_category.slug if c.error_category else None,
                    }
                    for c in q.choices.all()
                ]
            questions.append(item)
        sections.append({
            "key": section.key, "title": section.title, "description": section.description,
            "weight": number(section.weight), "questions": questions,
        })
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "form": {
            "name": form.name,
            "description": form.description,
            "workflows": sorted(form.workflows.values_list("slug", flat=True)),
        },
        "version": {
            "number": version.number, "status": version.status,
            "pass_mark": number(version.pass_mark),
            "critical_zeroes_score": version.critical_zeroes_score,
            "changelog": version.changelog,
        },
        "sections": sections,
    }


class Reader:
    """Reads typed fields out of the document, collecting problems with their paths."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def obj(self, data: Any, path: str) -> dict:
        if not isinstance(data, dict):
            self.fail(path, "must be an object")
            return {}
        return data

    def items(self, data: dict, name: str, path: str, required: bool = True) -> list:
        value = data.get(name, None if required else [])
        if not isinstance(value, list):
            self.fail(f"{path}{name}", "must be a list")
            return []
        return value

    def text(self, data: dict, name: str, path: str, required=False, max_length=500) -> str:
        value = data.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.fail(f"{path}{name}", "must be text")
            return ""
        if required and not value.strip():
            self.fail(f"{path}{name}", "is required")
        if len(value) > max_length:
            self.fail(f"{path}{name}", f"must be at most {max_length} characters")
        return value.strip()

    def key(self, data: dict, name: str, path: str) -> str:
        value = self.text(data, name, path, required=True, max_length=60)
        if value and slugify(value) != value:
            self.fail(f"{path}{name}", f"{value!r} must be lowercase letters, digits, - or _")
        return value

    def flag(self, data: dict, name: str, path: str, default: bool) -> bool:
        value = data.get(name, default)
        if not isinstance(value, bool):
            self.fail(f"{path}{name}", "must be true or false")
            return default
        return value

    def decimal(self, data: dict, name: str, path: str, default, low, high=None,
                low_inclusive=False) -> Decimal:
        value = data.get(name, default)
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            result = Decimal(str(value))
            if not result.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            self.fail(f"{path}{name}", f"{value!r} is not a number")
            return Decimal(default)
        too_low = result < low if low_inclusive else result <= low
        if too_low:
            self.fail(f"{path}{name}", f"must be {'>=' if low_inclusive else '>'} {low}")
        elif high is not None and result > high:
            self.fail(f"{path}{name}", f"must be <= {high}")
        return result.quantize(Decimal("0.001"))

    def category(self, data: dict, name: str, path: str, known: dict) -> ErrorCategory | None:
        slug = data.get(name)
        if slug in (None, ""):
            return None
        if slug not in known:
            self.fail(f"{path}{name}", f"no error category {slug!r} (add it first)")
            return None
        return known[slug]


def read_document(data: Any) -> tuple[dict, list[str]]:
    """Validate ``data`` and return (plain parsed form, problems)."""
    r = Reader()
    data = r.obj(data, "document")
    if data.get("format") != FORMAT:
        r.fail("format", f"must be {FORMAT!r} (is this an exported audit form?)")
    categories = {c.slug: c for c in ErrorCategory.objects.all()}
    form = r.obj(data.get("form", {}), "form")
    version = r.obj(data.get("version", {}), "version")
    workflows = []
    for i, slug in enumerate(r.items(form, "workflows", "form.", required=False)):
        found = Workflow.objects.filter(slug=slug).first() if isinstance(slug, str) else None
        if found is None:
            r.fail(f"form.workflows[{i}]", f"no workflow {slug!r}")
        workflows.append(found)
    parsed = {
        "name": r.text(form, "name", "form.", required=True, max_length=120),
        "description": r.text(form, "description", "form.", max_length=5000),
        "workflows": workflows,
        "pass_mark": r.decimal(version, "pass_mark", "version.", 80, 0, 100, low_inclusive=True),
        "critical_zeroes_score": r.flag(version, "critical_zeroes_score", "version.", True),
        "changelog": r.text(version, "changelog", "version.", max_length=5000),
        "sections": [],
    }
    sections = r.items(data, "sections", "")
    if not sections and "sections" in data:
        r.fail("sections", "needs at least one section")
    section_keys: set[str] = set()
    question_keys: set[str] = set()
    for s, raw_section in enumerate(sections):
        sp = f"sections[{s}]."
        section = r.obj(raw_section, sp[:-1])
        key = r.key(section, "key", sp)
        if key in section_keys:
            r.fail(f"{sp}key", f"{key!r} is used by another section")
        section_keys.add(key)
        parsed_section = {
            "key": key, "title": r.text(section, "title", sp, required=True, max_length=200),
            "description": r.text(section, "description", sp, max_length=5000),
            "weight": r.decimal(section, "weight", sp, 1, 0), "questions": [],
        }
        questions = r.items(section, "questions", sp)
        if not questions and isinstance(section.get("questions"), list):
            r.fail(f"{sp}questions", "needs at least one question")
        for q, raw_question in enumerate(questions):
            qp = f"{sp}questions[{q}]."
            parsed_section["questions"].append(
                read_question(r, r.obj(raw_question, qp[:-1]), qp, question_keys, categories)
            )
        parsed["sections"].append(parsed_section)
    return parsed, r.problems


def read_question(r: Reader, question: dict, qp: str, keys: set, categories: dict) -> dict:
    key = r.key(question, "key", qp)
    if key in keys:
        r.fail(f"{qp}key", f"{key!r} is used by another question")
    keys.add(key)
    kind = question.get("kind", "yes_no")
    if kind not in KINDS:
        r.fail(f"{qp}kind", f"{kind!r} is not one of {sorted(KINDS)}")
    parsed = {
        "key": key, "text": r.text(question, "text", qp, required=True),
        "guidance": r.text(question, "guidance", qp, max_length=5000), "kind": kind,
        "weight": r.decimal(question, "weight", qp, 1, 0),
        "critical": r.flag(question, "critical", qp, False),
        "na_allowed": r.flag(question, "na_allowed", qp, False),
        "required": r.flag(question, "required", qp, True),
        "error_category": r.category(question, "error_category", qp, categories),
        "scale_error_at_or_below": 2, "choices": [],
    }
    if kind == "scale":
        level = question.get("scale_error_at_or_below", 2)
        if not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= 5:
            r.fail(f"{qp}scale_error_at_or_below", "must be a whole number from 0 to 5")
        else:
            parsed["scale_error_at_or_below"] = level
    if kind == "choice":
        choices = r.items(question, "choices", qp)
        if len(choices) < 2 and isinstance(question.get("choices"), list):
            r.fail(f"{qp}choices", "a single-choice question needs at least 2 choices")
        values: set[str] = set()
        for c, raw_choice in enumerate(choices):
            cp = f"{qp}choices[{c}]."
            choice = r.obj(raw_choice, cp[:-1])
            value = r.key(choice, "value", cp)
            if value == "na" or value in values:
                r.fail(f"{cp}value", f"{value!r} is already an answer of this question")
            values.add(value)
            parsed["choices"].append({
                "value": value, "label": r.text(choice, "label", cp, required=True, max_length=200),
                "credit": r.decimal(choice, "credit", cp, 1, 0, 1, low_inclusive=True),
                "is_error": r.flag(choice, "is_error", cp, False),
                "error_category": r.category(choice, "error_category", cp, categories),
            })
    return parsed


@transaction.atomic
def import_version(data: Any, *, by, form: AuditForm | None = None) -> FormVersion:
    """Import a form document as a draft: of a new form, or a new draft of ``form``.

    Raises FormImportError listing every problem (nothing is written), including a name
    clash for a new form and an existing draft of ``form`` (publish or discard it first).
    """
    parsed, problems = read_document(data)
    if form is None and parsed["name"] and AuditForm.objects.filter(
        name__iexact=parsed["name"]
    ).exists():
        problems.append(
            f"form.name: a form named {parsed['name']!r} already exists; "
            "import into it from its page to make a new version"
        )
    if form is not None and form.versions.drafts().exists():
        problems.append(f"{form.name} already has a draft: publish or discard it first")
    if problems:
        raise FormImportError(problems)
    if form is None:
        try:
            version = create_form(
                name=parsed["name"], created_by=by, workflows=parsed["workflows"],
                description=parsed["description"],
            )
        except FormEditError as error:
            raise FormImportError(error.problems) from error
    else:
        version = start_draft(form, by=by, empty=True)
    version.pass_mark = parsed["pass_mark"]
    version.critical_zeroes_score = parsed["critical_zeroes_score"]
    version.changelog = parsed["changelog"]
    version.save(update_fields=["pass_mark", "critical_zeroes_score", "changelog"])
    write_parts(version, parsed["sections"])
    return version


def write_parts(version: FormVersion, sections: list[dict]) -> None:
    """Create the parsed sections, questions and choices in the (new, draft) version: one
    insert for each kind of part, whatever the form's size. (Bulk inserts skip each part's
    check that its version is still a draft, which a draft made in this transaction is.)"""
    new_sections = FormSection.objects.bulk_create(
        FormSection(version=version, position=s, **without(section, "questions"))
        for s, section in enumerate(sections, start=1)
    )
    questions, choices = [], []
    for section, new_section in zip(sections, new_sections, strict=True):
        for q, question in enumerate(section["questions"], start=1):
            questions.append(FormQuestion(section=new_section, version=version, position=q,
                                          **without(question, "choices")))
            choices.append(question["choices"])
    FormQuestion.objects.bulk_create(questions)
    FormChoice.objects.bulk_create(
        FormChoice(question=question, position=c, **choice)
        for question, listed in zip(questions, choices, strict=True)
        for c, choice in enumerate(listed, start=1)
    )


def without(fields: dict, name: str) -> dict:
    return {key: value for key, value in fields.items() if key != name}
