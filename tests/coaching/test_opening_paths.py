"""Every path to a coaching action leads to the form, filled in: from a failed audit's page,
from an error theme and its audit list, and from /coaching/new/ with nothing named, where the
manager picks the vendor, site or agent first. Vendor users never reach the form.

(The agent page's button is in tests/scorecards/test_agent_page.py.)"""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from audit_forms.models import ErrorCategory
from audits import lifecycle
from coaching import actions
from coaching.models import CoachingAction, Level
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

NEW = reverse("coaching:action_new")
POLICY = {**ALL_GOOD, "right_action": "no"}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def failed(version, auditor, workflow, site_a):
    [audit] = assigned_audits(auditor, workflow, 1, site=site_a)
    return lifecycle.submit_audit(audit, auditor, answers=POLICY)


@pytest.fixture
def passed(version, auditor, workflow, site_a):
    [audit] = assigned_audits(auditor, workflow, 1, site=site_a)
    return lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)


def coaching_button(html: str) -> str | None:
    found = re.search(r'id="open-coaching" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_new_without_parameters_offers_the_subject_picker(
    client_as, manager, vendor_a, vendor_b, site_a
):
    page = client_as(manager).get(NEW)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="coaching-subject"' in html and 'method="get"' in html
    assert "Acme Moderation" in html and vendor_b.name in html
    assert 'value="manila"' in html  # Acme's site, under Acme


def test_the_picker_leads_to_the_form_for_the_chosen_agent_and_opens_it(
    client_as, manager, vendor_a, site_a, version
):
    agent = AgentFactory(site=site_a, external_id="A7")
    client = client_as(manager)
    form = client.get(NEW, {"vendor": "acme", "site": "", "agent": "A7", "category": "procedural"})
    assert form.status_code == 200
    html = form.content.decode()
    assert "agent A7 (Manila)" in html and 'value="procedural" selected' in html
    url = f"{NEW}?vendor=acme&agent=A7&category=procedural"
    response = client.post(
        url, {"title": "Escalations", "category": "procedural", "due_date": "2026-12-01"}
    )
    action = CoachingAction.objects.get()
    assert response["Location"] == reverse("coaching:action_detail", args=[action.pk])
    assert (action.level, action.agent, action.site, action.vendor) == (
        Level.AGENT,
        agent,
        site_a,
        vendor_a,
    )
    assert not action.audits.exists()


def test_the_picker_opens_site_and_vendor_actions(client_as, manager, vendor_a, site_a, version):
    client = client_as(manager)
    for query, level in (("vendor=acme&site=manila", Level.SITE), ("vendor=acme", Level.VENDOR)):
        client.post(
            f"{NEW}?{query}",
            {"title": f"For the {level}", "category": "policy-error", "due_date": "2026-12-01"},
        )
    assert list(CoachingAction.objects.order_by("pk").values_list("level", "site")) == [
        (Level.SITE, site_a.pk),
        (Level.VENDOR, None),
    ]


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"vendor": "no-such-vendor"}, "vendor", "valid choice"),
        ({"vendor": "acme", "site": "bogota"}, "site", "not a site of Acme Moderation"),
        ({"vendor": "acme", "agent": "B1"}, "agent", "No agent 'B1' at Acme Moderation"),
        ({"site": "manila"}, "vendor", "required"),
    ],
)
def test_a_subject_that_does_not_exist_is_a_400_naming_the_field(
    client_as, manager, vendor_a, site_a, vendor_b, site_b, query, field, words
):
    AgentFactory(site=site_b, external_id="B1")  # vendor B's agent: not Acme's
    response = client_as(manager).get(NEW, query)
    assert response.status_code == 400
    errors = response.context["subject"].errors
    assert list(errors) == [field] and words in " ".join(errors[field])
    assert not CoachingAction.objects.exists()


def test_vendor_users_never_reach_the_form(client_as, poc_a, vendor_a, failed):
    client = client_as(poc_a)
    for query in ("", "?vendor=acme", "?vendor=acme&agent=A1", f"?audits={failed.pk}"):
        assert client.get(NEW + query).status_code == 404
        assert (
            client.post(
                NEW + query, {"title": "x", "category": "policy-error", "due_date": "2026-12-01"}
            ).status_code
            == 404
        )
    assert not CoachingAction.objects.exists()


def test_a_failed_audits_page_opens_coaching_from_that_audit(client_as, manager, failed, passed):
    client = client_as(manager)
    link = coaching_button(
        client.get(reverse("audits:audit_detail", args=[failed.pk])).content.decode()
    )
    assert link == f"{NEW}?audits={failed.pk}"
    assert (
        coaching_button(
            client.get(reverse("audits:audit_detail", args=[passed.pk])).content.decode()
        )
        is None
    )
    form = client.get(link).content.decode()
    assert 'value="policy-error" selected' in form and f"Audit {failed.pk}" in form
    client.post(
        link, {"title": "Wrong action", "category": "policy-error", "due_date": "2026-12-01"}
    )
    action = CoachingAction.objects.get()
    assert list(action.audits.all()) == [failed] and action.agent == failed.ticket.agent


def test_a_vendor_poc_sees_no_coaching_button_on_a_final_audit(client_as, manager, poc_a, failed):
    lifecycle.finalise_audit(failed, manager, "")
    page = client_as(poc_a).get(reverse("audits:audit_detail", args=[failed.pk]))
    assert page.status_code == 200 and coaching_button(page.content.decode()) is None


def test_an_agent_named_with_audits_of_another_agent_is_refused(manager, failed, site_a):
    other = AgentFactory(site=site_a, external_id="Z9")
    with pytest.raises(actions.CoachingError, match="not of agent Z9"):
        actions.open_action(
            manager,
            audits=[failed],
            agent=other,
            category=ErrorCategory.objects.get(slug="policy-error"),
            title="x",
            due_date=dt.date(2026, 12, 1),
        )


def test_the_list_offers_a_new_action_to_qa_only(client_as, manager, poc_a):
    assert (
        f'id="new-coaching" href="{NEW}"'
        in client_as(manager).get(reverse("coaching:action_list")).content.decode()
    )
    assert (
        'id="new-coaching"'
        not in client_as(poc_a).get(reverse("coaching:action_list")).content.decode()
    )
