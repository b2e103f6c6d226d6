"""Watching the model: a grader that foretold January's audits well and February's not at all is
flagged as degraded on the overview and to webhook endpoints; one that stays good is not; the
monitoring page shows the numbers ``sampling.stats`` gives from the audits themselves, opens on
the latest week holding audits, and is not there for a vendor's POC. Dates are frozen."""

import datetime as dt

import numpy as np
import pytest
import time_machine
from django.urls import reverse

from audits.models import Audit, AuditStatus
from rollups.writer import rebuild_rollups
from sampling import stats
from sampling.models import SampledTicket, SampleStratum
from scorecards.model_flags import model_flags
from tests.audits.workspace_helpers import sample_run
from tests.factories import AgentFactory, TicketFactory
from webhooks.endpoints import create_endpoint
from webhooks.events import announce_red_flags
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 4, 12, tzinfo=dt.UTC)  # a Wednesday; the last whole week began 23 Feb
REFERENCE_WEEKS = [dt.date(2026, 1, 12), dt.date(2026, 1, 19)]
RECENT_WEEKS = [dt.date(2026, 2, 16), dt.date(2026, 2, 23)]
PER_WEEK, FAILING = 50, 15  # 30 % fail every week
MODEL = "llm-grader-v3"


def _scores(rng, failed: np.ndarray, good: bool) -> np.ndarray:
    """To the hundredth, so the page's grouping to the thousandth changes nothing. A good
    model scores failures high and passes low (AUC about 0.9); a useless one the same."""
    if good:
        raw = np.where(
            failed, rng.uniform(0.3, 0.9, failed.size), rng.uniform(0.0, 0.5, failed.size)
        )
    else:
        raw = rng.uniform(0.0, 0.6, failed.size)
    return np.round(raw, 2)


def build(version, auditor, site, workflow, *, recent_good: bool) -> dict:
    """One run, one stratum per window (N 1,000 and 2,000), PER_WEEK finalised audits a week;
    every other ticket an automated decision. Returns {week: (y, scores)}."""
    rng = np.random.default_rng(2026)
    run = sample_run("Weekly moderation")
    agent = AgentFactory(site=site)
    planted = {}
    for position, (weeks, population, good) in enumerate(
        ((REFERENCE_WEEKS, 1000, True), (RECENT_WEEKS, 2000, recent_good))
    ):
        stratum = SampleStratum.objects.create(
            run=run,
            position=position,
            label=f"stratum {position}",
            population=population,
            allocated=PER_WEEK * len(weeks),
            drawn=PER_WEEK * len(weeks),
            expected_rate=0.3,
            stddev=0.46,
        )
        for week in weeks:
            failed = np.arange(PER_WEEK) < FAILING
            scores = _scores(rng, failed, good)
            planted[week] = (failed.astype(float), scores)
            at = dt.datetime.combine(week, dt.time(9), tzinfo=dt.UTC)
            tickets = [
                TicketFactory(
                    agent=agent,
                    workflow=workflow,
                    automated=bool(i % 2),
                    handled_at=at + dt.timedelta(hours=i),
                    ai_score=float(s),
                    ai_model=MODEL,
                )
                for i, s in enumerate(scores)
            ]
            sampled = SampledTicket.objects.bulk_create(
                SampledTicket(
                    run=run,
                    stratum=stratum,
                    ticket=t,
                    draw_rank=i + 1,
                    inclusion_probability=stratum.allocated / population,
                )
                for i, t in enumerate(tickets)
            )
            done = at + dt.timedelta(days=2)
            Audit.objects.bulk_create(
                Audit(
                    ticket=t,
                    sampled_ticket=s,
                    form_version=version,
                    auditor=auditor,
                    status=AuditStatus.FINAL,
                    passed=not f,
                    score=40 if f else 100,
                    submitted_at=done,
                    finalised_at=done,
                )
                for t, s, f in zip(tickets, sampled, failed, strict=True)
            )
    # One finalised audit of an unscored ticket: it must not count.
    ticket = TicketFactory(
        agent=agent,
        workflow=workflow,
        handled_at=dt.datetime.combine(RECENT_WEEKS[-1], dt.time(8), tzinfo=dt.UTC),
    )
    Audit.objects.create(
        ticket=ticket,
        form_version=version,
        auditor=auditor,
        unsampled=True,
        status=AuditStatus.FINAL,
        passed=False,
        score=0,
        submitted_at=NOW - dt.timedelta(days=5),
        finalised_at=NOW - dt.timedelta(days=5),
    )
    rebuild_rollups()
    return planted


@pytest.fixture
def degraded(version, auditor, site_a, workflow):
    return build(version, auditor, site_a, workflow, recent_good=False)


@pytest.fixture
def steady(version, auditor, site_a, workflow):
    return build(version, auditor, site_a, workflow, recent_good=True)


def _same(shown, expected) -> bool:
    """Equal to rounding: the database returns the audits in another order."""
    fields = ("value", "se", "low", "high", "n")
    return [getattr(shown, f) for f in fields] == pytest.approx(
        [getattr(expected, f) for f in fields], rel=1e-12, abs=1e-15
    )


def _window(planted, weeks):
    return tuple(np.concatenate([planted[w][i] for w in weeks]) for i in (0, 1))


def test_the_page_shows_what_the_statistics_give_from_the_audits(degraded, client_as, manager):
    with time_machine.travel(NOW, tick=False):
        response = client_as(manager).get(reverse("scorecards:models"))
    assert response.status_code == 200
    watch = response.context["watch"]
    # It opens on the latest week holding audits, not on the empty current week.
    assert watch.period.kind == "week" and watch.period.first == RECENT_WEEKS[-1]
    y, scores = degraded[RECENT_WEEKS[-1]]
    current = watch.current
    assert current.audits == PER_WEEK and current.failures == FAILING
    assert _same(current.auc, stats.auc_delong(y, scores))
    assert _same(current.brier, stats.brier_score(y, scores))
    bins = stats.calibration_bins(y, scores)
    assert [(b.count, b.observed, b.observed_low) for b in watch.bins] == [
        (b.count, b.observed, b.observed_low) for b in bins
    ]
    assert [b.mean_score for b in watch.bins] == pytest.approx([b.mean_score for b in bins])
    assert current.ece == pytest.approx(stats.expected_calibration_error(bins))
    assert watch.unscored == 1  # the unscored ticket's audit is counted apart
    html = response.content.decode()
    assert f"{PER_WEEK}</strong> finalised audits of tickets scored by {MODEL}" in html
    assert "1 finalised audit of the period had no score" in html
    assert 'class="chart trend-chart"' in html and 'class="chart reliability-chart"' in html
    # The series runs back twelve weeks; a reference week's AUC is the good model's.
    by_week = {q.period.first: q for q in watch.series}
    assert len(watch.series) == 12
    assert _same(by_week[REFERENCE_WEEKS[0]].auc, stats.auc_delong(*degraded[REFERENCE_WEEKS[0]]))
    assert by_week[RECENT_WEEKS[0] - dt.timedelta(weeks=1)].audits == 0


def test_by_month_the_page_pools_the_weeks_of_the_month(degraded, client_as, manager):
    with time_machine.travel(NOW, tick=False):
        response = client_as(manager).get(
            reverse("scorecards:models"), {"model": MODEL, "period": "month", "date": "2026-01-01"}
        )
    watch = response.context["watch"]
    assert watch.period.label == "January 2026"
    assert _same(watch.current.auc, stats.auc_delong(*_window(degraded, REFERENCE_WEEKS)))


def test_audits_of_a_risk_weighted_stratum_are_left_out_and_counted(
    degraded, version, auditor, site_a, workflow, client_as, manager
):
    """A risk-weighted run drew 20 more tickets of the last week for their high scores, all of
    which failed: pooled unweighted they would flatter the model. The page's numbers are still
    those of the equal-probability audits alone, the λ per stratum too, and it says how many
    it left out."""
    run = sample_run("Risky tickets first")
    stratum = SampleStratum.objects.create(
        run=run, position=0, label="risky", population=400, allocated=20, drawn=20,
        expected_rate=0.5, stddev=0.5, risk_weighted=True)
    at = dt.datetime.combine(RECENT_WEEKS[-1], dt.time(7), tzinfo=dt.UTC)
    for i in range(20):
        ticket = TicketFactory(agent=AgentFactory(site=site_a), workflow=workflow,
                               handled_at=at + dt.timedelta(minutes=i), ai_score=0.95,
                               ai_model=MODEL, automated=True)
        sampled = SampledTicket.objects.create(run=run, stratum=stratum, ticket=ticket,
                                               draw_rank=i + 1, inclusion_probability=0.5)
        Audit.objects.create(ticket=ticket, sampled_ticket=sampled, form_version=version,
                             auditor=auditor, status=AuditStatus.FINAL, passed=False, score=0,
                             submitted_at=NOW - dt.timedelta(days=3),
                             finalised_at=NOW - dt.timedelta(days=3))
    rebuild_rollups()

    with time_machine.travel(NOW, tick=False):
        response = client_as(manager).get(reverse("scorecards:models"))

    watch = response.context["watch"]
    y, scores = degraded[RECENT_WEEKS[-1]]
    assert (watch.current.audits, watch.current.failures) == (PER_WEEK, FAILING)
    assert _same(watch.current.auc, stats.auc_delong(y, scores))
    assert _same(watch.current.brier, stats.brier_score(y, scores))
    assert watch.risk_weighted == 20
    assert [s.label for s in watch.strata] == ["stratum 0", "stratum 1"]
    assert "20 finalised audits of risk-weighted strata are left out" in (
        response.content.decode())
    # The automated decisions' error rate counts them, each weighing N_h/Σ 1/π · 1/π = 20 as
    # the stratum-1 audits of the week do (N 2,000, 100 audits): 25 of those, 7 failed, and
    # these 20, all failed: (7 + 20) · 20 / (45 · 20) = 0.6 (a Hájek domain estimate).
    manual, automated = watch.automation
    assert (manual.audits, automated.audits) == (25, 45)
    assert automated.error_rate.p == pytest.approx(0.6, abs=1e-12)
    assert automated.error_rate.low < 0.6 < automated.error_rate.high


def test_lambda_per_stratum_and_automated_against_manual_rates(degraded, client_as, manager):
    with time_machine.travel(NOW, tick=False):
        watch = client_as(manager).get(reverse("scorecards:models")).context["watch"]
    y, f = _window(degraded, REFERENCE_WEEKS)
    first = watch.strata[0]
    assert (first.audits, first.failures) == (len(y), int(y.sum()))
    assert first.lam == pytest.approx(
        stats.power_tuning_lambda(len(y), y.sum(), f.sum(), (f * f).sum(), (y * f).sum())
    )
    assert first.lam > 0.5 > abs(watch.strata[1].lam)  # good then useless
    # Week of 23 Feb, stratum 1 (N 2,000, 100 audits over its two weeks): odd tickets were
    # automated; failures are the first 15 of the week, 8 manual and 7 automated.
    manual, automated = watch.automation
    assert (manual.audits, automated.audits) == (25, 25)
    for rate, failed in ((manual, 8), (automated, 7)):
        expected = stats.domain_proportion({1: (2000, 100, 25, failed)})
        for name in ("p", "se", "low", "high"):
            assert getattr(rate.error_rate, name) == pytest.approx(getattr(expected, name),
                                                                   abs=1e-12)


def test_a_model_that_turned_useless_raises_the_red_flag_and_the_webhook(
    degraded, client_as, manager, vendor_a
):
    flags = model_flags(NOW)
    assert [flag.kind for flag in flags] == ["model_degraded"]
    assert f"Model {MODEL} degraded" in flags[0].text and "AUC fell" in flags[0].text
    with time_machine.travel(NOW, tick=False):
        overview = client_as(manager).get(reverse("scorecards:overview")).content.decode()
        page = client_as(manager).get(flags[0].url.replace("&amp;", "&"))
    assert "flag-model_degraded" in overview and f"Model {MODEL} degraded" in overview
    assert page.context["watch"].check.degraded
    assert "Degraded:" in page.content.decode()

    internal = create_endpoint(
        name="Ops", url="https://ops.example/hook", events=["red_flag.raised"], by=manager
    )
    create_endpoint(
        name="Acme",
        url="https://acme.example/hook",
        events=["audit.finalised"],
        by=manager,
        vendor=vendor_a,
    )
    assert announce_red_flags(NOW) == 1
    assert announce_red_flags(NOW + dt.timedelta(days=1)) == 0  # same week: told once
    (delivery,) = Delivery.objects.all()
    assert delivery.endpoint == internal and delivery.event == "red_flag.raised"
    data = delivery.payload["data"]
    assert data["kind"] == "model_degraded" and data["model"] == MODEL
    assert data["recent"] == {"first": "2026-02-02", "last": "2026-03-01", "audits": 100}
    assert data["reference"] == {"first": "2025-11-10", "last": "2026-02-01", "audits": 100}
    assert data["auc"]["p_value"] < 0.01 and data["auc"]["recent"] < data["auc"]["reference"]


def test_a_model_that_stays_good_raises_no_flag(steady, client_as, manager):
    assert model_flags(NOW) == []
    with time_machine.travel(NOW, tick=False):
        page = client_as(manager).get(reverse("scorecards:models"))
    assert page.context["watch"].check.result is not None
    assert not page.context["watch"].check.degraded


def test_a_vendor_poc_finds_no_such_page(degraded, client_as, poc_a):
    assert client_as(poc_a).get(reverse("scorecards:models")).status_code == 404


def test_an_unknown_model_is_not_found_and_a_bad_period_is_named(degraded, client_as, manager):
    client = client_as(manager)
    url = reverse("scorecards:models")
    assert client.get(url, {"model": "nobody"}).status_code == 404
    response = client.get(url, {"period": "year"})
    assert response.status_code == 400 and "period" in response.context["error"]
    response = client.get(url, {"date": "2026-02-31"})
    assert response.status_code == 400 and "date" in response.context["error"]


def test_without_scored_audits_the_page_says_so(client_as, manager):
    response = client_as(manager).get(reverse("scorecards:models"))
    assert response.status_code == 200 and 'id="no-models"' in response.content.decode()
