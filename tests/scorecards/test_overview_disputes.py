"""Disputes and coaching on the program overview: a manager sees per vendor how many finalised
audits were disputed and how many disputed answers were overturned, which disputes and
coaching actions are late, and which question or auditor is overturned often enough to need
calibration.

The program built here (the month holding today, through the real dispute and coaching functions):

- Acme: 4 audits finalised by the auditor. The POC disputed two: the first on policy_cited
  (overturned) and tone (upheld); the second on policy_cited is still open and past its SLA.
- Borealis: 1 audit finalised by the auditor, disputed on policy_cited and overturned.
- Coaching: Acme owes three actions, two of them past their due date (one open, one
  acknowledged); a cancelled and a completed one, both past due, are owed no more. Borealis
  owes one, due next month.
"""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.test import TestCase
from django.utils import timezone

from audit_forms.models import ErrorCategory
from audits import disputes, lifecycle
from audits.disputes import Decision
from audits.models import Audit, Dispute
from coaching import actions
from coaching.models import CoachingAction
from rollups.periods import period_containing
from rollups.writer import rebuild_rollups
from scorecards import follow_ups
from scorecards.dispute_rates import dispute_rates
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits, published_form
from tests.conftest import answered_from_the_program, rows_for_every_test
from tests.people_and_places import two_vendors_people_and_places, vendor_poc

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def noon():
    """Today at noon (UTC), whatever day the run is on: the tickets are handled three hours
    before their audits are finalised, and just after midnight on a month's first Monday the
    handling week would belong to the month before while the finalisations belong to this
    one, so the page would open on a period that holds the audits but not their follow-ups.
    One noon for the module: the program built once is of the day its tests run on."""
    return dt.datetime.combine(timezone.now().date(), dt.time(12), tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def at_noon(noon):
    with time_machine.travel(noon, tick=True):
        yield


# The auditor marked the policy citation failed and the tone 2 of 5.
FLAWED = {**ALL_GOOD, "policy_cited": "fail", "tone": "2"}
OVERTURN = Decision("overturned", "The policy is cited.", "pass")
UPHOLD = Decision("upheld", "The auditor was right.")


def this_month() -> str:
    """The overview as it opens: on the month holding today, which holds today's audits
    whatever the date (a week belongs to the month its Monday falls in)."""
    return "/scorecards/?period=month"


def final_audits(auditor, manager, workflow, site, count: int) -> list[Audit]:
    """Submitted and finalised audits, with the rollup refreshes those steps queue on commit
    run as in production (the rates read the finalised audits from ``FinalisedDay``)."""
    audits = assigned_audits(auditor, workflow, count, site=site)
    with TestCase.captureOnCommitCallbacks(execute=True):
        for audit in audits:
            lifecycle.submit_audit(audit, auditor, answers=FLAWED)
            lifecycle.finalise_audit(audit, manager)
    return [Audit.objects.get(pk=audit.pk) for audit in audits]


def disputed(audit, poc, lead, decisions: dict) -> Dispute:
    """Dispute ``decisions``' questions of ``audit`` and, if any is decided, resolve it."""
    dispute = disputes.raise_dispute(audit, poc, {key: "We disagree." for key in decisions})
    if all(decisions.values()):
        dispute = disputes.resolve_dispute(dispute, lead, decisions)
    return dispute


def build_program() -> dict:
    """The program of the module docstring: its people and places, the month's disputes and
    the coaching actions the vendors owe."""
    people = two_vendors_people_and_places()
    manager, auditor, workflow, site_a, site_b = (
        people[k] for k in ("manager", "auditor", "workflow", "site_a", "site_b")
    )
    poc_a, poc_b = vendor_poc(site_a.vendor), vendor_poc(site_b.vendor)
    published_form(workflow, by=manager)
    acme = final_audits(auditor, manager, workflow, site_a, 4)
    borealis = final_audits(auditor, manager, workflow, site_b, 1)
    disputed(acme[0], poc_a, manager, {"policy_cited": OVERTURN, "tone": UPHOLD})
    late = disputed(acme[1], poc_a, manager, {"policy_cited": None})
    Dispute.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    disputed(borealis[0], poc_b, manager, {"policy_cited": OVERTURN})

    category = ErrorCategory.objects.get(slug="policy-error")
    today = timezone.localdate()
    past, future = today - dt.timedelta(days=1), today + dt.timedelta(days=30)

    def opened(vendor, title, due):
        return actions.open_action(
            manager, vendor=vendor, category=category, title=title, due_date=due
        )

    opened(site_a.vendor, "Late", past)
    actions.acknowledge(opened(site_a.vendor, "Acknowledged, late", past), poc_a)
    opened(site_a.vendor, "Not due yet", future)
    actions.cancel(opened(site_a.vendor, "Cancelled", past), manager, "Dropped.")
    actions.complete(opened(site_a.vendor, "Done", past), poc_a, "Coached.")
    opened(site_b.vendor, "Borealis theme", future)
    rebuild_rollups()  # the auditor-days the productivity table reads
    return {**people, "poc_a": poc_a, "poc_b": poc_b, "late": late}


@pytest.fixture(scope="class")
def program(noon, django_db_setup, django_db_blocker):
    """The program, built once (at the module's noon) for the class whose tests read it."""
    with time_machine.travel(noon, tick=True):
        yield from rows_for_every_test(django_db_blocker, build_program)


class TestTheMonthsDisputesAndCoaching:
    """The tests that read the program of the module docstring. A class, not the module, holds
    them and its program: the calibration tests below count every decision of the month and
    need a month without the program's."""

    # The people and places the tests ask for are the program's.
    (manager, auditor, vendor_a, vendor_b, poc_a) = answered_from_the_program(
        "manager", "auditor", "vendor_a", "vendor_b", "poc_a", in_a_class=True
    )

    def test_each_vendor_shows_its_dispute_and_overturn_rates_and_what_it_owes(
        self, client_as, manager, program, vendor_a, vendor_b
    ):
        response = client_as(manager).get(this_month())

        assert response.status_code == 200
        rows = {row.vendor.name: row for row in response.context["overview"].follow_ups.vendors}
        acme, borealis = rows["Acme Moderation"], rows["Borealis Support"]
        assert (acme.finalised, acme.disputed, acme.dispute_rate) == (4, 2, 0.5)
        assert (acme.decided, acme.overturned, acme.overturn_rate) == (2, 1, 0.5)
        assert (acme.disputes.open, acme.disputes.overdue) == (1, 1)
        assert (acme.coaching_open, acme.coaching_overdue) == (3, 2)
        assert (borealis.finalised, borealis.disputed, borealis.decided, borealis.overturned) == (
            1,
            1,
            1,
            1,
        )
        assert (borealis.disputes.open, borealis.disputes.overdue) == (0, 0)
        assert (borealis.coaching_open, borealis.coaching_overdue) == (1, 0)

        page = response.content.decode()
        assert 'id="disputes-table"' in page
        assert 'href="/coaching/?vendor=acme"' in page
        assert 'href="/audits/disputes/?vendor=acme"' in page

    def test_the_coaching_link_lists_only_that_vendors_actions(self, client_as, manager, program):
        client = client_as(manager)
        row = next(
            row
            for row in client.get(this_month()).context["overview"].follow_ups.vendors
            if row.vendor.slug == "borealis"
        )

        titles = [action.title for action, _ in client.get(row.coaching_url).context["rows"]]

        assert titles == ["Borealis theme"]

    def test_the_disputes_csv_holds_the_numbers_on_the_page(self, client_as, manager, program):
        response = client_as(manager).get(this_month() + "&format=csv&table=disputes")

        rows = {
            r["vendor"]: r
            for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
        }
        assert rows["Acme Moderation"] == {
            "vendor": "Acme Moderation",
            "finalised": "4",
            "disputed": "2",
            "dispute_rate": "0.5",
            "decided": "2",
            "overturned": "1",
            "overturn_rate": "0.5",
            "disputes_open": "1",
            "disputes_overdue": "1",
            "coaching_open": "3",
            "coaching_overdue": "2",
        }

    def test_overdue_disputes_and_coaching_are_red_flags_with_links(
        self, client_as, manager, program
    ):
        flags = client_as(manager).get(this_month()).context["overview"].red_flags

        late = [(f.text, f.url) for f in flags if f.kind == "dispute_overdue"]
        assert late == [
            (
                "Acme Moderation: 1 of 1 open dispute past the 3-day SLA: "
                "a QA lead must decide it.",
                "/audits/disputes/?vendor=acme",
            )
        ]
        coaching = [(f.text, f.url) for f in flags if f.kind == "coaching_overdue"]
        assert coaching == [
            (
                "Acme Moderation: 2 of 3 coaching actions still owed past their due date.",
                "/coaching/?vendor=acme&overdue=1",
            )
        ]

    def test_a_dispute_decided_in_time_raises_no_flag(self, client_as, manager, program):
        disputes.resolve_dispute(program["late"], manager, {"policy_cited": UPHOLD})
        CoachingAction.objects.filter(due_date__lt=timezone.localdate()).update(
            due_date=timezone.localdate()
        )

        flags = client_as(manager).get(this_month()).context["overview"].red_flags

        assert not [f for f in flags if f.kind in ("dispute_overdue", "coaching_overdue")]

    def test_the_rates_count_audits_finalised_in_the_period_but_late_work_whenever(
        self, client_as, manager, program
    ):
        """Audits finalised last month leave this month's rates; their open dispute, overdue now,
        is still a flag."""
        Audit.objects.update(finalised_at=timezone.now() - dt.timedelta(days=40))
        rebuild_rollups()  # a bulk write bypasses the lifecycle: the nightly rebuild catches up

        overview = client_as(manager).get(this_month()).context["overview"]

        acme = next(r for r in overview.follow_ups.vendors if r.vendor.slug == "acme")
        assert (acme.finalised, acme.disputed, acme.decided, acme.dispute_rate) == (0, 0, 0, None)
        assert acme.disputes.overdue == 1
        assert any(f.kind == "dispute_overdue" for f in overview.red_flags)

    def test_each_auditor_shows_the_rates_of_their_audits_next_to_productivity(
        self, client_as, manager, auditor, program
    ):
        response = client_as(manager).get(this_month())

        load = next(
            load for load in response.context["overview"].auditors if load.auditor == auditor.email
        )
        # 5 audits finalised, 3 disputed; 3 questions decided, 2 overturned.
        assert (load.audits, load.disputes.finalised, load.disputes.disputed) == (5, 5, 3)
        assert (load.disputes.decided, load.disputes.overturned) == (3, 2)
        assert "Overturn rate (decided)" in response.content.decode()

    def test_a_vendor_poc_reaches_none_of_it(self, client_as, poc_a, program):
        client = client_as(poc_a)

        for url in (
            this_month(),
            this_month() + "&format=csv&table=disputes",
            this_month() + "&vendor=acme",
            this_month() + "&format=csv&table=flags",
        ):
            response = client.get(url)
            assert response.status_code == 404
            assert b"Acme" not in response.content and b"Borealis" not in response.content

    def test_the_demo_story_quotes_the_overviews_dispute_and_coaching_flags(
        self, client_as, manager, program
    ):
        from demo.story import overview_follow_up_lines

        period = period_containing("month", timezone.now().date())
        lines = overview_follow_up_lines(period)

        story = " ".join(" ".join(lines).split())
        flags = client_as(manager).get(this_month()).context["overview"].red_flags
        assert "Acme Moderation: 1 of 1 open dispute past the 3-day SLA" in story
        assert [f.text for f in flags if f.kind in ("dispute_overdue", "coaching_overdue")] == [
            text for text in (f.text for f in flags) if text in story
        ]
        assert lines[-1].strip().startswith("/?period=month") and lines[-1].endswith("#red-flags")
        assert client_as(manager).get(lines[-1].strip()).status_code == 200


@pytest.mark.parametrize(
    "decided, overturned, flagged",
    [
        (4, 4, False),  # every one overturned, but too few decisions to say
        (5, 2, False),  # enough decisions, 40 %
        (6, 3, True),  # exactly half
        (5, 3, True),
    ],
)
def test_a_question_overturned_often_on_enough_decisions_is_a_calibration_signal(
    client_as, manager, auditor, workflow, site_b, version, poc_b, decided, overturned, flagged
):
    audits = final_audits(auditor, manager, workflow, site_b, decided)
    for n, audit in enumerate(audits):
        disputed(audit, poc_b, manager, {"policy_cited": OVERTURN if n < overturned else UPHOLD})

    flags = [
        f
        for f in client_as(manager).get(this_month()).context["overview"].red_flags
        if f.kind == "calibration"
    ]

    share = f"{100 * overturned / decided:.1f}%"
    question = (
        f"Moderation scorecard, question policy_cited: {overturned} of {decided} "
        f"disputed answers overturned ({share}) on audits finalised in the period: a "
        "calibration signal."
    )
    by_auditor = (
        f"Auditor {auditor.email}: {overturned} of {decided} disputed answers on "
        f"their audits overturned ({share}) in the period: a calibration signal."
    )
    assert [f.text for f in flags] == ([question, by_auditor] if flagged else [])
    assert follow_ups.CALIBRATION_MIN_DECIDED == 5
    assert follow_ups.CALIBRATION_OVERTURN_SHARE == 0.5


def test_the_calibration_rule_counts_one_question_not_the_form(
    client_as, manager, auditor, workflow, site_b, version, poc_b
):
    """Five decided answers spread over two questions are not five decisions on either; they
    are five on the auditor's audits."""
    for n, audit in enumerate(final_audits(auditor, manager, workflow, site_b, 4)):
        questions = {"policy_cited": OVERTURN}
        if n == 0:
            questions["tone"] = Decision("overturned", "Polite enough.", "5")
        disputed(audit, poc_b, manager, questions)
    rates = dispute_rates(period_containing("month", timezone.now().date())).by_question

    assert {r.key[1]: (r.decided, r.overturned) for r in rates} == {
        "policy_cited": (4, 4),
        "tone": (1, 1),
    }
    flags = client_as(manager).get(this_month()).context["overview"].red_flags
    assert [f.text.split(":")[0] for f in flags if f.kind == "calibration"] == [
        f"Auditor {auditor.email}"
    ]
