"""The numbers of a closed session, from plain values: agreement per question and overall,
and each participant's accuracy against the gold answers.

Pure (no Django): ``session_results`` takes the questions, the participants' ratings and
the gold answers as dictionaries, so the page, the API and a notebook compute the same
thing. Agreement is over the participants' ratings only; gold is the yardstick of
accuracy, not one more rater. Formulas: ``sampling.stats`` and
docs/statistics.md#calibration-agreement.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

from sampling.stats import (
    fleiss_kappa,
    krippendorff_alpha,
    krippendorff_alpha_ci,
    percent_agreement,
    proportion_ci,
)

NA = "na"
SCALE = "scale"
OVERALL = "overall"

# Krippendorff (2004, §11.4): rely on variables with alpha >= .800; consider those between
# .667 and .800 only for tentative conclusions.
RELIABLE = 0.800
TENTATIVE = 0.667


@dataclass(frozen=True)
class Agreement:
    """Agreement among the participants on one question (or all of them: ``overall``)."""

    key: str
    kind: str
    n_units: int  # items rated by two or more participants
    n_raters: int
    percent_agreement: float | None
    fleiss_kappa: float | None  # None unless every rated item has the same number of raters
    alpha_nominal: float | None
    alpha_ordinal: float | None  # scale questions only
    alpha_ci: tuple[float, float] | None  # bootstrap interval of alpha_nominal
    alpha_ordinal_ci: tuple[float, float] | None = None

    @property
    def verdict(self) -> str:
        """Krippendorff's reading of the alpha that fits the question (ordinal for scales)."""
        alpha = self.alpha_ordinal if self.alpha_ordinal is not None else self.alpha_nominal
        if alpha is None:
            return "not enough ratings"
        if alpha >= RELIABLE:
            return "reliable"
        if alpha >= TENTATIVE:
            return "tentative"
        return "unreliable"

    def as_dict(self) -> dict:
        return {
            "key": self.key, "kind": self.kind, "n_units": self.n_units,
            "n_raters": self.n_raters, "percent_agreement": self.percent_agreement,
            "fleiss_kappa": self.fleiss_kappa, "alpha_nominal": self.alpha_nominal,
            "alpha_ordinal": self.alpha_ordinal,
            "alpha_ci": list(self.alpha_ci) if self.alpha_ci else None,
            "alpha_ordinal_ci": list(self.alpha_ordinal_ci) if self.alpha_ordinal_ci else None,
        }


@dataclass(frozen=True)
class Accuracy:
    """How often one participant's answers match the gold answers, with a Wilson interval."""

    rater: Hashable
    matches: int
    compared: int
    low: float | None
    high: float | None
    by_question: dict[str, tuple[int, int]] = field(default_factory=dict)  # key: (matches, n)

    @property
    def rate(self) -> float | None:
        return self.matches / self.compared if self.compared else None


@dataclass(frozen=True)
class SessionResults:
    questions: list[Agreement]
    overall: Agreement
    accuracy: list[Accuracy]


def agreement(
    key: str, kind: str, units: Sequence[Sequence[str]], *, seed: int = 0
) -> Agreement:
    """Agreement over ``units``: for each item, the answers its raters gave (any order).

    N/A is a category of its own for the nominal statistics and missing for the ordinal
    ones (it is not a point on the scale).
    """
    rated = [list(unit) for unit in units if unit]
    pairable = [unit for unit in rated if len(unit) >= 2]
    raters = max((len(unit) for unit in rated), default=0)
    if not pairable:
        return Agreement(key, kind, 0, raters, None, None, None, None, None)
    data = _raters_by_units(pairable, raters)
    sizes = {len(unit) for unit in rated}
    kappa = None
    if len(sizes) == 1:
        categories = sorted({answer for unit in rated for answer in unit})
        counts = [[Counter(unit)[c] for c in categories] for unit in rated]
        kappa = fleiss_kappa(counts)
    alpha_ordinal = ordinal_ci = None
    if kind == SCALE:
        scale = [[None if v in (None, NA) else int(v) for v in row] for row in data]
        if any(sum(row[u] is not None for row in scale) >= 2 for u in range(len(pairable))):
            alpha_ordinal = krippendorff_alpha(scale, "ordinal")
            ordinal_ci = krippendorff_alpha_ci(scale, "ordinal", seed=seed)
    return Agreement(
        key=key, kind=kind, n_units=len(pairable), n_raters=raters,
        percent_agreement=percent_agreement(data), fleiss_kappa=kappa,
        alpha_nominal=krippendorff_alpha(data), alpha_ordinal=alpha_ordinal,
        alpha_ci=krippendorff_alpha_ci(data, seed=seed), alpha_ordinal_ci=ordinal_ci,
    )


def _raters_by_units(units: list[list[str]], raters: int) -> list[list[str | None]]:
    """Units' answers as the raters x units matrix the coefficients take. Which rater gave
    which answer does not matter to them, only which answers share a unit."""
    return [[unit[r] if r < len(unit) else None for unit in units] for r in range(raters)]


def session_results(
    questions: Sequence[tuple[str, str]],
    ratings: Mapping[tuple[Hashable, Hashable, str], str],
    gold: Mapping[tuple[Hashable, str], str],
    raters: Sequence[Hashable],
    *, confidence: float = 0.95,
) -> SessionResults:
    """Everything a closed session reports.

    ``questions``: (key, kind) in form order; ``ratings``: (item, rater, key) -> answer;
    ``gold``: (item, key) -> answer; ``raters``: the participants, in the order to report.
    Raters' distinct counts per question come from the ratings (n_raters: the most raters
    any item had).
    """
    by_question = _answers_by_question(questions, ratings)
    results = [
        agreement(key, kind, list(by_question[key].values())) for key, kind in questions
    ]
    return SessionResults(results, _overall(questions, ratings, by_question),
                          _accuracy(questions, ratings, gold, raters, confidence))


def overall_agreement(
    questions: Sequence[tuple[str, str]],
    ratings: Mapping[tuple[Hashable, Hashable, str], str],
) -> Agreement:
    """The ``overall`` entry of ``session_results`` alone (the same units in the same order,
    so the same bootstrap interval), for pages that follow a session's alpha over time."""
    return _overall(questions, ratings, _answers_by_question(questions, ratings))


def _answers_by_question(questions, ratings) -> dict[str, dict[Hashable, list[str]]]:
    by_question: dict[str, dict[Hashable, list[str]]] = {key: {} for key, _ in questions}
    for (item, _rater, key), answer in ratings.items():
        if key in by_question:
            by_question[key].setdefault(item, []).append(answer)
    return by_question


def _overall(questions, ratings, by_question) -> Agreement:
    every_unit = [answers for key, _ in questions for answers in by_question[key].values()]
    overall = agreement(OVERALL, OVERALL, every_unit)
    n_raters = len({rater for (_item, rater, _key) in ratings})
    return Agreement(**{**overall.__dict__, "n_raters": n_raters})


def _accuracy(questions, ratings, gold, raters, confidence) -> list[Accuracy]:
    keys = {key for key, _ in questions}
    tallies: dict[Hashable, dict[str, list[int]]] = {rater: {} for rater in raters}
    for (item, rater, key), answer in ratings.items():
        expected = gold.get((item, key))
        if expected is None or key not in keys or rater not in tallies:
            continue
        tally = tallies[rater].setdefault(key, [0, 0])
        tally[0] += answer == expected
        tally[1] += 1
    accuracy = []
    for rater in raters:
        per_question = {key: tuple(t) for key, t in tallies[rater].items()}
        matches = sum(m for m, _ in per_question.values())
        compared = sum(n for _, n in per_question.values())
        low = high = None
        if compared:
            low, high = proportion_ci(matches, compared, confidence, method="wilson")
        accuracy.append(Accuracy(rater, matches, compared, low, high, per_question))
    return accuracy
