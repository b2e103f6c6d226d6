"""Auditor reliability over time (issue 13, item 2): each participant's accuracy against gold
and agreement with the group, session by session and month by month, counted here by hand;
drift when accuracy falls significantly (and only then); each form's alpha session by session;
the reliability page, the auditor's own numbers on their home and the overview's red flags.

The sessions are dated with the steps' ``now``; pages are read with the clock frozen on
NOW (a Monday, 1 March 2027), so no number depends on the day the suite runs.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from calibration import reliability, selectors, sessions, track_record
from calibration.reliability import SessionScore, drift, group_agreement, tally
from calibration.results import overall_agreement
from sampling.stats import proportion_ci, two_proportion_test
from scorecards.reliability_flags import reliability_flags
from tests.audits.workspace_helpers import published_form
from tests.calibration.conftest import answers
from tests.conftest import answered_from_the_program, rows_for_every_test
from tests.factories import AgentFactory, TicketFactory, UserFactory
from tests.people_and_places import two_vendors_people_and_places

NOW = dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)


def day(month: int, date: int, year: int = 2027) -> dt.datetime:
    return dt.datetime(year, month, date, 10, tzinfo=dt.UTC)


def closed(name, version, manager, tickets, sheets, gold, when, vendor=None):
    """A session closed at ``when``: ``sheets`` maps a person to their answers per ticket
    (a list, one dict per ticket), ``gold`` is one dict per ticket."""
    session = sessions.create_session(name=name, form_version=version, by=manager,
                                      vendor=vendor, now=when - dt.timedelta(days=2))
    sessions.add_picked_items(session, by=manager, external_ids=[t.external_id for t in tickets])
    for person in sheets:
        sessions.invite(session, person, by=manager)
    session = sessions.open_session(session, by=manager, now=when - dt.timedelta(days=1))
    items = list(session.items.order_by("position"))
    for person, per_ticket in sheets.items():
        for item, sheet in zip(items, per_ticket, strict=True):
            sessions.score_item(item, person, sheet)
    for item, key in zip(items, gold, strict=True):
        sessions.set_gold(item, by=manager, answers={k: (v, "") for k, v in key.items()})
    return sessions.close_session(session, by=manager, now=when)


@pytest.fixture
def auditor3(db):
    return UserFactory(email="auditor3@example.com", role=Role.QA_AUDITOR)


@pytest.fixture
def hand_counted(version, manager, tickets_a, auditor, auditor2, auditor3):
    """Two tickets, three auditors. Gold: ticket 1 every question (tone 5); ticket 2 only
    right_action = yes and tone = 4.

    auditor   T1 all good            T2 all good (tone 5)          -> gold 4/4 + 1/2 = 5/6
    auditor2  T1 tone 3              T2 right_action no, tone 4    -> 3/4 + 1/2 = 4/6
    auditor3  T1 tone 4              T2 tone 4                     -> 3/4 + 2/2 = 5/6

    With the others' modal answer (ties left out): on T1 right_action, policy_cited and
    escalation agree for all three and tone (5, 3, 4) ties for each; on T2 right_action
    (yes, no, yes) counts only for auditor2 (a miss), tone (5, 4, 4) only for auditor (a miss),
    policy_cited and escalation for all. So auditor 5/6, auditor2 5/6, auditor3 5/5.
    """
    return closed("January calibration", version, manager, tickets_a[:2], {
        auditor: [answers(), answers()],
        auditor2: [answers(tone="3"), answers(right_action="no", tone="4")],
        auditor3: [answers(tone="4"), answers(tone="4")],
    }, [answers(), {"right_action": "yes", "tone": "4"}], day(1, 15))


# --- the numbers, by hand -------------------------------------------------------------------


def test_accuracy_and_agreement_per_session_match_a_count_by_hand(
    hand_counted, auditor, auditor2, auditor3
):
    report = track_record.reliability_report(NOW)
    people = {p.user: p for p in report.people}
    assert {u: (p.accuracy.hits, p.accuracy.n) for u, p in people.items()} == {
        auditor: (5, 6), auditor2: (4, 6), auditor3: (5, 6)}
    assert {u: (p.agreement.hits, p.agreement.n) for u, p in people.items()} == {
        auditor: (5, 6), auditor2: (5, 6), auditor3: (5, 5)}
    low, high = proportion_ci(4, 6, 0.95, method="wilson")
    row = people[auditor2].sessions[0].score.accuracy
    assert (row.low, row.high) == pytest.approx((low, high))
    # The same counts as the session's own results page.
    own = {a.rater: (a.matches, a.compared) for a in
           selectors.session_results(hand_counted).accuracy}
    assert track_record.accuracy_counts() == {
        (hand_counted.pk, rater): counts for rater, counts in own.items()}


def test_group_agreement_leaves_the_rater_out_and_skips_ties():
    ratings = {  # one ticket, two questions, three raters
        ("t", "a", "q1"): "yes", ("t", "b", "q1"): "yes", ("t", "c", "q1"): "no",
        ("t", "a", "q2"): "1", ("t", "b", "q2"): "2", ("t", "c", "q2"): "3",
    }
    # q1: a's others are (yes, no): a tie; b likewise; c's others are (yes, yes): a miss.
    # q2: everyone's others tie.
    assert group_agreement(ratings) == {"c": (0, 1)}
    two = {("t", "a", "q"): "yes", ("t", "b", "q"): "no", ("u", "a", "q"): "no",
           ("u", "b", "q"): "no"}
    assert group_agreement(two) == {"a": (1, 2), "b": (1, 2)}  # two raters: pairwise


def test_monthly_trend_pools_the_sessions_of_each_month():
    scores = [SessionScore(1, day(1, 5), tally(9, 10)), SessionScore(2, day(1, 25), tally(8, 10)),
              SessionScore(3, day(2, 10), tally(5, 10))]
    months = reliability.by_month(scores)
    assert [(m.month, m.accuracy.hits, m.accuracy.n) for m in months] == [
        (dt.date(2027, 1, 1), 17, 20), (dt.date(2027, 2, 1), 5, 10)]
    assert (months[0].accuracy.low, months[0].accuracy.high) == pytest.approx(
        proportion_ci(17, 20, 0.95, method="wilson"))


def test_the_program_alpha_of_a_session_is_its_overall_alpha(hand_counted):
    result = selectors.session_results(hand_counted)
    report = track_record.reliability_report(NOW)
    (form,) = report.forms
    ((session, agreement),) = form.points
    assert session == hand_counted
    assert agreement.alpha_nominal == pytest.approx(result.overall.alpha_nominal)
    assert agreement.alpha_ci == pytest.approx(result.overall.alpha_ci)
    ratings = track_record.session_ratings([hand_counted.pk])[hand_counted.pk]
    assert reliability.pooled_alpha(ratings) == pytest.approx(result.overall.alpha_nominal)
    questions = selectors.form_questions(hand_counted)
    assert overall_agreement(questions, ratings) == result.overall


# --- drift ----------------------------------------------------------------------------------


def history(earlier: tuple[int, int], recent: tuple[int, int]) -> list[SessionScore]:
    return [SessionScore(1, NOW - dt.timedelta(days=200), tally(*earlier)),
            SessionScore(2, NOW - dt.timedelta(days=10), tally(*recent))]


def test_drift_fires_when_the_latest_window_is_significantly_lower():
    found = drift(history((95, 100), (78, 100)), NOW)
    z, p = two_proportion_test(78, 100, 95, 100)
    assert (found.z, found.p_value) == pytest.approx((z, p)) and p < 0.05
    assert found.drifted and found.low < found.high < 0
    assert found.text == "accuracy against gold fell from 95.0% to 78.0% (significant)"


def test_no_drift_when_the_fall_is_not_significant():
    found = drift(history((95, 100), (90, 100)), NOW)
    assert found.p_value > 0.05 and not found.drifted
    assert found.text.endswith("(not significant)")


def test_no_drift_when_accuracy_rises_significantly():
    found = drift(history((70, 100), (95, 100)), NOW)
    assert found.significant and not found.drifted


def test_no_drift_reading_with_too_few_answers_on_either_side():
    assert drift(history((95, 100), (5, 10)), NOW) is None
    assert drift(history((9, 10), (50, 100)), NOW) is None
    assert drift(history((95, 100), (0, 0)), NOW) is None  # nothing in the latest window


def drifting_history(version, manager, tickets_a, auditor, auditor2) -> None:
    """Four tickets, four questions, gold all good. Auditor answers every question right in
    two sessions last autumn (32/32), then gets tone and escalation wrong on every ticket in
    two sessions of the last 90 days (16/32); auditor2 is right throughout."""
    gold = [answers()] * 4
    wrong = answers(tone="3", escalation="done")
    for n, when in enumerate((day(9, 1, 2026), day(10, 1, 2026)), 1):
        closed(f"Autumn {n}", version, manager, tickets_a,
               {auditor: [answers()] * 4, auditor2: [answers()] * 4}, gold, when)
    for n, when in enumerate((day(1, 20), day(2, 20)), 1):
        closed(f"Winter {n}", version, manager, tickets_a,
               {auditor: [wrong] * 4, auditor2: [answers()] * 4}, gold, when)


# --- pages ----------------------------------------------------------------------------------


def test_only_leads_see_the_reliability_page(client_as, auditor, analyst_a, hand_counted):
    assert client_as(auditor).get("/calibration/reliability/").status_code == 403
    assert client_as(analyst_a).get("/calibration/reliability/").status_code == 404


def test_the_calibration_list_links_to_reliability_for_leads(client_as, manager):
    assert "/calibration/reliability/" in client_as(manager).get("/calibration/").content.decode()


# --- a drifting auditor: the flags and the pages --------------------------------------------


def winter_drift() -> dict:
    """The drifting history among tests/conftest.py's people and places and
    tests/calibration/conftest.py's tickets and auditors, made as their fixtures make them."""
    program = two_vendors_people_and_places()
    manager, workflow = program["manager"], program["workflow"]
    agent = AgentFactory(site=program["site_a"], external_id="ACME-AGENT-1")
    tickets_a = [TicketFactory(agent=agent, workflow=workflow, external_id=f"ACME-CAL-{n}")
                 for n in range(1, 5)]
    auditor2 = UserFactory(email="auditor2@example.com", role=Role.QA_AUDITOR)
    auditor3 = UserFactory(email="auditor3@example.com", role=Role.QA_AUDITOR)
    version = published_form(workflow, by=manager)
    drifting_history(version, manager, tickets_a, program["auditor"], auditor2)
    return {**program, "tickets_a": tickets_a, "auditor2": auditor2, "auditor3": auditor3,
            "version": version}


@pytest.fixture(scope="class")
def program(django_db_setup, django_db_blocker):
    """The drifting history, built once for the class whose tests read it."""
    yield from rows_for_every_test(django_db_blocker, winter_drift)


class TestTheWinterDrift:
    """The tests that read the drifting history, built once for the class. A class, not the
    module, holds them and their program: the hand-counted tests need sessions without it."""

    # The people, tickets and form the tests ask for are the program's.
    (manager, auditor, auditor2, auditor3, version, tickets_a) = answered_from_the_program(
        "manager", "auditor", "auditor2", "auditor3", "version", "tickets_a", in_a_class=True
    )

    @pytest.fixture
    def drifting(self, program, db):
        """The history is already in the class's program."""

    def test_the_drifting_auditor_is_found_and_flagged(self, drifting, auditor, auditor2):
        (person, found), = track_record.drifting_people(NOW)
        assert person == auditor
        assert (found.recent.hits, found.recent.n, found.earlier.hits, found.earlier.n) == (
            16, 32, 32, 32)
        flags = [f for f in reliability_flags(NOW) if f.kind == "auditor_drift"]
        assert [f.text for f in flags] == [
            "Auditor auditor@example.com: accuracy against gold fell from 100.0% to 50.0% "
            "(significant)"]
        assert flags[0].url == "/calibration/reliability/#reliability-people"
        # Before the winter sessions, the same history shows no drift.
        assert track_record.drifting_people(day(1, 1)) == []

    def test_a_form_whose_latest_session_is_below_0667_is_flagged(self, drifting, version):
        latest = track_record.forms_below_tentative(NOW)
        (form, session, alpha), = latest
        assert form == version.form and session.name == "Winter 2" and alpha < 0.667
        flag, = [f for f in reliability_flags(NOW) if f.kind == "form_alpha"]
        assert flag.text == (f"Form {version.form}: alpha {alpha:.3f} in the latest session "
                             "(Winter 2, 20 Feb 2027), below 0.667")
        assert flag.url == f"/calibration/{session.pk}/#agreement"
        # The autumn sessions agree perfectly: nothing to flag as of then.
        assert track_record.forms_below_tentative(day(11, 1, 2026)) == []

    def test_the_lead_reads_the_reliability_page(self, client_as, manager, drifting, auditor):
        with time_machine.travel(NOW, tick=False):
            response = client_as(manager).get("/calibration/reliability/")
        assert response.status_code == 200
        page = response.content.decode()
        assert 'id="drift-alerts"' in page and "fell from 100.0% to 50.0%" in page
        report = response.context["report"]
        person = next(p for p in report.people if p.user == auditor)
        assert [(m.month, m.accuracy.hits, m.accuracy.n) for m in person.months] == [
            (dt.date(2026, 9, 1), 16, 16), (dt.date(2026, 10, 1), 16, 16),
            (dt.date(2027, 1, 1), 8, 16), (dt.date(2027, 2, 1), 8, 16)]
        assert "<svg" in page and 'id="alpha-by-form"' in page
        assert [s.name for s, _ in report.forms[0].points] == ["Autumn 1", "Autumn 2", "Winter 1",
                                                               "Winter 2"]

    def test_the_reliability_page_costs_the_same_queries_with_more_sessions_and_people(
        self, client_as, manager, drifting, version, tickets_a, auditor, auditor3,
        django_assert_max_num_queries
    ):
        with time_machine.travel(NOW, tick=False):
            client = client_as(manager)
            with CaptureQueriesContext(connection) as four:
                assert client.get("/calibration/reliability/").status_code == 200
            closed("Spring", version, manager, tickets_a[:2],
                   {auditor: [answers()] * 2, auditor3: [answers()] * 2}, [answers()] * 2,
                   day(2, 25))
            with django_assert_max_num_queries(len(four.captured_queries)):
                response = client.get("/calibration/reliability/")
        assert len(response.context["report"].people) == 3

    def test_an_auditor_sees_their_own_calibration_accuracy_on_their_home(
        self, client_as, drifting, auditor
    ):
        with time_machine.travel(NOW, tick=False):
            page = client_as(auditor).get("/").content.decode()
        assert 'id="my-calibration"' in page
        assert "48.0/64" not in page and "48 of 64" in page  # 32/32 + 16/32
        assert 'id="my-drift"' in page and "fell from 100.0% to 50.0%" in page

    def test_an_auditor_who_took_part_in_no_closed_session_sees_no_calibration_section(
        self, client_as, auditor2, auditor3, drifting
    ):
        with time_machine.travel(NOW, tick=False):
            assert 'id="my-calibration"' in client_as(auditor2).get("/").content.decode()
            assert 'id="my-calibration"' not in client_as(auditor3).get("/").content.decode()

    def test_red_flags_on_the_managers_overview(self, client_as, manager, drifting):
        with time_machine.travel(NOW, tick=False):
            response = client_as(manager).get("/")
        kinds = [f.kind for f in response.context["overview"].red_flags]
        assert "auditor_drift" in kinds and "form_alpha" in kinds
        page = response.content.decode()
        assert (
            "Auditor auditor@example.com: accuracy against gold fell from 100.0% to 50.0%" in page
        )
