"""A vendor POC's own audits, disputes and coaching actions in the portal, and who may open
it at all: vendor users only (internal staff have the dashboards; the portal does not exist
for them), after logging in, and never onto another vendor's objects."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from audit_forms.models import ErrorCategory
from audits.models import Dispute
from coaching.actions import open_action
from tests.conftest import answered_from_the_program
from tests.portal.conftest import MARCH_QUERY, PORTAL_PROGRAMS_OWN

# The portal world is built before any test asks for its people by name
# (``request.getfixturevalue``), which would otherwise build it inside that test's own
# transaction, rolled back at the test's end.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("program")]


(manager, auditor, workflow, vendor_a, site_a, vendor_b, site_b, poc_a,
 portal_world) = answered_from_the_program(*PORTAL_PROGRAMS_OWN)

PAGES = [
    "/portal/",
    "/portal/themes/",
    "/portal/audits/",
    "/portal/audits/export.csv",
    "/portal/disputes/",
    "/portal/coaching/",
]


def csv_rows(response) -> list[dict]:
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(content)))


def dispute_of(audit, poc) -> Dispute:
    return Dispute.objects.create(audit=audit, raised_by=poc, due_at=timezone.now())


def action_on(audit, manager, title) -> object:
    return open_action(
        manager,
        audits=[audit],
        category=ErrorCategory.objects.first(),
        title=title,
        due_date=dt.date(2026, 4, 1),
    )


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, db, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("person", ["manager", "auditor"])
def test_internal_staff_find_no_portal(request, client_as, person, path):
    assert client_as(request.getfixturevalue(person)).get(path).status_code == 404


def test_the_poc_lands_on_the_portal_and_the_menu_leads_there(client_as, poc_a):
    client = client_as(poc_a)

    assert client.get("/")["Location"] == "/portal/"
    assert 'href="/portal/">Acme Moderation portal</a>' in client.get("/portal/").content.decode()


def test_the_audit_list_holds_the_pocs_finalised_audits_only(
    client_as, poc_a, vendor_b, site_b, portal_world
):
    response = client_as(poc_a).get("/portal/audits/", MARCH_QUERY)
    page = response.content.decode()

    listed = {audit.pk for audit in response.context["page_obj"].paginator.object_list}
    assert listed == {audit.pk for audit in portal_world.a_audits}
    assert portal_world.a_submitted.pk not in listed
    for audit in portal_world.a_audits:
        assert f'href="{reverse("audits:audit_detail", args=[audit.pk])}"' in page
    for marker in portal_world.b_markers(vendor_b, site_b):
        assert marker not in page
    assert "auditor@example.com" not in page


def test_the_audit_list_filters_by_period_site_and_workflow(
    client_as, poc_a, site_a, site_b, workflow, portal_world
):
    client = client_as(poc_a)

    def count(**query):
        response = client.get("/portal/audits/", {**MARCH_QUERY, **query})
        assert response.status_code == 200
        return response.context["page_obj"].paginator.count

    assert count(site=site_a.slug, workflow=workflow.slug) == 13
    assert count(date="2026-04-01") == 0
    assert client.get("/portal/audits/", {**MARCH_QUERY, "site": site_b.slug}).status_code == 404


def test_the_audit_list_is_paginated(client_as, poc_a, portal_world, monkeypatch):
    monkeypatch.setattr("portal.views.PAGE_SIZE", 5)

    response = client_as(poc_a).get("/portal/audits/", {**MARCH_QUERY, "page": 3})

    assert len(response.context["audits"]) == 3
    assert "Page 3 of 3" in response.content.decode()


def test_the_poc_opens_a_listed_audit_but_not_one_of_another_vendor(client_as, poc_a, portal_world):
    client = client_as(poc_a)

    assert client.get(f"/audits/{portal_world.a_audits[0].pk}/").status_code == 200
    for audit in (portal_world.b_audits[0], portal_world.a_submitted):
        assert client.get(f"/audits/{audit.pk}/").status_code == 404


def test_the_export_holds_the_pocs_audits_of_the_period_and_no_auditor(
    client_as, poc_a, vendor_b, portal_world
):
    response = client_as(poc_a).get(
        "/portal/audits/export.csv", {**MARCH_QUERY, "vendor": vendor_b.slug}
    )

    rows = csv_rows(response)
    assert {int(row["audit_id"]) for row in rows} == {a.pk for a in portal_world.a_audits}
    assert {row["vendor"] for row in rows} == {"acme"}
    assert "auditor_email" not in rows[0] and "stratum" not in rows[0]
    april = client_as(poc_a).get(
        "/portal/audits/export.csv", {"period": "month", "date": "2026-04-01"}
    )
    assert csv_rows(april) == []


def test_disputes_and_coaching_list_the_pocs_own_and_hide_the_other_vendors(
    client_as, poc_a, manager, vendor_b, site_b, portal_world
):
    from tests.factories import UserFactory

    poc_b = UserFactory(email="poc@borealis.example", role="vendor_poc", vendor=vendor_b)
    mine = dispute_of(portal_world.a_audits[0], poc_a)
    theirs = dispute_of(portal_world.b_audits[0], poc_b)
    our_action = action_on(portal_world.a_audits[1], manager, "Coach Acme on escalations")
    their_action = action_on(portal_world.b_audits[1], manager, "Coach Borealis agents")
    client = client_as(poc_a)

    disputes = client.get("/portal/disputes/").content.decode()
    coaching = client.get("/portal/coaching/").content.decode()

    assert f'href="/audits/disputes/{mine.pk}/">#{mine.pk}</a>' in disputes
    assert f"/audits/disputes/{theirs.pk}/" not in disputes
    assert f'href="/coaching/{our_action.pk}/">Coach Acme on escalations</a>' in coaching
    assert their_action.title not in coaching
    for page in (disputes, coaching):
        for marker in portal_world.b_markers(vendor_b, site_b):
            assert marker not in page
    # Guessed ids of B's objects on the pages the portal links to do not exist for A's POC.
    assert client.get(f"/audits/disputes/{theirs.pk}/").status_code == 404
    assert client.get(f"/coaching/{their_action.pk}/").status_code == 404
    assert client.get(f"/audits/disputes/{mine.pk}/").status_code == 200
    assert client.get(f"/coaching/{our_action.pk}/").status_code == 200
