"""The People page: a program manager sees everyone (role, vendor, two-factor, last login,
active), changes someone's role, deactivates and reactivates them, and sends an invitation
again; each change is in the history. Vendor users and auditors never get in."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PEOPLE = "/people/"


def person_url(person, action=""):
    return f"/people/{person.pk}/{action + '/' if action else ''}"


def rows_of(page: str) -> dict[str, str]:
    """The people table as {email: the rest of the row's text}."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)[1:]:
        email, *rest = re.sub(r"<[^>]+>", " ", row).split()
        rows[email] = " ".join(rest)
    return rows


@pytest.fixture
def newcomer(db):
    """Invited, never logged in."""
    return UserFactory(email="newcomer@example.com", role=Role.QA_AUDITOR)


def test_the_manager_sees_everyone_with_role_vendor_two_factor_and_last_login(
    client_as, manager, auditor, poc_a, newcomer
):
    auditor.last_login = dt.datetime(2026, 11, 17, 8, 45, tzinfo=dt.UTC)
    auditor.save(update_fields=["last_login"])
    UserFactory(email="gone@example.com", is_active=False)

    response = client_as(manager).get(PEOPLE)

    assert response.status_code == 200
    rows = rows_of(response.content.decode())
    assert rows["poc@acme.example"] == "Vendor POC Acme Moderation Yes never Active"
    assert rows["auditor@example.com"] == "QA auditor – No 17 Nov 2026 08:45 Active"
    assert rows["newcomer@example.com"].endswith("No never Active")
    assert rows["gone@example.com"].endswith("Deactivated")
    assert "(you)" in rows["manager@example.com"]


def test_the_people_list_filters_by_role_status_and_email(client_as, manager, auditor, poc_a):
    client = client_as(manager)
    only_pocs = client.get(PEOPLE, {"role": "vendor_poc"}).content.decode()
    assert "poc@acme.example" in only_pocs and "auditor@example.com" not in only_pocs
    by_email = client.get(PEOPLE, {"q": "auditor"}).content.decode()
    assert "auditor@example.com" in by_email and "poc@acme.example" not in by_email
    bad = client.get(PEOPLE, {"role": "overlord"})
    assert bad.status_code == 400
    assert "<strong>Role</strong>: Select a valid choice" in bad.content.decode()
    assert client.get(PEOPLE, {"q": "a\x00b"}).status_code == 400


def test_a_manager_makes_an_auditor_a_vendor_poc_of_one_vendor_and_it_is_in_the_history(
    client_as, manager, auditor, vendor_a
):
    response = client_as(manager).post(
        person_url(auditor), {"role": "vendor_poc", "vendor": vendor_a.pk}
    )

    assert response.status_code == 302
    auditor.refresh_from_db()
    assert (auditor.role, auditor.vendor) == (Role.VENDOR_POC, vendor_a)
    page = client_as(manager).get(person_url(auditor)).content.decode()
    assert (
        "manager@example.com · auditor@example.com: Role: QA auditor → Vendor POC "
        "(Acme Moderation)" in page
    )
    assert (
        "Role: QA auditor → Vendor POC (Acme Moderation)"
        in client_as(manager).get(PEOPLE).content.decode()
    )


def test_a_vendor_role_needs_a_vendor_and_an_internal_role_none(
    client_as, manager, auditor, poc_a, vendor_a
):
    client = client_as(manager)
    response = client.post(person_url(auditor), {"role": "vendor_poc", "vendor": ""})
    assert response.status_code == 400
    assert (
        "<strong>Vendor</strong>: A vendor POC must be bound to one vendor."
        in response.content.decode()
    )

    response = client.post(person_url(poc_a), {"role": "auditor", "vendor": vendor_a.pk})
    assert response.status_code == 400
    assert (
        "<strong>Vendor</strong>: Only vendor POCs belong to a vendor" in response.content.decode()
    )

    response = client.post(person_url(auditor), {"role": "admin"})
    assert response.status_code == 400 and "<strong>Role</strong>" in response.content.decode()

    auditor.refresh_from_db(), poc_a.refresh_from_db()
    assert (auditor.role, poc_a.role, poc_a.vendor) == (Role.QA_AUDITOR, Role.VENDOR_POC, vendor_a)

    assert client.post(person_url(poc_a), {"role": "auditor", "vendor": ""}).status_code == 302
    poc_a.refresh_from_db()
    assert (poc_a.role, poc_a.vendor) == (Role.QA_AUDITOR, None)


def test_a_manager_deactivates_and_reactivates_someone_but_not_themselves(
    client_as, client, manager, auditor
):
    client = client_as(manager)
    assert client.post(person_url(auditor, "active"), {"active": "no"}).status_code == 302
    auditor.refresh_from_db()
    assert not auditor.is_active
    history = client.get(person_url(auditor)).content.decode()
    assert "auditor@example.com: Deactivated" in history

    assert client.post(person_url(auditor, "active"), {"active": "yes"}).status_code == 302
    auditor.refresh_from_db()
    assert auditor.is_active

    refused = client.post(person_url(manager, "active"), {"active": "no"})
    assert refused.status_code == 400
    assert "You cannot change your own account here" in refused.content.decode()
    manager.refresh_from_db()
    assert manager.is_active
    assert client.post(person_url(manager), {"role": "auditor"}).status_code == 400
    assert client.post(person_url(auditor, "active"), {"active": "maybe"}).status_code == 400
    assert client.get(person_url(auditor, "active")).status_code == 405


def test_a_deactivated_persons_session_ends(client_as, manager, auditor, client):
    auditor_client = client_as(auditor)
    assert auditor_client.get("/audits/queue/").status_code == 200
    User.objects.filter(pk=auditor.pk).update(is_active=False)
    response = auditor_client.get("/audits/queue/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_manager_sends_an_invitation_again_to_someone_who_never_logged_in(
    client_as, manager, newcomer, auditor, django_capture_on_commit_callbacks
):
    client = client_as(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(person_url(newcomer, "invitation"))
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["newcomer@example.com"]
    assert "manager@example.com has invited you" in message.body
    assert "/accounts/password/reset/key/" in message.body
    assert "Invitation sent again" in client.get(person_url(newcomer)).content.decode()

    auditor.last_login = dt.datetime(2026, 11, 17, 8, 45, tzinfo=dt.UTC)
    auditor.save(update_fields=["last_login"])
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(person_url(auditor, "invitation"))
    assert refused.status_code == 400 and "has already logged in" in refused.content.decode()
    assert len(mail.outbox) == 1


def test_admins_are_left_to_the_django_admin(client_as, manager):
    admin = User.objects.create_superuser(email="root@example.com", password="x")
    response = client_as(manager).post(person_url(admin, "active"), {"active": "no"})
    assert response.status_code == 400 and "Django admin" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_vendor_users_find_no_people_pages_and_auditors_are_refused(
    client_as, poc_a, auditor, newcomer
):
    urls = [
        PEOPLE,
        person_url(newcomer),
        person_url(newcomer, "active"),
        person_url(newcomer, "invitation"),
    ]
    for url in urls:
        assert client_as(poc_a).get(url).status_code == 404, url
        assert client_as(poc_a).post(url, {"active": "no", "role": "manager"}).status_code == 404
        assert client_as(auditor).get(url).status_code == 403, url
        assert client_as(auditor).post(url, {"active": "no", "role": "manager"}).status_code == 403
    newcomer.refresh_from_db()
    assert newcomer.is_active and newcomer.role == Role.QA_AUDITOR and not mail.outbox


def test_every_action_needs_the_csrf_token(manager, newcomer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(person_url(newcomer, "active"), {"active": "no"}).status_code == 403
    assert client.post(person_url(newcomer), {"role": "manager"}).status_code == 403
    newcomer.refresh_from_db()
    assert newcomer.is_active and newcomer.role == Role.QA_AUDITOR


def test_the_navigation_leads_managers_to_disputes_targets_and_people_and_no_one_else(
    client_as, manager, auditor, poc_a
):
    links = (
        'href="/audits/disputes/">Disputes',
        'href="/vendors/targets/">Targets',
        'href="/people/">People',
    )
    as_manager = client_as(manager).get("/vendors/").content.decode()
    assert all(link in as_manager for link in links)
    as_auditor = client_as(auditor).get("/vendors/").content.decode()
    assert [link in as_auditor for link in links] == [True, False, False]
    portal = client_as(poc_a).get("/portal/")
    assert portal.status_code == 200 and "Acme Moderation portal" in portal.content.decode()
    assert not any(link in portal.content.decode() for link in links)


def test_the_people_list_costs_the_same_queries_for_many_people(client_as, manager, vendor_a):
    client = client_as(manager)

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PEOPLE).status_code == 200
        return len(captured)

    queries_for_list()  # the first asks for the user content type once per process
    few = queries_for_list()
    for n in range(5):
        UserFactory(email=f"poc{n}@acme.example", role=Role.VENDOR_POC, vendor=vendor_a)
    assert queries_for_list() == few
