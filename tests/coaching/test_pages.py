"""The coaching pages as their users meet them: QA opens actions from audits or from an error
theme and reads the report; a vendor POC lists their vendor's actions, acknowledges and
completes them, and never reaches another vendor's action, the report or the opening form."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit_forms.models import ErrorCategory
from audits import lifecycle
from coaching import actions
from coaching.models import ActionStatus, CoachingAction, Level
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits
from tests.factories import AgentFactory, SiteFactory

pytestmark = pytest.mark.django_db

POLICY = {**ALL_GOOD, "right_action": "no"}


@pytest.fixture
def policy(version):
    return ErrorCategory.objects.get(slug="policy-error")


@pytest.fixture
def scored(version, auditor, workflow, site_a):
    audits = assigned_audits(auditor, workflow, 2, site=site_a)
    return [lifecycle.submit_audit(a, auditor, answers=POLICY) for a in audits]


@pytest.fixture
def a_action(manager, scored, policy, poc_a):
    return actions.open_action(
        manager,
        audits=scored,
        category=policy,
        title="Slurs A1",
        due_date=dt.date(2020, 1, 1),
        owner=poc_a,
    )


@pytest.fixture
def b_action(manager, policy, vendor_b, site_b):
    return actions.open_action(
        manager, site=site_b, category=policy, title="Bogotá slurs", due_date=dt.date(2099, 1, 1)
    )


def step_url(action, step):
    return reverse("coaching:action_step", args=[action.pk, step])


def test_a_manager_opens_an_agent_action_from_audits(client_as, manager, scored, poc_a):
    client = client_as(manager)
    ids = ",".join(str(a.pk) for a in scored)
    url = reverse("coaching:action_new") + f"?audits={ids}"
    page = client.get(url)
    assert page.status_code == 200
    assert scored[0].ticket.agent.external_id in page.content.decode()
    response = client.post(
        url,
        {
            "title": "Wrong action on reclaimed slurs",
            "category": "policy-error",
            "owner": poc_a.pk,
            "due_date": "2026-06-01",
            "description": "See the audits.",
        },
    )
    action = CoachingAction.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "coaching:action_detail", args=[action.pk]
    )
    assert (action.level, action.agent, action.owner) == (
        Level.AGENT,
        scored[0].ticket.agent,
        poc_a,
    )
    assert set(action.audits.all()) == set(scored)


def test_a_manager_opens_a_site_action_from_an_error_theme(
    client_as, manager, site_a, workflow, policy
):
    client = client_as(manager)
    url = reverse("coaching:action_new") + (
        f"?vendor=acme&site=manila&category=policy-error&workflow={workflow.slug}"
    )
    page = client.get(url).content.decode()
    assert "site Manila" in page and 'value="policy-error" selected' in page
    client.post(
        url,
        {
            "title": "Manila: reclaimed slurs",
            "category": "policy-error",
            "workflow": workflow.slug,
            "due_date": "2026-06-01",
        },
    )
    action = CoachingAction.objects.get()
    assert (action.level, action.site, action.workflow, action.agent) == (
        Level.SITE,
        site_a,
        workflow,
        None,
    )


def test_an_owner_of_another_vendor_is_not_offered(client_as, manager, site_a, poc_b):
    response = client_as(manager).post(
        reverse("coaching:action_new") + "?vendor=acme",
        {"title": "x", "category": "policy-error", "owner": poc_b.pk, "due_date": "2026-06-01"},
    )
    assert response.status_code == 200 and not CoachingAction.objects.exists()
    assert "owner" in response.context["form"].errors


def test_the_poc_acknowledges_and_completes_and_the_manager_verifies(
    client_as, a_action, poc_a, manager
):
    client = client_as(poc_a)
    detail = client.get(reverse("coaching:action_detail", args=[a_action.pk])).content.decode()
    assert 'id="step-acknowledge"' in detail and 'id="step-verify"' not in detail
    assert manager.email not in detail  # QA's people are "QA" to the vendor
    client.post(step_url(a_action, "acknowledge"))
    client.post(step_url(a_action, "complete"), {"notes": "Two sessions with the agent."})
    assert client.post(step_url(a_action, "verify")).status_code == 403
    a_action.refresh_from_db()
    assert a_action.status == ActionStatus.COMPLETED
    client_as(manager).post(step_url(a_action, "verify"), {"text": "Session log checked."})
    a_action.refresh_from_db()
    assert (a_action.status, a_action.verification_note) == (
        ActionStatus.VERIFIED,
        "Session log checked.",
    )


def test_a_poc_reaches_nothing_of_another_vendor_nor_the_internal_pages(
    client_as, a_action, b_action, poc_a
):
    client = client_as(poc_a)
    listing = client.get(reverse("coaching:action_list"), {"vendor": "borealis"})
    assert listing.status_code == 200 and "Bogotá" not in listing.content.decode()
    mine = client.get(reverse("coaching:action_list")).content.decode()
    assert "Slurs A1" in mine and "Bogotá" not in mine
    assert client.get(reverse("coaching:action_detail", args=[b_action.pk])).status_code == 404
    for step in ("acknowledge", "complete"):
        assert client.post(step_url(b_action, step), {"notes": "x"}).status_code == 404
    assert client.get(reverse("coaching:report")).status_code == 404
    assert client.get(reverse("coaching:action_new") + "?vendor=acme").status_code == 404
    b_action.refresh_from_db()
    assert b_action.status == ActionStatus.OPEN


def test_the_list_filters_by_status_vendor_and_overdue_and_flags_overdue(
    client_as, manager, a_action, b_action
):
    client = client_as(manager)

    def titles(**query):
        response = client.get(reverse("coaching:action_list"), query)
        return [action.title for action, _ in response.context["rows"]]

    assert titles() == ["Slurs A1", "Bogotá slurs"]
    assert titles(vendor="borealis") == ["Bogotá slurs"]
    assert titles(overdue="1") == ["Slurs A1"]
    actions.acknowledge(b_action, manager)
    assert titles(status="acknowledged") == ["Bogotá slurs"]
    page = client.get(reverse("coaching:action_list")).content.decode()
    assert page.count(">overdue</span>") == 1


def test_the_list_page_reads_a_fixed_number_of_queries(client_as, manager, policy, vendor_a, poc_a):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("coaching:action_list")).status_code == 200
        return len(queries)

    client = client_as(manager)
    actions.open_action(
        manager,
        vendor=vendor_a,
        category=policy,
        title="One",
        due_date=dt.date(2026, 6, 1),
        owner=poc_a,
    )
    few = count()
    for n in range(12):
        site = SiteFactory(vendor=vendor_a)
        CoachingAction.objects.create(
            vendor=vendor_a,
            level=Level.AGENT,
            site=site,
            agent=AgentFactory(site=site),
            category=policy,
            title=f"Action {n}",
            opened_by=manager,
            owner=poc_a,
            due_date=dt.date(2026, 6, 1),
        )
    assert count() == few <= 6
    poc_client = client_as(poc_a)
    with CaptureQueriesContext(connection) as queries:
        assert poc_client.get(reverse("coaching:action_list")).status_code == 200
    assert len(queries) <= few + 1


def test_the_detail_shows_effectiveness_and_source_audits(client_as, manager, a_action, scored):
    page = client_as(manager).get(reverse("coaching:action_detail", args=[a_action.pk]))
    html = page.content.decode()
    assert page.context["effect"].verdict == "not completed yet"
    assert "not completed yet" in html and "too few audits" in html
    assert all(f"Audit {a.pk}" in html for a in scored)
    assert 'id="step-cancel"' in html and 'id="step-acknowledge"' in html


def test_the_report_lists_repeat_offenders(client_as, manager, scored, policy, poc_a):
    for title in ("First", "Second"):
        action = actions.open_action(
            manager, audits=scored, category=policy, title=title, due_date=dt.date(2026, 6, 1)
        )
    actions.complete(action, poc_a, "Coached.")
    page = client_as(manager).get(reverse("coaching:report"))
    assert [a.title for a, _ in page.context["rows"]] == ["Second"]
    offenders = page.context["offenders"]
    assert [(o.agent, o.actions) for o in offenders] == [(scored[0].ticket.agent, 2)]
    assert scored[0].ticket.agent.external_id in page.content.decode()
