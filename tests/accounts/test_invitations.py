"""Inviting people: the only way into the program."""

import re

import pytest
from django.contrib.auth import get_user
from django.core import mail

from accounts.models import Role, User
from tests.factories import PASSWORD

INVITE = "/people/invite/"
NEW_PASSWORD = "Tr1cky-orange-kettle"


@pytest.fixture
def invite(client_as, django_capture_on_commit_callbacks):
    """``invite(by=user, **form)`` posts the invitation form as ``user``; the email goes
    out once the new account is committed, as in production."""

    def send(by, **data):
        client = client_as(by)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(INVITE, data)

    return send


def link_in(message) -> str:
    return re.search(r"https?://\S+/accounts/password/reset/key/\S+/", message.body).group(0)


def set_password(client, link: str):
    """Follow the invitation link as its recipient would, and choose a password."""
    response = client.get(link)
    assert response.status_code == 302  # allauth moves the key into the session
    form_url = response["Location"]
    return client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})


def test_an_invited_vendor_poc_sets_a_password_logs_in_and_must_enrol_totp(
    client, client_as, manager, vendor_a, invite
):
    response = invite(
        manager,
        email="Dana@Acme.example",
        role=Role.VENDOR_POC,
        vendor=vendor_a.pk,
    )
    assert response.status_code == 302
    person = User.objects.get(email="dana@acme.example")
    assert (person.role, person.vendor) == (Role.VENDOR_POC, vendor_a)
    assert not person.has_usable_password()

    [message] = mail.outbox
    assert message.to == ["dana@acme.example"]
    assert "Vendor POC" in message.subject
    assert "manager@example.com has invited you" in message.body
    assert "Acme Moderation" in message.body
    assert "two-factor" in message.body

    client.logout()
    response = set_password(client, link_in(message))
    assert response["Location"] == "/accounts/password/reset/key/done/"

    response = client.post(
        "/accounts/login/", {"login": "dana@acme.example", "password": NEW_PASSWORD}
    )
    assert response["Location"] == "/"
    assert get_user(client) == person
    assert client.get("/")["Location"] == "/accounts/2fa/totp/activate/"
    assert client.get("/vendors/acme/")["Location"] == "/accounts/2fa/totp/activate/"


def test_an_invited_auditor_goes_straight_to_their_work(client, client_as, manager, invite):
    invite(manager, email="ana@example.com", role=Role.QA_AUDITOR)
    client.logout()

    set_password(client, link_in(mail.outbox[0]))
    client.post("/accounts/login/", {"login": "ana@example.com", "password": NEW_PASSWORD})

    assert "My numbers" in client.get("/").content.decode()
    assert client.get("/audits/queue/").status_code == 200
    assert User.objects.get(email="ana@example.com").vendor is None


def test_an_invitation_link_works_only_once(client, client_as, manager, invite):
    invite(manager, email="ana@example.com", role=Role.QA_AUDITOR)
    link = link_in(mail.outbox[0])
    client.logout()
    set_password(client, link)

    response = client.get(link)

    assert "This link has expired" in response.content.decode()


def test_a_vendor_poc_cannot_be_invited_without_a_vendor(client_as, manager, invite):
    response = invite(manager, email="x@example.com", role=Role.VENDOR_POC)

    assert "A vendor POC must be bound to one vendor." in response.content.decode()
    assert not User.objects.filter(email="x@example.com").exists()
    assert mail.outbox == []


def test_a_vendor_chosen_for_an_internal_role_is_ignored(client_as, manager, vendor_a, invite):
    invite(manager, email="ana@example.com", role=Role.QA_AUDITOR, vendor=vendor_a.pk)

    assert User.objects.get(email="ana@example.com").vendor is None


def test_someone_who_already_has_an_account_is_not_invited_again(
    client_as, manager, auditor, invite
):
    response = invite(manager, email="AUDITOR@example.com", role=Role.QA_AUDITOR)

    assert "auditor@example.com already has an account." in response.content.decode()
    assert mail.outbox == []


def test_admins_cannot_be_invited_through_the_page(client_as, manager, invite):
    response = invite(manager, email="boss@example.com", role=Role.ADMIN)

    assert response.status_code == 200
    assert not User.objects.filter(email="boss@example.com").exists()


@pytest.mark.parametrize("person", ["auditor", "poc_a"])
def test_only_managers_and_admins_may_invite(request, client_as, person, vendor_a, invite):
    person = request.getfixturevalue(person)

    assert client_as(person).get(INVITE).status_code == 403
    response = invite(person, email="sneaky@example.com", role=Role.PROGRAM_MANAGER)

    assert response.status_code == 403
    assert not User.objects.filter(email="sneaky@example.com").exists()
    assert mail.outbox == []


def test_an_admin_may_invite(client_as, db, invite):
    admin = User.objects.create_superuser(email="admin@example.com", password=PASSWORD)

    invite(admin, email="pm@example.com", role=Role.PROGRAM_MANAGER)

    assert User.objects.get(email="pm@example.com").role == Role.PROGRAM_MANAGER
    assert len(mail.outbox) == 1


def test_anonymous_visitors_are_sent_to_log_in_before_inviting(client, db):
    assert client.get(INVITE)["Location"] == f"/accounts/login/?next={INVITE}"
