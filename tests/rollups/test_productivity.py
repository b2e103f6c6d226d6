"""Auditor-days follow the audits: every lifecycle step refreshes the days of the auditors it
touches, and the rows kept up step by step are exactly what a full rebuild, or counting the
audit rows by hand, gives. Ad-hoc audits count (they are auditor work); an audit reopened
leaves its day, and a rescored one moves to the day it was scored again, even when the
refresh of its reopening never ran.

The clock is moved by hand (Tuesday, Wednesday, Thursday of one March week) so that
submissions, reopenings and the audit trail fall on different UTC days.
"""

import datetime as dt
from collections import defaultdict

import pytest
from django.utils import timezone

from audits import lifecycle
from audits.models import SCORED_STATUSES, Audit, AuditEvent
from rollups.models import AuditorDay
from rollups.productivity import rebuild_auditor_days, refresh_auditor_days
from tests.audits.workspace_helpers import ALL_GOOD, published_form, sample_run
from tests.factories import AgentFactory, TicketFactory, UserFactory, WorkflowFactory
from tests.rollups.rollup_helpers import sampled_audits

pytestmark = pytest.mark.django_db

HANDLED = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)
TUESDAY = dt.datetime(2026, 3, 3, 10, tzinfo=dt.UTC)
WEDNESDAY = dt.datetime(2026, 3, 4, 10, tzinfo=dt.UTC)
THURSDAY = dt.datetime(2026, 3, 5, 23, 59, tzinfo=dt.UTC)  # still Thursday in UTC
CRITICAL_MISS = {**ALL_GOOD, "right_action": "no"}


@pytest.fixture
def clock(monkeypatch):
    """Set the time the lifecycle (and the audit trail) sees: ``clock(moment)``."""
    at_field = AuditEvent._meta.get_field("at")

    def set_to(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        monkeypatch.setattr(at_field, "_get_default", lambda: moment)

    return set_to


@pytest.fixture
def program(version, auditor, workflow, site_a):
    """Five sampled audits assigned to ``auditor``, three to a second auditor, and a spam
    workflow with its own form for ad-hoc audits."""
    second = UserFactory(email="second.auditor@example.com")
    run = sample_run("Daily moderation")
    agent = AgentFactory(site=site_a)
    spam = WorkflowFactory(name="Spam (ES)", slug="spam-es")
    return {
        "mine": sampled_audits(run, auditor, workflow, agent, [HANDLED] * 5),
        "theirs": sampled_audits(run, second, workflow, agent, [HANDLED] * 3),
        "second": second,
        "agent": agent,
        "spam": spam,
        "spam_form": published_form(spam, name="Spam scorecard"),
    }


def stored_days() -> list[tuple]:
    return sorted(
        AuditorDay.objects.values_list("auditor_id", "day", "form_id", "audits", "seconds")
    )


def counted_from_audits() -> list[tuple]:
    """The auditor-days as a reader would count them by hand from the audit rows: audits in
    a scored status, by auditor, UTC day of submission and audit form, with their time."""
    days: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for audit in Audit.objects.select_related("form_version"):
        if audit.status not in SCORED_STATUSES:
            continue
        key = (
            audit.auditor_id,
            audit.submitted_at.astimezone(dt.UTC).date(),
            audit.form_version.form_id,
        )
        days[key][0] += 1
        days[key][1] += audit.time_spent_seconds
    return sorted((*key, audits, seconds) for key, (audits, seconds) in days.items())


def row(auditor, day: dt.datetime, form_version) -> tuple[int, int] | None:
    found = AuditorDay.objects.filter(
        auditor=auditor, day=day.date(), form_id=form_version.form_id
    ).first()
    return (found.audits, found.seconds) if found else None


def test_incremental_auditor_days_equal_a_rebuild_and_a_count_by_hand(
    program, clock, step, auditor, manager, version
):
    mine, theirs, second = program["mine"], program["theirs"], program["second"]
    clock(TUESDAY)
    for audit in mine[:4]:
        step(lifecycle.submit_audit, audit, auditor, answers=ALL_GOOD, time_spent_seconds=300)
    step(lifecycle.submit_audit, theirs[0], second, answers=ALL_GOOD, time_spent_seconds=240)
    assert row(auditor, TUESDAY, version) == (4, 1200)

    clock(WEDNESDAY)
    # A lead sends one back: it leaves Tuesday. Another is disputed and resolved: still
    # Tuesday's work (submitted_at does not move), and it still counts.
    step(lifecycle.reopen_audit, mine[0], manager, "Wrong action: the post was borderline.")
    step(lifecycle.dispute_audit, mine[1], manager, "Vendor says the context was missing.")
    step(
        lifecycle.resolve_audit,
        mine[1],
        UserFactory(email="lead2@example.com", role=manager.role),
        "Upheld.",
    )
    step(lifecycle.finalise_audit, mine[2], manager)
    step(lifecycle.reopen_audit, mine[3], manager, "Score the right section.")  # not rescored
    assert row(auditor, TUESDAY, version) == (2, 600)

    clock(THURSDAY)
    # Rescored (with 100 more seconds on the counter) on Thursday, where it now counts.
    step(lifecycle.submit_audit, mine[0], auditor, answers=CRITICAL_MISS, time_spent_seconds=400)
    step(lifecycle.submit_audit, mine[4], auditor, answers=ALL_GOOD, time_spent_seconds=200)
    # An ad-hoc audit with another form: auditor work too, on its form's row.
    ticket = TicketFactory(agent=program["agent"], workflow=program["spam"], handled_at=HANDLED)
    adhoc = step(lifecycle.start_adhoc_audit, ticket, program["spam_form"], auditor)
    step(lifecycle.submit_audit, adhoc, auditor, answers=ALL_GOOD, time_spent_seconds=90)

    incremental = stored_days()
    assert incremental == counted_from_audits()
    rebuild_auditor_days()  # both tables, as the nightly rebuild does
    assert AuditorDay.objects.count() == len(incremental) == 4
    assert stored_days() == incremental
    assert row(auditor, TUESDAY, version) == (2, 600)
    assert row(auditor, THURSDAY, version) == (2, 600)
    assert row(auditor, THURSDAY, program["spam_form"]) == (1, 90)
    assert row(second, TUESDAY, version) == (1, 240)
    assert row(auditor, WEDNESDAY, version) is None


def test_a_rescored_audit_leaves_its_old_day_even_if_the_reopen_refresh_was_lost(
    program, clock, step, auditor, manager, version
):
    mine = program["mine"]
    clock(TUESDAY)
    for audit in mine[:2]:
        step(lifecycle.submit_audit, audit, auditor, answers=ALL_GOOD, time_spent_seconds=300)
    clock(WEDNESDAY)
    # Reopened, but its refresh never runs (a lost task): Tuesday still counts it ...
    lifecycle.reopen_audit(mine[0], manager, "Recheck.")
    assert row(auditor, TUESDAY, version) == (2, 600)
    clock(THURSDAY)
    # ... until the rescoring's refresh, which finds Tuesday in the audit's trail.
    step(lifecycle.submit_audit, mine[0], auditor, answers=ALL_GOOD, time_spent_seconds=300)

    assert row(auditor, TUESDAY, version) == (1, 300)
    assert row(auditor, THURSDAY, version) == (1, 300)
    assert stored_days() == counted_from_audits()


def test_refreshing_again_or_out_of_order_changes_nothing(program, clock, step, auditor, manager):
    mine, theirs, second = program["mine"], program["theirs"], program["second"]
    clock(TUESDAY)
    for audit in mine:
        step(lifecycle.submit_audit, audit, auditor, answers=ALL_GOOD, time_spent_seconds=120)
    step(lifecycle.submit_audit, theirs[0], second, answers=ALL_GOOD, time_spent_seconds=60)
    clock(WEDNESDAY)
    step(lifecycle.reopen_audit, mine[0], manager, "Recheck.")
    step(lifecycle.submit_audit, mine[0], auditor, answers=CRITICAL_MISS)
    after_steps = stored_days()

    ids = [audit.pk for audit in [*mine, *theirs]]
    refresh_auditor_days(reversed(ids))
    refresh_auditor_days([mine[0].pk, mine[0].pk])

    assert stored_days() == after_steps == counted_from_audits()
    assert refresh_auditor_days([]) == 0
    assert refresh_auditor_days([theirs[2].pk, 10**9]) == 0  # never submitted, unknown
    assert stored_days() == after_steps


def test_a_rebuild_catches_up_with_writes_that_bypassed_the_lifecycle(program, auditor, version):
    # Bulk loads (the demo, imports) write audits without lifecycle steps or refreshes.
    for minutes, audit in enumerate(program["mine"], start=1):
        Audit.objects.filter(pk=audit.pk).update(
            status="submitted",
            passed=True,
            score=100,
            submitted_at=TUESDAY,
            time_spent_seconds=60 * minutes,
        )
    assert stored_days() == []

    assert rebuild_auditor_days() == 1
    assert row(auditor, TUESDAY, version) == (5, 60 * (1 + 2 + 3 + 4 + 5))
    assert stored_days() == counted_from_audits()
