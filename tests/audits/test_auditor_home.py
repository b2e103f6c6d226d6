"""A QA auditor's home "/" shows their own numbers: audits done, median time, disputes.

The clock is frozen on Wednesday 18 November 2026 at noon UTC: this week began on Monday
16 November, the last four weeks on 22 October.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Role
from audits import lifecycle
from audits.models import Audit, Dispute, DisputedQuestion
from audits.workspace_stats import auditor_numbers
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC)
MONDAY = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)


@pytest.fixture
def score(version, workflow, site_a, manager):
    """``score(auditor, when, seconds, final=False)``: an audit submitted at ``when`` after
    ``seconds`` on task, and finalised right after when asked."""

    def scored(auditor, when, seconds, final=False):
        with time_machine.travel(when, tick=False):
            audit = assigned_audits(auditor, workflow, 1, site=site_a)[0]
            lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD, time_spent_seconds=seconds)
            if final:
                lifecycle.finalise_audit(audit, manager)
        return Audit.objects.get(pk=audit.pk)

    return scored


def dispute(audit, poc, manager, decisions):
    """A resolved dispute of ``audit`` with one question per decision ("" = undecided)."""
    raised = audit.finalised_at + dt.timedelta(hours=1)
    row = Dispute.objects.create(
        audit=audit,
        raised_by=poc,
        raised_at=raised,
        due_at=raised + dt.timedelta(days=5),
        status="resolved",
        resolved_by=manager,
        resolved_at=raised + dt.timedelta(hours=2),
    )
    for key, decision in zip(("right_action", "tone", "escalation"), decisions, strict=False):
        DisputedQuestion.objects.create(
            dispute=row,
            question_key=key,
            reason="We disagree",
            decision=decision,
            corrected_answer="yes" if decision in ("overturned", "partially_overturned") else "",
        )


@pytest.fixture
def history(score, auditor, manager, poc_a):
    """This week: 3 audits (60, 120, 300 s), two final, one of them disputed with one
    question overturned and one upheld. Earlier in the four weeks: 2 audits (30, 40 s), both
    final, one disputed and upheld. Six weeks ago: one final audit (not counted). Another
    auditor's audit this week (not counted)."""
    this_week = [
        score(auditor, MONDAY + dt.timedelta(hours=9), 60, final=True),
        score(auditor, MONDAY + dt.timedelta(days=1, hours=10), 120, final=True),
        score(auditor, NOW - dt.timedelta(hours=1), 300),
    ]
    earlier = [
        score(auditor, dt.datetime(2026, 10, 23, 9, tzinfo=dt.UTC), 30, final=True),
        score(auditor, dt.datetime(2026, 11, 10, 9, tzinfo=dt.UTC), 40, final=True),
    ]
    score(auditor, dt.datetime(2026, 10, 7, 9, tzinfo=dt.UTC), 900, final=True)
    other = UserFactory(email="bea@example.com", role=Role.QA_AUDITOR)
    dispute(
        score(other, MONDAY + dt.timedelta(hours=8), 999, final=True),
        poc_a,
        manager,
        ["overturned"],
    )
    dispute(this_week[0], poc_a, manager, ["overturned", "upheld"])
    dispute(earlier[0], poc_a, manager, ["upheld"])
    return this_week, earlier


def test_the_auditor_sees_their_numbers_this_week_and_over_four_weeks(auditor, history):
    week, four_weeks = auditor_numbers(auditor, now=NOW)

    assert (week.start, four_weeks.start) == (MONDAY, dt.datetime(2026, 10, 22, tzinfo=dt.UTC))
    assert (week.done, week.median_seconds) == (3, 120)
    assert (four_weeks.done, four_weeks.median_seconds) == (5, 60)
    assert (week.disputed, week.finalised, week.dispute_rate) == (1, 2, 0.5)
    assert (four_weeks.disputed, four_weeks.finalised, four_weeks.dispute_rate) == (2, 4, 0.5)
    assert (week.questions_overturned, week.questions_decided) == (1, 2)
    assert (four_weeks.questions_overturned, four_weeks.questions_decided) == (1, 3)


def test_the_home_page_of_an_auditor_shows_their_numbers_with_counts(client_as, auditor, history):
    with time_machine.travel(NOW, tick=False):
        response = client_as(auditor).get("/")

    assert response.status_code == 200
    page = re.sub(r"\s+", " ", response.content.decode())
    assert "<h1>My work</h1>" in page
    assert 'data-window="week" data-metric="done">3<' in page
    assert 'data-window="four_weeks" data-metric="median">1:00<' in page
    assert 'data-window="week" data-metric="median">2:00<' in page
    assert '50.0% <span class="muted small">2 of 4 disputed</span>' in page
    assert "1 of 2 overturned" in page and "33.3%" in page
    # No calibration section until a closed session holds their answers (the menu names
    # Calibration for everyone): tests/calibration/test_reliability.py
    assert 'id="my-calibration"' not in page


def test_a_new_auditor_sees_dashes_not_errors(client_as, auditor):
    with time_machine.travel(NOW, tick=False):
        page = client_as(auditor).get("/").content.decode()

    assert 'data-metric="median">–<' in page and "no finalised audits" in page
    assert "no decided disputes" in page


def test_the_auditor_home_reads_a_fixed_number_of_queries(
    client_as, auditor, history, django_assert_num_queries
):
    client = client_as(auditor)
    with time_machine.travel(NOW, tick=False):
        client.get("/")
        # session, user, queue counts, submissions, finalised/disputed, disputed questions,
        # calibration accuracy (none yet: no more)
        with django_assert_num_queries(7):
            client.get("/")


def test_the_home_page_links_to_the_queue_and_starts_the_next_audit(
    client_as, auditor, version, workflow, site_a
):
    with time_machine.travel(NOW, tick=False):
        assigned_audits(auditor, workflow, 1, site=site_a)
        page = client_as(auditor).get("/").content.decode()

    assert f'href="{reverse("audits:queue")}"' in page and "Start next" in page
