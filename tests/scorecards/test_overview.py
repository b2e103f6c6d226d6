"""The program overview: a manager sees every vendor on the same workflows, how far each
sample run has got, how fast auditors work, and red flags for what needs a decision.

The program built here (March 2026, one month):

- Acme audited on hate speech (22 drawn from 400, 20 done, 17 passed) and on spam
  (12 from 60, 6 passed); Borealis on hate speech (20 from 300, 19 passed); Cobalt on hate
  speech (5 from 50: too few audits for a rate). Spam is Acme's alone: left out of the
  benchmark.
- Acme's contract asks for at least 99 % accuracy on hate speech: it is significantly below.
  Borealis's asks for at least 70 % overall: it meets it.
- Run "Weekly review" was drawn five days ago and has 2 of 10 audits done: behind. Run
  "Fresh draw" was drawn yesterday and has none done: not yet behind.

Auditor productivity is read from the auditor-day rollup (``rollups.productivity``), which
``rebuild_rollups`` rebuilds with the cells; the page reads no audit rows.
"""

import csv
import datetime as dt
import io
from collections import defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audits import lifecycle
from audits.models import SCORED_STATUSES, Audit, AuditStatus
from rollups.periods import period_of
from rollups.writer import rebuild_rollups
from sampling import stats
from sampling.models import SampleStratum
from scorecards import overview as overview_module
from scorecards.tables import rate
from tests.audits.workspace_helpers import published_form, sample_run
from tests.conftest import answered_from_the_program, rows_for_every_test
from tests.factories import (
    AgentFactory,
    ContractTargetFactory,
    SiteFactory,
    TicketFactory,
    UserFactory,
    VendorFactory,
    WorkflowFactory,
)
from tests.people_and_places import CONFTESTS_OWN, two_vendors_people_and_places
from tests.rollups.rollup_helpers import sampled_audits
from tests.scorecards.dispute_helpers import open_dispute, vendor_action

pytestmark = pytest.mark.django_db

HANDLED = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
SUBMITTED = dt.datetime(2026, 3, 12, 9, tzinfo=dt.UTC)
FEBRUARY = dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC)
MARCH = "/scorecards/?period=month&date=2026-03-01"
# Spam audits took 60 s (5 of them), 120 s (4) and 600 s (3): the mean of the 12 is
# 2,580 / 12 = 215 s (3.6 min); the page shows means, not medians (the rollup keeps sums).
SPAM_SECONDS = [60] * 5 + [120] * 4 + [600] * 3


def scored(audits, passes: int, seconds, by, at=SUBMITTED) -> None:
    """Mark ``audits`` submitted by ``by`` (the first ``passes`` pass), as bulk loads do."""
    for i, audit in enumerate(audits):
        Audit.objects.filter(pk=audit.pk).update(
            status=AuditStatus.SUBMITTED,
            passed=i < passes,
            score=100 if i < passes else 0,
            submitted_at=at,
            time_spent_seconds=seconds[i] if isinstance(seconds, list) else seconds,
            auditor=by,
        )


def stratum_of(audits, population: int) -> None:
    SampleStratum.objects.filter(pk=audits[0].sampled_ticket.stratum_id).update(
        population=population
    )


def benchmark_program(
    auditor,
    manager,
    workflow,
    site_a,
    site_b,
    *,
    handled=HANDLED,
    submitted=SUBMITTED,
    earlier=FEBRUARY,
):
    """The program of the module docstring; returns the objects tests talk about."""
    now = timezone.now()
    spam = WorkflowFactory(name="Spam (ES)", slug="spam-es")
    hate_form = published_form(workflow, by=manager)
    published_form(spam, by=manager, name="Spam scorecard")
    site_c = SiteFactory(vendor=VendorFactory(name="Cobalt BPO", slug="cobalt"), slug="nairobi")
    agent_a, agent_b, agent_c = (AgentFactory(site=s) for s in (site_a, site_b, site_c))
    second = UserFactory(email="second.auditor@example.com")

    daily = sample_run("Daily moderation")
    acme_hate = sampled_audits(daily, auditor, workflow, agent_a, [handled] * 22)
    acme_spam = sampled_audits(daily, auditor, spam, agent_a, [handled] * 12)
    borealis = sampled_audits(daily, auditor, workflow, agent_b, [handled] * 20)
    cobalt = sampled_audits(daily, auditor, workflow, agent_c, [handled] * 5)
    for audits, population in ((acme_hate, 400), (acme_spam, 60), (borealis, 300), (cobalt, 50)):
        stratum_of(audits, population)
    scored(acme_hate[:20], 17, 300, auditor, submitted)  # two are still open
    scored(acme_spam, 6, SPAM_SECONDS, auditor, submitted)
    scored(borealis, 19, 300, auditor, submitted)
    scored(cobalt, 5, 300, auditor, submitted)

    weekly = sample_run("Weekly review")
    late = sampled_audits(weekly, second, workflow, agent_a, [earlier] * 10)
    scored(late[:2], 2, [600, 1200], second, submitted)
    fresh = sample_run("Fresh draw")
    sampled_audits(fresh, second, workflow, agent_b, [handled] * 4)
    daily.finished_at, weekly.finished_at = now - dt.timedelta(days=10), now - dt.timedelta(days=5)
    fresh.finished_at = now - dt.timedelta(days=1)
    for run in (daily, weekly, fresh):
        run.save(update_fields=["finished_at"])

    # An ad-hoc audit is auditor work too (productivity), though never in an estimate.
    adhoc_ticket = TicketFactory(agent=agent_b, workflow=workflow, handled_at=handled)
    adhoc = lifecycle.start_adhoc_audit(adhoc_ticket, hate_form, second)
    scored([adhoc], 1, 1800, second, submitted)

    ContractTargetFactory(vendor=site_a.vendor, workflow=workflow, target="0.9900")
    ContractTargetFactory(vendor=site_b.vendor, workflow=None, target="0.7000")
    rebuild_rollups()
    return {
        "spam": spam,
        "daily": daily,
        "weekly": weekly,
        "fresh": fresh,
        "second": second,
        "cobalt": site_c.vendor,
    }


@pytest.fixture(scope="module")
def program(django_db_setup, django_db_blocker):
    """The program of the module docstring, built once for the module; the people and places
    below are its."""
    yield from rows_for_every_test(django_db_blocker, build_program)


manager, auditor, workflow, vendor_a, site_a, vendor_b, site_b = answered_from_the_program(
    *CONFTESTS_OWN
)


def build_program():
    people = two_vendors_people_and_places()
    auditor, manager, workflow, site_a, site_b = (
        people[k] for k in ("auditor", "manager", "workflow", "site_a", "site_b")
    )
    return {**people, **benchmark_program(auditor, manager, workflow, site_a, site_b)}


def accuracy_from_raw_audits(first: dt.date, last: dt.date, **domain) -> stats.Estimate:
    """The domain's accuracy counted by hand from the audit rows: per stratum N_h, n_h (its
    completed sampled audits), m_hd and x_hd (those in the domain, handled in the period),
    through Cochran's domain estimator (sampling.stats.domain_proportion)."""
    strata = defaultdict(lambda: [0, 0, 0, 0])
    completed = Audit.objects.filter(unsampled=False, status__in=SCORED_STATUSES)
    for audit in completed.select_related("ticket", "sampled_ticket__stratum"):
        stratum = audit.sampled_ticket.stratum
        counts = strata[stratum.pk]
        counts[0] = stratum.population
        counts[1] += 1
        day = audit.ticket.handled_at.astimezone(dt.UTC).date()
        if first <= day <= last and all(
            getattr(audit.ticket, f"{name}_id") == value for name, value in domain.items()
        ):
            counts[2] += 1
            counts[3] += bool(audit.passed)
    return stats.domain_proportion({h: tuple(c) for h, c in strata.items() if c[2]}, 0.95)


def test_vendors_are_compared_on_the_workflows_they_share(
    client_as, manager, program, workflow, site_a, site_b
):
    response = client_as(manager).get(MARCH)

    assert response.status_code == 200
    benchmark = response.context["overview"].benchmark
    march = period_of("month", dt.date(2026, 3, 1))
    assert [w.slug for w in benchmark.workflows] == ["hate-speech-en"]
    assert benchmark.left_out == 1  # spam: Acme's alone
    rows = {row.vendor.slug: row for row in benchmark.rows}
    assert list(rows) == ["acme", "borealis", "cobalt"]
    for slug, vendor in (("acme", site_a.vendor), ("borealis", site_b.vendor)):
        cell = rows[slug].cells[0]
        expected = accuracy_from_raw_audits(
            march.first, march.end, vendor=vendor.pk, workflow=workflow.pk
        )
        assert (cell.accuracy.p, cell.accuracy.low, cell.accuracy.high) == pytest.approx(
            (expected.p, expected.low, expected.high)
        )
    # Acme overall weighs its two strata by population (400 and 60), not by audits.
    overall = accuracy_from_raw_audits(march.first, march.end, vendor=site_a.vendor.pk)
    assert rows["acme"].overall.accuracy.p == pytest.approx(overall.p)
    assert overall.p == pytest.approx((400 / 20 * 17 + 60 / 12 * 6) / (400 + 60))
    assert rows["cobalt"].cells[0].accuracy is None

    page = response.content.decode()
    assert "too few audits (n 5)" in page
    assert "1 workflow audited at a single vendor is left out" in page
    assert 'href="/scorecards/vendors/acme/?period=month&amp;date=2026-03-01"' in page
    assert (
        'href="/scorecards/vendors/acme/?period=month&amp;date=2026-03-01'
        '&amp;workflow=hate-speech-en"'
    ) in page


def test_the_benchmark_csv_holds_the_numbers_on_the_page(client_as, manager, program):
    page = client_as(manager).get(MARCH)
    acme = next(row for row in page.context["overview"].benchmark.rows if row.vendor.slug == "acme")

    download = client_as(manager).get(MARCH + "&format=csv&table=benchmark")

    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    hate = next(
        r for r in rows if r["vendor"] == "Acme Moderation" and r["workflow"] == "Hate speech (EN)"
    )
    assert (hate["audits"], float(hate["accuracy"]), float(hate["low"])) == (
        "20",
        rate(acme.cells[0].accuracy.p),
        rate(acme.cells[0].accuracy.low),
    )


def test_each_run_shows_audits_done_against_planned(client_as, manager, program):
    response = client_as(manager).get(MARCH)

    runs = {p.run.plan.name: p for p in response.context["overview"].runs}
    daily, weekly, fresh = runs["Daily moderation"], runs["Weekly review"], runs["Fresh draw"]
    assert (daily.drawn, daily.completed) == (22 + 12 + 20 + 5, 20 + 12 + 20 + 5)
    assert daily.share_done == pytest.approx(57 / 59)
    assert (weekly.drawn, weekly.completed, weekly.behind) == (10, 2, True)
    assert (fresh.drawn, fresh.completed, fresh.behind) == (4, 0, False)  # drawn yesterday
    assert not daily.behind
    assert f'href="/sampling/runs/{program["weekly"].pk}/"' in response.content.decode()


def test_auditor_productivity_is_audits_per_hour_spent(client_as, manager, auditor, program):
    response = client_as(manager).get(MARCH)
    overview = response.context["overview"]

    loads = {load.auditor: load for load in overview.auditors}
    # 45 hate-speech audits at 300 s and 12 spam audits (2,580 s): 16,080 s for 57 audits.
    first = loads[auditor.email]
    assert (first.audits, first.seconds) == (57, 16_080)
    assert (first.hours, first.per_hour) == (4.47, 12.76)  # 57 / 4.4667 h
    # Two sampled audits (600 s, 1,200 s) and an ad-hoc one (1,800 s): 3 in one hour.
    second = loads["second.auditor@example.com"]
    assert (second.audits, second.hours, second.per_hour) == (3, 1.0, 3.0)

    forms = {time.form: time for time in overview.forms}
    assert (forms["Spam scorecard"].audits, forms["Spam scorecard"].mean_minutes) == (12, 3.6)
    # 45 × 300 s, 600, 1,200 and 1,800 s: 17,100 s / 48 = 356 s.
    moderation = forms["Moderation scorecard"]
    assert (moderation.audits, moderation.mean_minutes) == (48, 5.9)
    assert "Mean minutes per audit" in response.content.decode()


def test_productivity_is_read_from_the_auditor_days_not_the_audits(
    client_as, manager, auditor, program
):
    with CaptureQueriesContext(connection) as queries:
        response = client_as(manager).get(MARCH + "&format=csv&table=auditors")

    # The dispute columns count finalised audits and their disputes (audits.disputes), the
    # "model degraded" flag finalised audits of scored tickets (scorecards.model_flags); the
    # productivity numbers read no audit row.
    assert not [
        q["sql"]
        for q in queries.captured_queries
        if '"audits_audit"' in q["sql"]
        and '"finalised_at"' not in q["sql"]
        and '"audits_dispute"' not in q["sql"]
        and '"ai_score"' not in q["sql"]
    ]
    assert not [
        q["sql"]
        for q in queries.captured_queries
        if '"audits_audit"."time_spent_seconds"' in q["sql"]
    ]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {(r["auditor"], r["audits"], r["hours"]) for r in rows} == {
        (auditor.email, "57", "4.47"),
        ("second.auditor@example.com", "3", "1.0"),
    }


def test_a_vendor_significantly_below_target_is_a_red_flag_and_one_meeting_it_is_not(
    client_as, manager, program
):
    response = client_as(manager).get(MARCH)

    flags = response.context["overview"].red_flags
    texts = " ".join(flag.text for flag in flags)
    target = next(flag for flag in flags if flag.kind == "target")
    assert target.text.startswith("Acme Moderation: accuracy on Hate speech (EN) is 85.0%")
    assert "below target (significant at 95%)" in target.text
    assert "at least 99.0%" in target.text
    assert target.url.endswith(
        "/scorecards/vendors/acme/?period=month&date=2026-03-01&workflow=hate-speech-en"
    )
    assert "Borealis" not in texts
    assert [flag.kind for flag in flags] == ["target", "run"]
    assert texts.endswith(
        f"Run {program['weekly'].pk} of Weekly review: 2 of 10 audits done "
        "(20.0%) 5 days after the draw."
    )
    page = response.content.decode()
    assert "Acme Moderation: accuracy on Hate speech (EN)" in page


def test_an_out_of_control_week_of_a_vendor_is_a_red_flag(
    client_as, manager, program, workflow, site_b
):
    """Borealis misses 1 in 20 in four February weeks and in March's second week, and 8 in
    20 in March's first: the p-chart's upper limit at about 20 audits a week is near
    p̄ + 3·sqrt(p̄(1 - p̄)/20) ≈ 11 % + 21 % (Montgomery 2009, §7.2.2): 40 % is out."""
    history = sample_run("History")
    agent = AgentFactory(site=site_b)
    mondays = [dt.datetime(2026, 2, day, 12, tzinfo=dt.UTC) for day in (2, 9, 16, 23)]
    for monday in mondays:
        scored(
            sampled_audits(history, manager, workflow, agent, [monday] * 20),
            19,
            300,
            manager,
            monday,
        )
    bad_week = dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC)
    scored(
        sampled_audits(history, manager, workflow, agent, [bad_week] * 20),
        12,
        300,
        manager,
        bad_week,
    )
    rebuild_rollups()

    response = client_as(manager).get(MARCH)

    flags = [
        flag for flag in response.context["overview"].red_flags if flag.kind == "out_of_control"
    ]
    assert [flag.text.split(" (")[0] for flag in flags] == [
        "Borealis Support: the error rate of week 2026-W10"
    ]
    assert "40.0%, n 20) is above the p-chart's upper limit" in flags[0].text
    assert flags[0].url == "/scorecards/trends/?period=month&date=2026-03-01&vendor=borealis"


@pytest.fixture
def spam_shared(program, auditor, site_b):
    """Borealis audited on spam too (10 audits, 9 passed): spam is now shared, with fewer
    audits (22) than hate speech (47)."""
    run = sample_run("Spam at Borealis")
    audits = sampled_audits(
        run, auditor, program["spam"], AgentFactory(site=site_b), [HANDLED] * 10
    )
    scored(audits, 9, 300, auditor)
    rebuild_rollups()


def test_the_matrix_shows_the_shared_workflows_with_the_most_audits_and_says_how_many_more(
    client_as, manager, spam_shared, monkeypatch
):
    monkeypatch.setattr(overview_module, "BENCHMARK_WORKFLOWS", 1)
    client = client_as(manager)

    response = client.get(MARCH)

    benchmark = response.context["overview"].benchmark
    assert ([w.slug for w in benchmark.workflows], benchmark.more) == (["hate-speech-en"], 1)
    page = response.content.decode()
    assert "1 more is not shown" in page
    assert 'href="?period=month&amp;date=2026-03-01&amp;workflows=all#benchmark">show all 2' in page
    csv_rows = client.get(MARCH + "&format=csv&table=benchmark").content.decode("utf-8-sig")
    assert "Spam (ES)" not in csv_rows

    everything = client.get(MARCH + "&workflows=all")

    benchmark = everything.context["overview"].benchmark
    assert ([w.slug for w in benchmark.workflows], benchmark.more) == (
        ["hate-speech-en", "spam-es"],
        0,
    )  # most audits first
    rows = {row.vendor.slug: row for row in benchmark.rows}
    assert rows["borealis"].cells[1].audits == 10
    assert rows["cobalt"].cells[1].outcome is None  # no spam audits at Cobalt
    assert "workflows=all&amp;format=csv&amp;table=benchmark" in everything.content.decode()
    csv_rows = client.get(MARCH + "&workflows=all&format=csv&table=benchmark").content.decode(
        "utf-8-sig"
    )
    assert "Borealis Support,Spam (ES),10," in csv_rows


def test_a_target_on_a_workflow_not_in_the_matrix_is_still_checked(
    client_as, manager, program, site_a, spam_shared, monkeypatch
):
    """Acme's spam audits found a policy error in 6 of 12 (a stratum of 60 tickets): policy
    decision accuracy 50 %, far below a 95 % target, though spam is not shown."""
    monkeypatch.setattr(overview_module, "BENCHMARK_WORKFLOWS", 1)
    Audit.objects.filter(
        ticket__workflow=program["spam"], ticket__vendor=site_a.vendor, passed=False
    ).update(error_categories={"policy-error": 1})
    rebuild_rollups()
    ContractTargetFactory(
        vendor=site_a.vendor, workflow=program["spam"], metric="policy_accuracy", target="0.9500"
    )

    response = client_as(manager).get(MARCH)

    texts = [flag.text for flag in response.context["overview"].red_flags]
    assert any(
        text.startswith("Acme Moderation: policy decision accuracy on Spam (ES) is 50.0%")
        for text in texts
    )
    assert any(text.startswith("Acme Moderation: accuracy on Hate speech (EN)") for text in texts)


def test_a_vendor_poc_cannot_see_the_overview_and_is_sent_to_the_portal(client_as, poc_a):
    client = client_as(poc_a)

    assert client.get("/scorecards/").status_code == 404
    assert client.get("/scorecards/?format=csv").status_code == 404
    home = client.get("/")
    assert (home.status_code, home["Location"]) == (302, "/portal/")


def test_a_bad_period_is_answered_400_with_its_reason(client_as, manager):
    response = client_as(manager).get("/scorecards/?period=fortnight")

    assert response.status_code == 400
    assert "fortnight" in response.content.decode()


def test_the_home_of_a_manager_is_the_overview(client_as, manager, program):
    response = client_as(manager).get("/?period=month&date=2026-03-01")

    assert response.status_code == 200
    assert response.context["overview"].benchmark.left_out == 1


def test_the_query_count_does_not_grow_with_vendors_workflows_or_auditors(
    client_as, manager, program, workflow, site_a, django_assert_max_num_queries
):
    client = client_as(manager)
    # Acme has a dispute (open, past its SLA) and a coaching action (overdue).
    acme_audit = Audit.objects.filter(
        ticket__vendor=site_a.vendor, status=AuditStatus.SUBMITTED
    ).first()
    open_dispute(acme_audit, manager, SUBMITTED)
    vendor_action(site_a.vendor, manager, dt.date(2026, 3, 20))
    rebuild_rollups()  # the dispute's audit was finalised behind the rollups' back
    with CaptureQueriesContext(connection) as small:
        client.get(MARCH)

    # Two more vendors, a newly shared workflow and another auditor; each new vendor has a
    # dispute and a coaching action too.
    third = UserFactory(email="third.auditor@example.com")
    run = sample_run("More vendors")
    for name in ("Delta", "Echo"):
        agent = AgentFactory(site=SiteFactory(vendor=VendorFactory(name=name, slug=name.lower())))
        for line in (workflow, program["spam"]):
            audits = sampled_audits(run, third, line, agent, [HANDLED] * 12)
            scored(audits, 10, 240, third)
        open_dispute(audits[0], manager, SUBMITTED)
        vendor_action(agent.vendor, manager, dt.date(2026, 3, 20))
    rebuild_rollups()

    # 17 for benchmarking (2 of them the vendors' AI-assisted accuracy), runs, productivity
    # and the other red flags; 10 for disputes and
    # coaching (scorecards.follow_ups); 1 for vendor-reported rates (scorecards.reported_qa);
    # 2 for calibration's closed sessions (scorecards.reliability_flags; no session here);
    # 1 for the scoring models' degradation (scorecards.model_flags).
    # The rebuild made a new rollups version: the page is computed again, not cached.
    with django_assert_max_num_queries(31), CaptureQueriesContext(connection) as large:
        bigger = client.get(MARCH)
    assert len(bigger.context["overview"].benchmark.rows) == 5
    follow_ups = bigger.context["overview"].follow_ups
    assert [row.vendor.name for row in follow_ups.vendors if row.disputes.overdue] == [
        "Acme Moderation",
        "Delta",
        "Echo",
    ]
    assert len(large.captured_queries) == len(small.captured_queries)
