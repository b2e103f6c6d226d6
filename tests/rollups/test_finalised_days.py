"""Finalised-days follow the audits: every lifecycle step (finalise, dispute, resolve and the
re-finalisation after it, reopen) refreshes the days of the auditors it touches, so the rows
kept up step by step are exactly what counting the audit rows by hand, or a full rebuild,
gives; and the dispute rates read from them equal the rates counted by hand.

The clock ticks (every reading of it is a few seconds later than the one before) and steps
start at random times, some just before midnight UTC, so a finalisation can land on the day
after its trail event and re-finalised audits move between days.
"""

import datetime as dt
import random
from collections import Counter, defaultdict

import pytest
from django.utils import timezone

from audits import disputes, lifecycle
from audits.disputes import Decision
from audits.models import Audit, AuditEvent, AuditStatus, Dispute, DisputedQuestion
from rollups.models import FinalisedDay
from rollups.periods import period_of
from rollups.productivity import rebuild_auditor_days, refresh_auditor_days
from scorecards.dispute_rates import dispute_rates
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

FLAWED = {**ALL_GOOD, "policy_cited": "fail", "tone": "2"}
CORRECTED = {"policy_cited": "pass", "tone": "5"}
MONDAY = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


@pytest.fixture
def clock(monkeypatch):
    """A clock the lifecycle (and the audit trail) reads, ``tick`` later at every reading;
    ``clock(moment)`` sets it."""
    at_field = AuditEvent._meta.get_field("at")
    state = {"now": MONDAY, "tick": dt.timedelta(seconds=7)}

    def now() -> dt.datetime:
        state["now"] += state["tick"]
        return state["now"]

    monkeypatch.setattr(timezone, "now", now)
    monkeypatch.setattr(at_field, "_get_default", now)

    def set_to(moment: dt.datetime) -> None:
        state["now"] = moment

    return set_to


def stored_days() -> list[tuple]:
    return sorted(FinalisedDay.objects.values_list("auditor_id", "day", "vendor_id", "audits"))


def counted_from_audits() -> list[tuple]:
    """The finalised-days as a reader would count them from the audit rows: audits with a
    finalisation time, by auditor, UTC day of it and the ticket's vendor."""
    days = Counter(
        (audit.auditor_id, audit.finalised_at.astimezone(dt.UTC).date(), audit.ticket.vendor_id)
        for audit in Audit.objects.select_related("ticket")
        if audit.finalised_at is not None
    )
    return sorted((*key, audits) for key, audits in days.items())


def rates_by_hand(period) -> dict:
    """The dispute rates counted from the audit, dispute and question rows one by one (all
    time when ``period`` is None)."""
    audits = [
        a
        for a in Audit.objects.select_related("ticket__vendor", "auditor", "form_version__form")
        if a.finalised_at is not None
        and (
            period is None or period.first <= a.finalised_at.astimezone(dt.UTC).date() <= period.end
        )
    ]
    disputed = set(Dispute.objects.values_list("audit_id", flat=True))
    levels = {
        "vendor": defaultdict(lambda: [0, 0, 0, 0, 0]),
        "auditor": defaultdict(lambda: [0, 0, 0, 0, 0]),
    }
    questions = defaultdict(lambda: [0, 0, 0])
    for audit in audits:
        rows = DisputedQuestion.objects.filter(dispute__audit=audit)
        counts = [
            len(rows),
            sum(1 for r in rows if r.decision),
            sum(1 for r in rows if r.decision in disputes.CORRECTING),
        ]
        for level, key in (("vendor", audit.ticket.vendor.name), ("auditor", audit.auditor.email)):
            totals = levels[level][key]
            totals[0] += 1
            totals[1] += audit.pk in disputed
            for n, count in enumerate(counts):
                totals[2 + n] += count
        for r in rows:
            totals = questions[(audit.form_version.form.name, r.question_key)]
            totals[0] += 1
            totals[1] += bool(r.decision)
            totals[2] += r.decision in disputes.CORRECTING
    return {
        "by_vendor": sorted((key, *counts) for key, counts in levels["vendor"].items()),
        "by_auditor": sorted((key, *counts) for key, counts in levels["auditor"].items()),
        "by_question": sorted((key, *counts) for key, counts in questions.items()),
    }


def rates_read(period) -> dict:
    rates = dispute_rates(period)

    def rows(level):
        return [
            (
                r.label if r.finalised is not None else r.key,
                *([r.finalised, r.disputed] if r.finalised is not None else []),
                r.questions,
                r.decided,
                r.overturned,
            )
            for r in level
        ]

    return {
        "by_vendor": rows(rates.by_vendor),
        "by_auditor": rows(rates.by_auditor),
        "by_question": sorted(rows(rates.by_question)),
    }


def a_step(audit: Audit, people: dict, rng: random.Random):
    """A random lifecycle step the audit's status allows: (function, args) or None."""
    manager, poc = people["manager"], people["pocs"][audit.ticket.vendor_id]
    status = audit.status
    if status in (AuditStatus.ASSIGNED, AuditStatus.IN_PROGRESS):
        return lifecycle.submit_audit, (audit, audit.auditor), {"answers": FLAWED}
    if status == AuditStatus.SUBMITTED:
        return rng.choice(
            [
                (lifecycle.finalise_audit, (audit, manager), {}),
                (lifecycle.finalise_audit, (audit, manager), {}),
                (lifecycle.reopen_audit, (audit, manager, "Recheck the policy."), {}),
                (lifecycle.dispute_audit, (audit, manager, "Vendor called about it."), {}),
            ]
        )
    if status == AuditStatus.FINAL:
        decided = set(
            DisputedQuestion.objects.filter(dispute__audit=audit)
            .exclude(decision="")
            .values_list("question_key", flat=True)
        )
        open_keys = sorted(set(CORRECTED) - decided)
        choices = [(lifecycle.reopen_audit, (audit, manager, "Score it again."), {})]
        if open_keys and disputes.can_raise(audit, poc):
            keys = rng.sample(open_keys, rng.randint(1, len(open_keys)))
            choices += [
                (disputes.raise_dispute, (audit, poc, {k: "We disagree." for k in keys}), {})
            ] * 3
        return rng.choice(choices)
    if status == AuditStatus.DISPUTED:
        dispute = audit.disputes.filter(status="open").first()
        if dispute is None:  # recorded by a lead through the lifecycle alone
            return lifecycle.resolve_audit, (audit, people["lead"], "Upheld."), {}
        decisions = {
            row.question_key: rng.choice(
                [
                    Decision("upheld", "The auditor was right."),
                    Decision("overturned", "Fair point.", CORRECTED[row.question_key]),
                    Decision("partially_overturned", "Partly.", CORRECTED[row.question_key]),
                ]
            )
            for row in dispute.questions.all()
        }
        return disputes.resolve_dispute, (dispute, manager, decisions), {}
    if status == AuditStatus.RESOLVED:
        return rng.choice(
            [
                (lifecycle.finalise_audit, (audit, manager), {}),
                (lifecycle.reopen_audit, (audit, manager, "Look again."), {}),
            ]
        )
    return None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_finalised_days_follow_a_random_lifecycle_and_equal_a_rebuild_and_a_count_by_hand(
    seed, clock, step, version, auditor, manager, workflow, site_a, site_b, poc_a, poc_b
):
    rng = random.Random(seed)
    second = UserFactory(email="second.auditor@example.com")
    people = {
        "manager": manager,
        "pocs": {site_a.vendor_id: poc_a, site_b.vendor_id: poc_b},
        "lead": UserFactory(email="lead2@example.com", role=manager.role),
    }
    audits = [
        *assigned_audits(auditor, workflow, 4, site=site_a),
        *assigned_audits(auditor, workflow, 3, site=site_b),
        *assigned_audits(second, workflow, 3, site=site_a),
    ]
    moment = MONDAY + dt.timedelta(hours=9)
    for _ in range(70):
        # Mostly within the day, now and then on to the next one, sometimes just before
        # midnight so the step's clock readings straddle it.
        moment += dt.timedelta(minutes=rng.randint(1, 240))
        if rng.random() < 0.2:
            moment = dt.datetime.combine(
                moment.date() + dt.timedelta(days=1), dt.time(23, 59, 50), tzinfo=dt.UTC
            )
        clock(moment)
        audit = Audit.objects.select_related("ticket").get(pk=rng.choice(audits).pk)
        chosen = a_step(audit, people, rng)
        if chosen is None:
            continue
        function, args, kwargs = chosen
        step(function, *args, **kwargs)
        assert stored_days() == counted_from_audits(), function.__name__

    kept = stored_days()
    assert len({day for _a, day, _v, _n in kept}) > 1  # the audits moved across days
    assert Dispute.objects.exists() and FinalisedDay.objects.exists()
    refresh_auditor_days(audit.pk for audit in audits)  # refreshing again changes nothing
    assert stored_days() == kept
    rebuild_auditor_days()
    assert stored_days() == kept == counted_from_audits()


def test_a_refinalised_audit_leaves_the_day_after_its_event_even_if_the_reopen_refresh_was_lost(
    clock, step, version, auditor, manager, workflow, site_a
):
    audit, other = assigned_audits(auditor, workflow, 2, site=site_a)
    clock(MONDAY + dt.timedelta(hours=10))
    for each in (audit, other):
        step(lifecycle.submit_audit, each, auditor, answers=FLAWED)
    # Finalised across midnight: its trail event is on Monday, its finalised_at on Tuesday.
    clock(MONDAY + dt.timedelta(hours=23, minutes=59, seconds=46))
    step(lifecycle.finalise_audit, audit, manager)
    step(lifecycle.finalise_audit, other, manager)
    tuesday = (MONDAY + dt.timedelta(days=1)).date()
    event = AuditEvent.objects.get(audit=audit, kind=AuditEvent.Kind.FINALISED)
    assert event.at.date() == MONDAY.date()
    assert Audit.objects.get(pk=audit.pk).finalised_at.date() == tuesday
    assert stored_days() == [(auditor.pk, tuesday, site_a.vendor_id, 2)]

    # Reopened on Wednesday, but that refresh never runs (a lost task): Tuesday still
    # counts it ...
    clock(MONDAY + dt.timedelta(days=2, hours=9))
    lifecycle.reopen_audit(audit, manager, "Recheck.")
    assert stored_days() == [(auditor.pk, tuesday, site_a.vendor_id, 2)]
    # ... until the audit's next refresh (its rescoring's), which finds Tuesday next to the
    # trail's Monday although the audit has no finalisation time left.
    step(lifecycle.submit_audit, audit, auditor, answers=FLAWED)
    assert stored_days() == [(auditor.pk, tuesday, site_a.vendor_id, 1)]
    step(lifecycle.finalise_audit, audit, manager)

    wednesday = (MONDAY + dt.timedelta(days=2)).date()
    assert (
        stored_days()
        == counted_from_audits()
        == [
            (auditor.pk, tuesday, site_a.vendor_id, 1),
            (auditor.pk, wednesday, site_a.vendor_id, 1),
        ]
    )


def test_the_rates_read_from_the_rollup_equal_the_rates_counted_by_hand(
    clock, step, version, auditor, manager, workflow, site_a, site_b, poc_a, poc_b
):
    second = UserFactory(email="second.auditor@example.com")
    people = {
        "manager": manager,
        "pocs": {site_a.vendor_id: poc_a, site_b.vendor_id: poc_b},
        "lead": UserFactory(email="lead2@example.com", role=manager.role),
    }
    audits = [
        *assigned_audits(auditor, workflow, 5, site=site_a),
        *assigned_audits(second, workflow, 4, site=site_b),
    ]
    rng = random.Random(7)
    # Thursday to the next Tuesday: the week of Monday 9 March holds only part of it.
    moment = MONDAY + dt.timedelta(days=3, hours=8)
    for _ in range(80):
        moment += dt.timedelta(minutes=rng.randint(30, 180))
        clock(moment)
        audit = Audit.objects.select_related("ticket").get(pk=rng.choice(audits).pk)
        chosen = a_step(audit, people, rng)
        if chosen is not None:
            function, args, kwargs = chosen
            step(function, *args, **kwargs)
    assert moment.date() > dt.date(2026, 3, 9)
    assert DisputedQuestion.objects.exclude(decision="").exists()

    for period in (
        period_of("week", dt.date(2026, 3, 9)),
        period_of("week", MONDAY.date()),
        period_of("month", MONDAY.date()),
        None,
    ):
        by_hand = rates_by_hand(period)
        read = rates_read(period)
        assert read == {
            level: (sorted(rows) if level == "by_question" else rows)
            for level, rows in by_hand.items()
        }


def test_an_audit_without_an_auditor_counts_as_unassigned_by_refresh_and_rebuild(
    clock, step, version, auditor, manager, workflow, site_a
):
    kept, loaded = assigned_audits(auditor, workflow, 2, site=site_a)
    clock(MONDAY + dt.timedelta(hours=10))
    step(lifecycle.submit_audit, kept, auditor, answers=FLAWED)
    step(lifecycle.finalise_audit, kept, manager)
    # A bulk load writes a final audit without an auditor.
    Audit.objects.filter(pk=loaded.pk).update(
        auditor=None,
        status=AuditStatus.FINAL,
        passed=True,
        score=100,
        submitted_at=MONDAY,
        finalised_at=MONDAY + dt.timedelta(hours=1),
    )

    refresh_auditor_days([loaded.pk, kept.pk])
    rows = sorted(
        FinalisedDay.objects.values_list("auditor_id", "audits"), key=lambda row: row[0] or 0
    )
    assert rows == [(None, 1), (auditor.pk, 1)]
    rebuild_auditor_days()
    assert FinalisedDay.objects.count() == 2
    assert (
        sorted(
            FinalisedDay.objects.values_list("auditor_id", "audits"), key=lambda row: row[0] or 0
        )
        == rows
    )
    labels = [
        (r.label, r.finalised)
        for r in dispute_rates(period_of("week", MONDAY.date())).by_auditor
    ]
    assert sorted(labels) == [(auditor.email, 1), ("unassigned", 1)]
