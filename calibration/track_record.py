"""Auditor reliability over time, read from the closed sessions: the reliability page
(``reliability_report``), a person's own numbers (``own_reliability``, the auditor's home) and
what the overview raises as red flags (``drifting_people``, ``forms_below_tentative``).

Internal: callers show it to QA staff only (a vendor QA analyst's accuracy is on the sessions
they took part in). Queries are bounded: accuracy is counted in the database, one row per
session and person; the ratings are read only where agreement or alpha needs them. The
numbers are ``calibration.reliability`` (pure).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from accounts.formats import day, percent
from audit_forms.catalog import spec_of

from . import charts, reliability
from .models import CalibrationSession, GoldAnswer, Rating, SessionStatus
from .reliability import Drift, MonthPoint, SessionScore, Tally, tally
from .results import TENTATIVE, Agreement, overall_agreement


def accuracy_counts(*, rater=None, sessions=None) -> dict[tuple[int, int], tuple[int, int]]:
    """(session id, rater id) -> (answers equal to gold, answers with a gold answer), over the
    closed sessions (of ``sessions`` when given, of ``rater`` when given): one grouped query,
    the same counts as ``calibration.results``' accuracy."""
    matches_gold = GoldAnswer.objects.filter(
        item=OuterRef("item"), question_key=OuterRef("question_key"), answer=OuterRef("answer"))
    has_gold = GoldAnswer.objects.filter(item=OuterRef("item"),
                                         question_key=OuterRef("question_key"))
    ratings = Rating.objects.filter(item__session__status=SessionStatus.CLOSED)
    if rater is not None:
        ratings = ratings.filter(rater=rater)
    if sessions is not None:
        ratings = ratings.filter(item__session__in=sessions)
    rows = (ratings.filter(Exists(has_gold)).annotate(hit=Exists(matches_gold))
            .values("item__session", "rater").order_by()
            .annotate(n=Count("id"), hits=Count("id", filter=Q(hit=True))))
    return {(r["item__session"], r["rater"]): (r["hits"], r["n"]) for r in rows}


def closed_sessions(**filters) -> list[CalibrationSession]:
    """Closed sessions, oldest first (by when they closed)."""
    return list(CalibrationSession.objects.filter(status=SessionStatus.CLOSED, **filters)
                .select_related("form_version__form").order_by("closed_at", "pk"))


def session_ratings(sessions) -> dict[int, dict[tuple[int, int, str], str]]:
    """Each session's ratings as ``(item, rater, question) -> answer``, in the order
    ``calibration.selectors.session_results`` reads them (so the same bootstrap interval)."""
    by_session: dict[int, dict] = defaultdict(dict)
    for session_id, item, rater, key, answer in (
            Rating.objects.filter(item__session__in=sessions)
            .values_list("item__session_id", "item_id", "rater_id", "question_key", "answer")):
        by_session[session_id][(item, rater, key)] = answer
    return by_session


@dataclass
class PersonSession:
    session: CalibrationSession
    score: SessionScore


@dataclass
class PersonReliability:
    """One person's track record over the closed sessions they took part in, oldest first."""

    user: object
    sessions: list[PersonSession]
    months: list[MonthPoint]
    accuracy: Tally
    agreement: Tally
    drift: Drift | None

    @property
    def latest(self) -> PersonSession | None:
        return self.sessions[-1] if self.sessions else None

    @property
    def sparkline(self) -> str:
        drifted = self.drift is not None and self.drift.drifted
        points = [charts.Point(
            f"{m.month:%b %Y}: {percent(m.accuracy.rate)} ({m.accuracy.hits}/{m.accuracy.n}), "
            f"95% interval {percent(m.accuracy.low)}–{percent(m.accuracy.high)}",
            m.accuracy.rate, m.accuracy.low, m.accuracy.high,
            alert=drifted and dt.datetime.combine(
                _month_end(m.month), dt.time(), tzinfo=dt.UTC) > self.drift.since)
            for m in self.months]
        return charts.sparkline(points, label=f"{self.user}: accuracy against gold by month")


def _month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


@dataclass
class FormAlpha:
    """A form's overall alpha (nominal) session by session, oldest first."""

    form: object
    points: list[tuple[CalibrationSession, Agreement]] = field(default_factory=list)

    @property
    def latest(self) -> tuple[CalibrationSession, Agreement] | None:
        return self.points[-1] if self.points else None

    @property
    def below_tentative(self) -> bool:
        latest = self.latest
        return bool(latest and latest[1].alpha_nominal is not None
                    and latest[1].alpha_nominal < TENTATIVE)

    @property
    def sparkline(self) -> str:
        points = [charts.Point(
            f"{s.name} ({day(s.closed_at)}): α {a.alpha_nominal:.3f}"
            + (f", 95% interval {a.alpha_ci[0]:.3f}–{a.alpha_ci[1]:.3f}" if a.alpha_ci else ""),
            a.alpha_nominal, *(a.alpha_ci or (None, None)),
            alert=a.alpha_nominal < TENTATIVE)
            for s, a in self.points if a.alpha_nominal is not None]
        low = min([0.0, *(p.low for p in points if p.low is not None)])
        return charts.sparkline(points, label=f"{self.form}: alpha by session", bottom=low)


@dataclass
class ReliabilityReport:
    now: dt.datetime
    people: list[PersonReliability]
    forms: list[FormAlpha]
    sessions: list[CalibrationSession]

    @property
    def drifting(self) -> list[PersonReliability]:
        return [p for p in self.people if p.drift is not None and p.drift.drifted]


def _people(sessions, counts, ratings, users, now) -> list[PersonReliability]:
    by_session = {s.pk: s for s in sessions}
    agreement = {pk: reliability.group_agreement(ratings.get(pk, {})) for pk in by_session}
    scores: dict[int, list[PersonSession]] = defaultdict(list)
    for (session_id, rater), (hits, n) in counts.items():
        session = by_session.get(session_id)
        if session is None:
            continue
        agreed = agreement[session_id].get(rater)
        scores[rater].append(PersonSession(session, SessionScore(
            session_id, session.closed_at, tally(hits, n),
            tally(*agreed) if agreed else None)))
    people = []
    for rater, rows in scores.items():
        rows.sort(key=lambda row: (row.session.closed_at, row.session.pk))
        plain = [row.score for row in rows]
        people.append(PersonReliability(
            user=users[rater], sessions=rows, months=reliability.by_month(plain),
            accuracy=reliability.pooled(s.accuracy for s in plain),
            agreement=reliability.pooled(s.agreement for s in plain),
            drift=reliability.drift(plain, now)))
    people.sort(key=lambda p: p.user.email)
    return people


def _users(ids) -> dict:
    return get_user_model().objects.select_related("vendor").in_bulk(list(ids))


def reliability_report(now: dt.datetime | None = None) -> ReliabilityReport:
    """Everyone's track record and every form's alpha over all closed sessions."""
    now = now or timezone.now()
    sessions = closed_sessions(closed_at__lte=now)
    counts = accuracy_counts(sessions=[s.pk for s in sessions])
    ratings = session_ratings([s.pk for s in sessions])
    people = _people(sessions, counts, ratings, _users({r for _, r in counts}), now)
    forms: dict[int, FormAlpha] = {}
    questions: dict[int, list[tuple[str, str]]] = {}
    for session in sessions:
        version = session.form_version_id
        if version not in questions:
            questions[version] = [(q.key, q.kind) for q in
                                  spec_of(version).questions()]
        form = session.form_version.form
        forms.setdefault(form.pk, FormAlpha(form)).points.append(
            (session, overall_agreement(questions[version], ratings.get(session.pk, {}))))
    return ReliabilityReport(now, people, sorted(forms.values(), key=lambda f: str(f.form)),
                             sessions)


def own_reliability(user, now: dt.datetime | None = None) -> PersonReliability | None:
    """``user``'s own track record (None when they took part in no closed session with gold)."""
    now = now or timezone.now()
    counts = accuracy_counts(rater=user)
    if not counts:
        return None
    sessions = closed_sessions(pk__in={s for s, _ in counts}, closed_at__lte=now)
    ratings = session_ratings([s.pk for s in sessions])
    people = _people(sessions, counts, ratings, {user.pk: user}, now)
    return people[0] if people else None


def drifting_people(now: dt.datetime | None = None) -> list[tuple[object, Drift]]:
    """Everyone whose accuracy against gold fell significantly in the latest window: two
    queries (the counts with their sessions' dates; the people named)."""
    now = now or timezone.now()
    closed = dict(CalibrationSession.objects.filter(
        status=SessionStatus.CLOSED, closed_at__lte=now).values_list("pk", "closed_at"))
    scores: dict[int, list[SessionScore]] = defaultdict(list)
    for (session_id, rater), (hits, n) in accuracy_counts(sessions=list(closed)).items():
        scores[rater].append(SessionScore(session_id, closed[session_id], tally(hits, n)))
    found = {rater: d for rater, rows in scores.items()
             if (d := reliability.drift(rows, now)) is not None and d.drifted}
    users = _users(found) if found else {}
    return sorted(((users[r], d) for r, d in found.items()), key=lambda pair: pair[0].email)


def forms_below_tentative(now: dt.datetime | None = None
                          ) -> list[tuple[object, CalibrationSession, float]]:
    """Forms whose latest closed session's overall alpha (nominal) is below 0.667:
    (form, session, alpha). Two queries: the sessions, the latest ones' ratings."""
    now = now or timezone.now()
    latest: dict[int, CalibrationSession] = {}
    for session in closed_sessions(closed_at__lte=now):
        latest[session.form_version.form_id] = session
    ratings = session_ratings([s.pk for s in latest.values()])
    low = []
    for session in latest.values():
        alpha = reliability.pooled_alpha(ratings.get(session.pk, {}))
        if alpha is not None and alpha < TENTATIVE:
            low.append((session.form_version.form, session, alpha))
    return sorted(low, key=lambda row: str(row[0]))
