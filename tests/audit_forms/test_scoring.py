"""Scoring: the worked example from the user guide, N/A, critical auto-fail and properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit_forms.scoring import (
    NA,
    Choice,
    FormSpec,
    InvalidAnswers,
    Question,
    Section,
    score_audit,
)

# The user guide's worked example: a moderation form with two sections.
DECISION = Section(
    key="decision",
    weight=3,
    questions=(
        Question(
            "correct_action", "yes_no", weight=3, critical=True, error_category="wrong action"
        ),
        Question("correct_policy", "pass_fail", weight=2, error_category="policy error"),
        Question(
            "escalated_when_needed",
            "pass_fail",
            weight=1,
            na_allowed=True,
            error_category="procedural",
        ),
    ),
)
EXPERIENCE = Section(
    key="experience",
    weight=1,
    questions=(
        Question("tone", "scale", weight=1, error_category="customer experience"),
        Question(
            "macro",
            "choice",
            weight=1,
            choices=(
                Choice("right", "Right macro", 1.0),
                Choice("edited", "Edited macro", 0.5),
                Choice("wrong", "Wrong macro", 0.0, is_error=True, error_category="procedural"),
            ),
        ),
    ),
)
FORM = FormSpec(sections=(DECISION, EXPERIENCE), pass_mark=85)


def test_worked_example_from_the_readme():
    result = score_audit(
        FORM,
        {
            "correct_action": "yes",
            "correct_policy": "fail",
            "escalated_when_needed": NA,
            "tone": "4",
            "macro": "edited",
        },
    )
    # decision: (3·1 + 2·0) / (3 + 2) = 60; experience: (0.75 + 0.5) / 2 = 62.5
    assert result.section_scores == {"decision": 60.0, "experience": 62.5}
    # audit: (3·60 + 1·62.5) / 4 = 60.625
    assert result.score == pytest.approx(60.625)
    assert not result.passed and not result.critical_failed
    assert result.errors == ("correct_policy",)
    assert result.error_categories == {"policy error": 1}


def test_a_perfect_audit_scores_100_and_passes():
    result = score_audit(
        FORM,
        {
            "correct_action": "yes",
            "correct_policy": "pass",
            "escalated_when_needed": "pass",
            "tone": "5",
            "macro": "right",
        },
    )
    assert result.score == 100 and result.passed and result.errors == ()


def test_a_failed_critical_question_fails_the_audit_and_zeroes_the_score():
    answers = {
        "correct_action": "no",
        "correct_policy": "pass",
        "escalated_when_needed": "pass",
        "tone": "5",
        "macro": "right",
    }
    result = score_audit(FORM, answers)
    assert result.critical_failed and not result.passed and result.score == 0
    assert result.failed_critical_questions == ("correct_action",)
    kept = score_audit(FormSpec(FORM.sections, pass_mark=0, critical_zeroes_score=False), answers)
    assert not kept.passed and kept.score == pytest.approx(100 * (3 * (2 + 1) / 6 + 1) / 4)


def test_every_problem_with_the_answers_is_named():
    with pytest.raises(InvalidAnswers) as caught:
        score_audit(FORM, {"correct_action": "maybe", "tone": NA, "bogus": "yes"})
    problems = caught.value.problems
    assert problems["bogus"] == "not a question of this form"
    assert problems["correct_policy"] == "an answer is required"
    assert problems["macro"] == "an answer is required"


def test_impossible_answers_are_refused():
    base = {
        "correct_action": "yes",
        "correct_policy": "pass",
        "escalated_when_needed": "pass",
        "tone": "5",
        "macro": "right",
    }
    for key, bad in [("correct_action", "maybe"), ("tone", "6"), ("macro", "other"), ("tone", NA)]:
        with pytest.raises(InvalidAnswers, match=key):
            score_audit(FORM, {**base, key: bad})


# --- properties -------------------------------------------------------------------------

ANSWER_BY_KIND = {
    "yes_no": st.sampled_from(["yes", "no"]),
    "pass_fail": st.sampled_from(["pass", "fail"]),
    "scale": st.sampled_from(["1", "2", "3", "4", "5"]),
}


@st.composite
def forms_and_answers(draw):
    sections = []
    answers = {}
    for s in range(draw(st.integers(1, 4))):
        questions = []
        for q in range(draw(st.integers(1, 5))):
            kind = draw(st.sampled_from(sorted(ANSWER_BY_KIND)))
            key = f"s{s}q{q}"
            questions.append(
                Question(
                    key,
                    kind,
                    weight=draw(st.integers(1, 5)),
                    critical=draw(st.booleans()),
                    na_allowed=True,
                )
            )
            answers[key] = draw(st.one_of(ANSWER_BY_KIND[kind], st.just(NA)))
        sections.append(Section(f"s{s}", tuple(questions), weight=draw(st.integers(1, 5))))
    return FormSpec(tuple(sections), pass_mark=draw(st.integers(0, 100))), answers


@given(forms_and_answers())
def test_score_is_between_0_and_100(case):
    form, answers = case
    score = score_audit(form, answers).score
    assert score is None or 0 <= score <= 100


@given(forms_and_answers())
def test_any_critical_fail_gives_fail(case):
    form, answers = case
    result = score_audit(form, answers)
    critical_error = any(
        q.critical and answers[q.key] in {"no", "fail", "1", "2"} for q in form.questions()
    )
    assert result.critical_failed == critical_error
    if critical_error:
        assert not result.passed


@given(forms_and_answers(), st.data())
def test_marking_a_question_na_is_the_same_as_removing_it(case, data):
    form, answers = case
    target = data.draw(st.sampled_from(sorted(answers)))
    with_na = score_audit(form, {**answers, target: NA})
    sections = []
    for section in form.sections:
        kept = tuple(q for q in section.questions if q.key != target)
        if kept:
            sections.append(Section(section.key, kept, section.weight))
    if not sections:
        return
    without = score_audit(
        FormSpec(tuple(sections), form.pass_mark),
        {k: v for k, v in answers.items() if k != target},
    )
    if without.score is None:
        assert with_na.score is None
    else:
        assert with_na.score == pytest.approx(without.score)
    assert with_na.passed == without.passed
