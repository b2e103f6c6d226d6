"""A program manager, and a vendor POC on their portal, compare the vendor's manual decisions
with its automated ones (the seed's "manual and automated processes"): each kind is a domain
of the sample runs' strata, estimated like every scorecard rate, with the difference in
accuracy and its interval. Expected numbers come from ``stats.domain_proportion`` on the counts
the test built, independently of the rollups."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from audits.lifecycle import reopen_audit, submit_audit
from audits.models import Audit
from rollups.models import PendingRefresh
from rollups.writer import flush_pending
from sampling import stats
from sampling.models import SampleStratum
from tests.audits.workspace_helpers import ALL_GOOD, published_form, sample_run
from tests.factories import AgentFactory, SiteFactory
from tests.rollups.rollup_helpers import sampled_audits
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

MARCH = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
QUERY = {"period": "month", "date": "2026-03-01"}
FAILED = {**ALL_GOOD, "escalation": "missed", "policy_cited": "fail"}
POPULATION = 400


def audited_stratum(auditor, workflow, agent, outcomes: list[tuple[bool, bool]]) -> int:
    """A stratum of POPULATION tickets of which one audit per (automated, passed) in
    ``outcomes`` was sampled and scored; returns the stratum's id."""
    audits = sampled_audits(sample_run(f"Plan of {agent.external_id}"), auditor, workflow, agent,
                            [MARCH + dt.timedelta(minutes=i) for i in range(len(outcomes))])
    for audit, (automated, passed) in zip(audits, outcomes, strict=True):
        audit.ticket.automated = automated
        audit.ticket.save(update_fields=["automated"])
        submit_audit(audit, auditor, answers=ALL_GOOD if passed else FAILED)
    stratum = audits[0].sampled_ticket.stratum_id
    SampleStratum.objects.filter(pk=stratum).update(population=POPULATION)
    return stratum


@pytest.fixture
def decisions(manager, auditor, workflow, site_a, vendor_b):
    """Acme's March stratum: 12 manual decisions (3 failed) and 14 automated (9 failed);
    Borealis, another vendor, has automated decisions of its own that must not count."""
    published_form(workflow, by=manager)
    outcomes = ([(False, True)] * 9 + [(False, False)] * 3
                + [(True, True)] * 5 + [(True, False)] * 9)
    stratum = audited_stratum(auditor, workflow, AgentFactory(site=site_a), outcomes)
    other = SiteFactory(vendor=vendor_b, name="Bogotá", slug="bogota")
    audited_stratum(auditor, workflow, AgentFactory(site=other), [(True, False)] * 10)
    flush_pending()  # the rollups' flush after the submissions
    return stratum


def test_the_scorecard_compares_manual_with_automated_decisions(
    decisions, client_as, manager, vendor_a
):
    response = client_as(manager).get(reverse("scorecards:scorecard", args=[vendor_a.slug]), QUERY)

    card = response.context["card"]
    manual = stats.domain_proportion({decisions: (POPULATION, 26, 12, 9)})
    automated = stats.domain_proportion({decisions: (POPULATION, 26, 14, 5)})
    assert (card.decisions.manual.audits, card.decisions.automated.audits) == (12, 14)
    for got, want in ((card.decisions.manual.accuracy, manual),
                      (card.decisions.automated.accuracy, automated)):
        for name in ("p", "low", "high"):
            assert getattr(got, name) == pytest.approx(getattr(want, name), abs=1e-12)
    comparison = stats.compare_estimates(automated, manual)
    assert card.decisions.comparison.difference == pytest.approx(comparison.difference)
    assert card.decisions.comparison.significant == comparison.significant
    page = response.content.decode()
    assert 'id="decisions-table"' in page and "Automated decisions" in page
    assert "Automated against manual decisions: accuracy -39.3 pts" in page


def test_the_vendor_poc_sees_their_own_split_on_the_portal(decisions, client_as, poc_a):
    response = client_as(poc_a).get("/portal/", QUERY)

    card = response.context["card"]
    assert (card.decisions.manual.audits, card.decisions.automated.audits) == (12, 14)
    assert 'id="decisions-table"' in response.content.decode()


def test_a_scope_without_automated_decisions_shows_no_split(
    manager, auditor, workflow, site_a, vendor_a, client_as
):
    published_form(workflow, by=manager)
    audited_stratum(auditor, workflow, AgentFactory(site=site_a), [(False, True)] * 12)
    flush_pending()

    response = client_as(manager).get(reverse("scorecards:scorecard", args=[vendor_a.slug]), QUERY)

    assert response.context["card"].decisions is None
    assert 'id="decisions"' not in response.content.decode()


def test_the_split_downloads_with_the_pages_numbers(decisions, client_as, manager, vendor_a):
    url = reverse("scorecards:scorecard", args=[vendor_a.slug])
    client = client_as(manager)
    card = client.get(url, QUERY).context["card"]

    response = client.get(url, {**QUERY, "format": "csv", "table": "decisions"})

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["decisions"] for row in rows] == ["Manual decisions", "Automated decisions"]
    manual, automated = rows
    assert manual["audits"] == "12" and automated["audits"] == "14"
    assert float(manual["accuracy"]) == pytest.approx(card.decisions.manual.accuracy.p, abs=1e-4)
    assert float(automated["accuracy_difference"]) == pytest.approx(
        card.decisions.comparison.difference, abs=1e-4)
    assert automated["significant"] == "yes" and manual["accuracy_difference"] == ""


def test_the_split_is_read_live_and_counts_only_what_the_cells_count(
    decisions, client_as, manager, vendor_a, auditor
):
    """The scorecard is cached under the rollups' version, the split is not: a ticket pushed
    again as a manual decision moves at once. An audit waiting for the rollups' flush is left
    out until the flush counts it in its stratum's n_h (with it, the stratum would count more
    of the domain's audits than its n_h)."""
    url = reverse("scorecards:scorecard", args=[vendor_a.slug])
    client = client_as(manager)
    assert client.get(url, QUERY).context["card"].decisions.automated.audits == 14

    ticket = Ticket.objects.filter(automated=True, agent__site__vendor=vendor_a).first()
    Ticket.objects.filter(pk=ticket.pk).update(automated=False)
    card = client.get(url, QUERY).context["card"]
    assert (card.decisions.manual.audits, card.decisions.automated.audits) == (13, 13)

    reopened = Audit.objects.get(ticket=ticket)
    reopen_audit(reopened, manager, "Look again.")
    submit_audit(reopened, auditor, answers=ALL_GOOD)
    assert PendingRefresh.objects.filter(audit_id=reopened.pk).exists()
    assert client.get(url, QUERY).context["card"].decisions.manual.audits == 12
    flush_pending()
    assert client.get(url, QUERY).context["card"].decisions.manual.audits == 13
