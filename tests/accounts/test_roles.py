"""Roles: who is bound to a vendor, where each person lands, what strangers get."""

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Role, User
from tests.factories import UserFactory


def test_a_vendor_poc_must_be_bound_to_a_vendor(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="loose@example.com", role=Role.VENDOR_POC, vendor=None)


@pytest.mark.parametrize("role", [Role.QA_AUDITOR, Role.PROGRAM_MANAGER, Role.ADMIN])
def test_internal_staff_cannot_be_bound_to_a_vendor(vendor_a, role):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="bound@example.com", role=role, vendor=vendor_a)


def test_the_manager_home_is_the_program_overview(client_as, manager):
    response = client_as(manager).get("/")

    assert response.status_code == 200
    assert "scorecards/overview.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert "<h1>Program overview</h1>" in page
    assert "Vendors side by side" in page


def test_an_auditor_lands_on_their_own_work(client_as, auditor):
    response = client_as(auditor).get("/")

    assert response.status_code == 200
    assert "audits/workspace/home.html" in [t.name for t in response.templates]
    assert 'href="/audits/queue/"' in response.content.decode()


def test_a_vendor_poc_lands_on_the_portal(client_as, poc_a):
    response = client_as(poc_a).get("/")

    assert response.status_code == 302
    assert response["Location"] == "/portal/"


def test_someone_without_a_role_is_told_so(client_as, db):
    nobody = UserFactory(email="nobody@example.com", role="")

    response = client_as(nobody).get("/")

    assert response.status_code == 403
    assert "no role" in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/vendors/", "/vendors/acme/", "/audits/tickets/"])
def test_anonymous_visitors_are_sent_to_log_in(client, vendor_a, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


@pytest.mark.parametrize("path", ["/api/v1/vendors/", "/api/v1/tickets/", "/api/v1/agents/"])
def test_anonymous_api_calls_are_refused(client, db, path):
    assert client.get(path).status_code in {401, 403}


def test_a_vendor_poc_can_never_be_staff(poc_a):
    """The admin is not scoped by vendor: the database refuses to let a vendor user in."""
    from django.db import IntegrityError, transaction

    poc_a.is_staff = True
    with pytest.raises(IntegrityError), transaction.atomic():
        poc_a.save()
