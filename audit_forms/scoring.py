"""Scoring an audit: the one function that turns answers into a score. Pure (a plain form spec
and answers in, plain values out), so the workspace, disputes, the API, the demo and the rollups
all score the same way. The rules and a worked example: docs/user-guide.md#qa-auditor.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

QuestionKind = Literal["yes_no", "pass_fail", "scale", "choice"]
NA = "na"

YES_NO_CREDIT = {"yes": 1.0, "no": 0.0}
PASS_FAIL_CREDIT = {"pass": 1.0, "fail": 0.0}
SCALE_VALUES = ("1", "2", "3", "4", "5")


class InvalidAnswers(ValueError):
    """Answers that cannot be scored; ``problems`` maps question keys to messages."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{key}: {message}" for key, message in problems.items()))


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    credit: float
    is_error: bool = False
    error_category: str = ""


@dataclass(frozen=True)
class Question:
    key: str
    kind: QuestionKind
    weight: float = 1.0
    critical: bool = False
    na_allowed: bool = False
    required: bool = True
    error_category: str = ""
    # Scale questions: answers at or below this value count as errors.
    scale_error_at_or_below: int = 2
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Section:
    key: str
    questions: tuple[Question, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class FormSpec:
    sections: tuple[Section, ...]
    pass_mark: float = 80.0
    critical_zeroes_score: bool = True

    def questions(self) -> list[Question]:
        return [q for section in self.sections for q in section.questions]


@dataclass(frozen=True)
class ScoreResult:
    score: float | None  # None when every question was N/A: nothing to score
    passed: bool
    critical_failed: bool
    section_scores: dict[str, float | None]
    errors: tuple[str, ...]  # question keys answered in error
    error_categories: dict[str, int] = field(default_factory=dict)
    failed_critical_questions: tuple[str, ...] = ()


def answer_credit(question: Question, answer: str) -> tuple[float | None, bool, str]:
    """(credit, is_error, error_category) for one answer; credit None means N/A."""
    if answer == NA:
        if not question.na_allowed:
            raise InvalidAnswers({question.key: "N/A is not allowed for this question"})
        return None, False, ""
    category = question.error_category
    if question.kind in ("yes_no", "pass_fail"):
        credits = YES_NO_CREDIT if question.kind == "yes_no" else PASS_FAIL_CREDIT
        if answer not in credits:
            raise InvalidAnswers({question.key: f"{answer!r} is not one of {sorted(credits)}"})
        credit = credits[answer]
        return credit, credit == 0.0, category
    if question.kind == "scale":
        if answer not in SCALE_VALUES:
            raise InvalidAnswers({question.key: f"{answer!r} is not on the 1–5 scale"})
        value = int(answer)
        return (value - 1) / 4, value <= question.scale_error_at_or_below, category
    for choice in question.choices:
        if choice.value == answer:
            return choice.credit, choice.is_error, choice.error_category or category
    options = [c.value for c in question.choices]
    raise InvalidAnswers({question.key: f"{answer!r} is not one of {options}"})


def missing_answers(form: FormSpec, answers: dict[str, str]) -> list[str]:
    """Keys of required questions with no answer, in form order."""
    return [q.key for q in form.questions() if q.required and not answers.get(q.key)]


def score_audit(form: FormSpec, answers: dict[str, str]) -> ScoreResult:
    """Score ``answers`` (question key → answer value) against a published form version. Raises
    InvalidAnswers naming every problem, so nothing half-scored is ever stored."""
    known = {q.key for q in form.questions()}
    problems = {key: "not a question of this form" for key in answers if key not in known}
    problems.update({key: "an answer is required" for key in missing_answers(form, answers)})
    if problems:
        raise InvalidAnswers(problems)

    section_scores: dict[str, float | None] = {}
    errors: list[str] = []
    categories: Counter[str] = Counter()
    failed_critical: list[str] = []
    weighted_sum = weight_total = 0.0
    for section in form.sections:
        credit_sum = question_weight = 0.0
        for question in section.questions:
            if not answers.get(question.key):
                continue  # an optional question left blank counts as not applicable
            credit, is_error, category = answer_credit(question, answers[question.key])
            if credit is None:
                continue
            credit_sum += question.weight * credit
            question_weight += question.weight
            if is_error:
                errors.append(question.key)
                if category:
                    categories[category] += 1
                if question.critical:
                    failed_critical.append(question.key)
        if question_weight > 0:
            section_score = 100.0 * credit_sum / question_weight
            section_scores[section.key] = section_score
            weighted_sum += section.weight * section_score
            weight_total += section.weight
        else:
            section_scores[section.key] = None

    score = weighted_sum / weight_total if weight_total > 0 else None
    critical_failed = bool(failed_critical)
    if critical_failed and form.critical_zeroes_score:
        score = 0.0
    passed = not critical_failed and (score is None or score >= form.pass_mark)
    return ScoreResult(
        score=None if score is None else round(score, 4),
        passed=passed,
        critical_failed=critical_failed,
        section_scores=section_scores,
        errors=tuple(errors),
        error_categories=dict(categories),
        failed_critical_questions=tuple(failed_critical),
    )
