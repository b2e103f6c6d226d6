"""Auditor reliability over time, from closed calibration sessions: each participant's accuracy
against the gold answers session by session and month by month, their agreement with the rest
of the group, a drift flag when their accuracy falls significantly, and a form's alpha session
by session.

Pure (no database): the functions take plain values (counts, dates, the ratings of a session
as ``(item, rater, question) -> answer``), so the reliability page, the auditor's home and the
overview's red flags compute the same thing. Formulas and the choices made:
docs/statistics.md#auditor-reliability-over-time.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from accounts.formats import percent
from sampling.stats import difference_ci, krippendorff_alpha, proportion_ci, two_proportion_test

from .results import _raters_by_units

# The latest window a person's accuracy is compared with their earlier history, the test's
# significance level, and the fewest answers with a gold answer either side needs before the
# z-test (a normal approximation) is read at all.
DRIFT_WINDOW_DAYS = 90
DRIFT_LEVEL = 0.05
DRIFT_MIN_ANSWERS = 20

Ratings = Mapping[tuple[Hashable, Hashable, str], str]


@dataclass(frozen=True)
class Tally:
    """``hits`` of ``n`` (answers equal to gold, or to the group's), with a Wilson interval."""

    hits: int
    n: int
    low: float | None
    high: float | None

    @property
    def rate(self) -> float | None:
        return self.hits / self.n if self.n else None


def tally(hits: int, n: int, confidence: float = 0.95) -> Tally:
    if not n:
        return Tally(hits, 0, None, None)
    low, high = proportion_ci(hits, n, confidence, method="wilson")
    return Tally(hits, n, low, high)


@dataclass(frozen=True)
class SessionScore:
    """One person's numbers in one closed session."""

    session: Hashable
    closed_at: dt.datetime
    accuracy: Tally  # answers equal to the gold answer, of those with a gold answer
    agreement: Tally | None = None  # answers equal to the others' modal answer


@dataclass(frozen=True)
class MonthPoint:
    month: dt.date  # the first day of the (UTC) month
    accuracy: Tally


def by_month(scores: Iterable[SessionScore], confidence: float = 0.95) -> list[MonthPoint]:
    """Accuracy pooled over the sessions closed in each UTC month, oldest first."""
    pooled: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for score in scores:
        day = score.closed_at.astimezone(dt.UTC).date()
        counts = pooled[day.replace(day=1)]
        counts[0] += score.accuracy.hits
        counts[1] += score.accuracy.n
    return [MonthPoint(month, tally(hits, n, confidence))
            for month, (hits, n) in sorted(pooled.items()) if n]


def pooled(tallies: Iterable[Tally | None], confidence: float = 0.95) -> Tally:
    hits = n = 0
    for t in tallies:
        if t is not None:
            hits, n = hits + t.hits, n + t.n
    return tally(hits, n, confidence)


@dataclass(frozen=True)
class Drift:
    """A person's accuracy in the latest window against their earlier history: the pooled
    z-test and Newcombe's interval of the difference (latest − earlier)."""

    since: dt.datetime
    recent: Tally
    earlier: Tally
    z: float
    p_value: float
    low: float
    high: float
    level: float = DRIFT_LEVEL

    @property
    def difference(self) -> float:
        return self.recent.rate - self.earlier.rate

    @property
    def significant(self) -> bool:
        return self.p_value < self.level

    @property
    def drifted(self) -> bool:
        """Significantly lower than before (a significant rise is no drift)."""
        return self.significant and self.recent.rate < self.earlier.rate

    @property
    def text(self) -> str:
        moved = "fell" if self.recent.rate < self.earlier.rate else (
            "rose" if self.recent.rate > self.earlier.rate else "stayed")
        reading = "significant" if self.significant else "not significant"
        return (f"accuracy against gold {moved} from {percent(self.earlier.rate)} to "
                f"{percent(self.recent.rate)} ({reading})")


def drift(scores: Sequence[SessionScore], now: dt.datetime, *,
          window_days: int = DRIFT_WINDOW_DAYS, level: float = DRIFT_LEVEL,
          min_answers: int = DRIFT_MIN_ANSWERS) -> Drift | None:
    """Compare the sessions closed in the last ``window_days`` days before ``now`` with every
    earlier one; None when either side has fewer than ``min_answers`` answers to gold."""
    since = now - dt.timedelta(days=window_days)
    recent = pooled(s.accuracy for s in scores if since <= s.closed_at <= now)
    earlier = pooled(s.accuracy for s in scores if s.closed_at < since)
    if recent.n < min_answers or earlier.n < min_answers:
        return None
    z, p_value = two_proportion_test(recent.hits, recent.n, earlier.hits, earlier.n)
    low, high = difference_ci(recent.hits, recent.n, earlier.hits, earlier.n,
                              confidence=1 - level)
    return Drift(since, recent, earlier, z, p_value, low, high, level)


def group_agreement(ratings: Ratings) -> dict[Hashable, tuple[int, int]]:
    """For each rater of one session: (answers equal to the others' modal answer, answers
    compared). A (ticket, question) counts for a rater when at least one other participant
    answered it and the others' most frequent answer is unique (a tie has no mode)."""
    units: dict[tuple[Hashable, str], dict[Hashable, str]] = defaultdict(dict)
    for (item, rater, key), answer in ratings.items():
        units[(item, key)][rater] = answer
    counts: dict[Hashable, list[int]] = defaultdict(lambda: [0, 0])
    for answers in units.values():
        everyone = Counter(answers.values())
        for rater, answer in answers.items():
            others = everyone.copy()
            others[answer] -= 1
            ranked = [(c, a) for a, c in others.most_common() if c > 0]
            if not ranked or (len(ranked) > 1 and ranked[0][0] == ranked[1][0]):
                continue
            counts[rater][0] += answer == ranked[0][1]
            counts[rater][1] += 1
    return {rater: (hits, n) for rater, (hits, n) in counts.items()}


def pooled_alpha(ratings: Ratings) -> float | None:
    """Krippendorff's nominal alpha over every (ticket, question) of a session, the answers
    pooled: the ``overall`` alpha of ``calibration.results`` without its bootstrap interval
    (the point value does not depend on the order of the units)."""
    units: dict[tuple[Hashable, str], list[str]] = defaultdict(list)
    for (item, _rater, key), answer in ratings.items():
        units[(item, key)].append(answer)
    pairable = [answers for answers in units.values() if len(answers) >= 2]
    if not pairable:
        return None
    raters = max(len(answers) for answers in pairable)
    return krippendorff_alpha(_raters_by_units(pairable, raters))
