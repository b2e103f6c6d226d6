"""A program manager reads a scorecard whose strata were drawn with the model's scores kept:
beside each classical interval the AI-assisted one and what the scores were worth in audits,
a verdict that says which estimate it used, and, where a stratum's tickets had no scores at
draw, the classical estimate alone with the reason. A vendor POC reads the same numbers in
the portal, and never another vendor's.

Each batch is its own stratum, so the vendor is a union of whole strata and its AI-assisted
rate is ``stats.stratified_ppi`` of the batches (computed here from the built rows).
"""

import csv
import datetime as dt
import io
import random
from decimal import Decimal

import pytest
from django.urls import reverse

from audits.lifecycle import submit_audit
from rollups.writer import rebuild_rollups
from sampling import stats
from sampling.models import PopulationScoreCell, SampledTicket, SampleStratum
from scorecards.targets import BELOW, verdict
from tests.audits.workspace_helpers import ALL_GOOD, published_form, sample_run
from tests.factories import AgentFactory
from tests.rollups.rollup_helpers import sampled_audits
from vendors.models import ContractTarget

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MARCH = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
WEEK = dt.date(2026, 3, 9)
FAIL = {**ALL_GOOD, "escalation": "missed", "policy_cited": "fail"}
CRITICAL = {**ALL_GOOD, "right_action": "no"}
QUERY = {"period": "month", "date": "2026-03-01"}


def scored_batch(auditor, workflow, agent, *, population, outcomes, rng, scored=True):
    """A stratum of ``population`` tickets, its audits scored as ``outcomes`` ("pass", "fail",
    "critical"), with what its draw kept: each audited ticket's ŷ (a good model: high for
    failures) and the population's Σ ŷ, unless ``scored`` is False (no model scored it)."""
    audits = sampled_audits(sample_run(f"Plan {rng.random()}"), auditor, workflow, agent,
                            [MARCH] * len(outcomes))
    answers = {"pass": ALL_GOOD, "fail": FAIL, "critical": CRITICAL}
    y, f = [], []
    for audit, outcome in zip(audits, outcomes, strict=True):
        submit_audit(audit, auditor, answers=answers[outcome])
        score = round(min(1.0, max(0.0, (0.7 if outcome != "pass" else 0.15)
                                   + rng.gauss(0, 0.1))), 4)
        y.append(outcome == "pass")
        f.append(score)
        if scored:
            SampledTicket.objects.filter(pk=audit.sampled_ticket_id).update(ai_score=score)
    stratum = SampleStratum.objects.get(pk=audits[0].sampled_ticket.stratum_id)
    population_sum = round(population * 0.22, 4)
    stratum.population = population
    if scored:
        stratum.ai_scored, stratum.ai_score_sum, stratum.ai_model = (
            population, population_sum, "llm-grader-v1")
        PopulationScoreCell.objects.create(
            stratum=stratum, vendor=agent.vendor, site=agent.site, agent=agent,
            workflow=workflow, week=WEEK, tickets=population, scored=population,
            score_sum=population_sum, score_sq_sum=population_sum * 0.3)
    else:
        stratum.ai_scored, stratum.ai_score_sum, stratum.ai_model = 0, 0.0, ""
    stratum.save()
    return stratum.pk, stats.StratumScores.from_arrays(population, y, f, population_sum)


@pytest.fixture
def world(manager, auditor, vendor_a, site_a, workflow):
    published_form(workflow, by=manager)
    rng = random.Random(3)
    agents = [AgentFactory(site=site_a, external_id=f"M{i}") for i in (1, 2)]
    strata = dict([
        scored_batch(auditor, workflow, agents[0], population=600, rng=rng,
                     outcomes=["pass"] * 24 + ["fail"] * 4 + ["critical"] * 2),
        scored_batch(auditor, workflow, agents[1], population=300, rng=rng,
                     outcomes=["pass"] * 20 + ["fail"] * 3 + ["critical"] * 2),
    ])
    ContractTarget.objects.create(vendor=vendor_a, metric="accuracy", direction="at_least",
                                  target=Decimal("0.80"), effective_from=dt.date(2026, 1, 1))
    return {"strata": strata, "agents": agents, "rng": rng, "auditor": auditor}


def open_card(client, vendor, **params):
    response = client.get(reverse("scorecards:scorecard", args=[vendor.slug]),
                          {**QUERY, **params})
    assert response.status_code == 200, response.content[:500]
    return response


def test_the_page_shows_the_assisted_interval_beside_the_classical_one_and_the_gain(
    client_as, manager, vendor_a, world
):
    rebuild_rollups()
    expected = stats.stratified_ppi(world["strata"])

    response = open_card(client_as(manager), vendor_a)
    page = response.content.decode()

    accuracy = {h.metric: h for h in response.context["card"].headlines}["accuracy"]
    assisted = accuracy.assisted.estimate
    assert assisted.p == pytest.approx(expected.p, abs=1e-9)
    assert assisted.se == pytest.approx(expected.se, abs=1e-9)
    assert accuracy.estimate.se == pytest.approx(expected.classical_se, abs=1e-9)
    assert assisted.se < accuracy.estimate.se
    gain = expected.n * (expected.classical_se**2 / expected.se**2 - 1)
    assert accuracy.assisted.extra_audits == pytest.approx(gain, rel=1e-9)
    assert f"{accuracy.estimate.p * 100:.1f}%" in page
    assert f"AI-assisted</span> <strong>{assisted.p * 100:.1f}%</strong>" in page
    assert f"the model's scores were worth about {gain:.0f} extra audits" in page
    critical = {h.metric: h for h in response.context["card"].headlines}["critical_error_rate"]
    assert critical.assisted is not None and 'id="assisted-critical_error_rate"' in page
    # The verdict says which estimate it used.
    (row,) = response.context["card"].targets
    assert row.basis == "AI-assisted" and row.estimate == assisted
    assert '<td class="verdict-basis">AI-assisted</td>' in page
    download = client_as(manager).get(
        reverse("scorecards:scorecard", args=[vendor_a.slug]),
        {**QUERY, "format": "csv", "table": "metrics"}).content.decode()
    assert str(round(assisted.p, 4)) in download
    assert "(on the AI-assisted estimate)" in download


@pytest.fixture
def unscored_agent(site_a, workflow, world):
    """A third agent, M3, whose stratum no model scored."""
    agent = AgentFactory(site=site_a, external_id="M3")
    scored_batch(world["auditor"], workflow, agent, population=200, rng=world["rng"],
                 outcomes=["pass"] * 10 + ["fail"] * 2, scored=False)
    rebuild_rollups()
    return agent


def test_a_stratum_without_scores_counts_classically_and_the_page_says_why(
    client_as, manager, vendor_a, site_a, workflow, unscored_agent
):
    response = open_card(client_as(manager), vendor_a)
    accuracy = {h.metric: h for h in response.context["card"].headlines}["accuracy"]
    assert accuracy.assisted is not None  # the two scored strata still help
    assert "1 stratum: 200 of its 200 tickets had no model score at draw" in (
        accuracy.assisted_note)
    assert "strata without the model&#x27;s scores count classically" in (
        response.content.decode())

    # The unscored agent's own page: the classical estimate only, and the reason.
    response = open_card(client_as(manager), vendor_a, site=site_a.slug,
                         workflow=workflow.slug, agent="M3")
    accuracy = {h.metric: h for h in response.context["card"].headlines}["accuracy"]
    assert accuracy.estimate is not None and accuracy.assisted is None
    assert accuracy.assisted_note == (
        "no AI-assisted estimate: 1 stratum: 200 of its 200 tickets had no model score at draw")
    assert "no AI-assisted estimate" in response.content.decode()


def test_a_vendor_poc_sees_the_same_assisted_numbers_in_the_portal_and_no_other_vendor(
    client_as, poc_a, vendor_a, vendor_b, world
):
    rebuild_rollups()
    expected = stats.stratified_ppi(world["strata"])

    response = client_as(poc_a).get("/portal/", QUERY)
    assert response.status_code == 200
    accuracy = {h.metric: h for h in response.context["card"].headlines}["accuracy"]
    assert accuracy.assisted.estimate.p == pytest.approx(expected.p, abs=1e-9)
    assert "the model&#x27;s scores were worth about" in response.content.decode() or (
        "the model's scores were worth about" in response.content.decode())
    # The scoping is unchanged: another vendor's scorecard is not found for the POC.
    url = reverse("scorecards:scorecard", args=[vendor_b.slug])
    assert client_as(poc_a).get(url, QUERY).status_code == 404
    assert client_as(poc_a).get("/portal/", {**QUERY, "vendor": vendor_b.slug}).context[
        "card"].query.vendor == vendor_a


def test_each_breakdown_row_shows_its_own_assisted_interval_and_its_verdict_says_so(
    client_as, manager, vendor_a, site_a, workflow, world
):
    """One row per agent; each agent is one whole stratum here, so its AI-assisted rate is
    stratified_ppi of that stratum alone. The target's verdict reads the assisted estimate,
    and the row and its download say so."""
    rebuild_rollups()

    response = open_card(client_as(manager), vendor_a, site=site_a.slug, workflow=workflow.slug)
    card = response.context["card"]
    page = response.content.decode()

    assert card.level == "agent"
    rows = {child.name.split(" ")[0]: child for child in card.children}
    download = list(csv.DictReader(io.StringIO(client_as(manager).get(
        reverse("scorecards:scorecard", args=[vendor_a.slug]),
        {**QUERY, "site": site_a.slug, "workflow": workflow.slug, "format": "csv",
         "table": "breakdown"}).content.decode("utf-8-sig"))))
    exported = {row["agent"].split(" ")[0]: row for row in download}
    for agent, (pk, stratum) in zip(world["agents"], world["strata"].items(), strict=True):
        expected = stats.stratified_ppi({pk: stratum})
        row = rows[agent.external_id]
        assisted = row.assisted["accuracy"].estimate
        assert assisted.p == pytest.approx(expected.p, abs=1e-9)
        assert assisted.se == pytest.approx(expected.se, abs=1e-9)
        assert row.outcome.accuracy.se == pytest.approx(expected.classical_se, abs=1e-9)
        assert "critical_error_rate" in row.assisted
        assert row.basis == "AI-assisted"
        assert row.verdict == verdict(assisted, 0.80, "at_least")
        assert row.note.endswith("(on the AI-assisted estimate)")
        assert row.note in page
        assert float(exported[agent.external_id]["accuracy_assisted"]) == round(assisted.p, 4)
        assert exported[agent.external_id]["verdict"] == row.note
    assert page.count('<span class="label">AI-assisted</span>') >= 2 + 2 * len(rows)


def test_a_breakdown_row_without_scores_keeps_the_classical_estimate_alone(
    client_as, manager, vendor_a, site_a, workflow, unscored_agent
):
    response = open_card(client_as(manager), vendor_a, site=site_a.slug, workflow=workflow.slug)

    rows = {child.name.split(" ")[0]: child for child in response.context["card"].children}
    assert rows["M3"].assisted == {} and rows["M3"].basis == "classical"
    assert rows["M3"].verdict == verdict(rows["M3"].outcome.accuracy, 0.80, "at_least")
    assert rows["M1"].assisted and rows["M1"].basis == "AI-assisted"


def test_the_trends_show_the_weeks_assisted_accuracy_beside_the_classical_one(
    client_as, manager, vendor_a, world
):
    rebuild_rollups()
    expected = stats.stratified_ppi(world["strata"])  # both strata are handled in WEEK

    query = {**QUERY, "vendor": vendor_a.slug}
    response = client_as(manager).get(reverse("scorecards:trends"), query)

    assert response.status_code == 200
    weeks = {point.week: point for point in response.context["series"]}
    assisted = weeks[WEEK].assisted
    assert assisted.estimate.p == pytest.approx(expected.p, abs=1e-9)
    assert assisted.estimate.se == pytest.approx(expected.se, abs=1e-9)
    assert weeks[WEEK].accuracy.se == pytest.approx(expected.classical_se, abs=1e-9)
    assert [week for week, point in weeks.items() if point.assisted] == [WEEK]
    page = response.content.decode()
    assert 'id="assisted-weeks"' in page
    assert f"<strong>{assisted.estimate.p * 100:.1f}%</strong>" in page
    download = {row["week_start"]: row for row in csv.DictReader(io.StringIO(
        client_as(manager).get(reverse("scorecards:trends"),
                               {**query, "format": "csv", "table": "weekly"})
        .content.decode("utf-8-sig")))}
    assert float(download[WEEK.isoformat()]["accuracy_assisted"]) == round(assisted.estimate.p, 4)
    assert {row["accuracy_assisted"] for week, row in download.items()
            if week != WEEK.isoformat()} == {""}


def test_the_overview_shows_each_vendors_assisted_accuracy_and_flags_targets_on_it(
    client_as, manager, vendor_a, world
):
    """The benchmark's "all workflows" cell carries the vendor's AI-assisted accuracy, and a
    target over all workflows is flagged as the scorecard judges it: on the AI-assisted
    estimate. The critical error rate's target lies between the two lower bounds, so the
    classical estimate alone would raise a flag the assisted one does not."""
    rebuild_rollups()
    expected = stats.stratified_ppi(world["strata"])
    headlines = {h.metric: h for h in open_card(client_as(manager), vendor_a)
                 .context["card"].headlines}
    critical = headlines["critical_error_rate"]
    assert critical.estimate.low > critical.assisted.estimate.low
    maximum = round((critical.estimate.low + critical.assisted.estimate.low) / 2, 4)
    assert verdict(critical.estimate, maximum, "at_most").kind == BELOW
    assert verdict(critical.assisted.estimate, maximum, "at_most").kind != BELOW
    ContractTarget.objects.filter(vendor=vendor_a, metric="accuracy").update(
        target=Decimal("0.95"))  # missed on either estimate
    ContractTarget.objects.create(vendor=vendor_a, metric="critical_error_rate",
                                  direction="at_most", target=Decimal(str(maximum)),
                                  effective_from=dt.date(2026, 1, 1))

    response = client_as(manager).get(reverse("scorecards:overview"), QUERY)

    assert response.status_code == 200
    (row,) = response.context["overview"].benchmark.rows
    assert row.assisted.estimate.p == pytest.approx(expected.p, abs=1e-9)
    assert row.assisted.estimate.se == pytest.approx(expected.se, abs=1e-9)
    flags = [flag.text for flag in response.context["overview"].red_flags
             if flag.kind == "target"]
    (accuracy_flag,) = flags
    assert accuracy_flag.startswith(f"{vendor_a.name}: accuracy is")
    assert "(the AI-assisted estimate)" in accuracy_flag
    download = list(csv.DictReader(io.StringIO(client_as(manager).get(
        reverse("scorecards:overview"), {**QUERY, "format": "csv", "table": "benchmark"})
        .content.decode("utf-8-sig"))))
    (whole,) = [r for r in download if r["workflow"] == "All workflows"]
    assert float(whole["accuracy_assisted"]) == round(expected.p, 4)
