"""The Django admin has no login of its own: staff log in through allauth, with TOTP and
the same rate limits as everyone else."""

import pytest
from django.contrib.auth import get_user

from accounts.models import Role
from tests.factories import PASSWORD, UserFactory, enrol_totp, totp_code

ADMIN_LOGIN = "/admin/login/"
LOGIN = "/accounts/login/"
TOTP_STEP = "/accounts/2fa/authenticate/"


@pytest.fixture
def staff_with_totp(db):
    user = UserFactory(email="admin@example.com", role=Role.ADMIN, is_staff=True, is_superuser=True)
    user.totp_secret = enrol_totp(user)
    return user


def admin_form(user, password=PASSWORD) -> dict:
    return {"username": user.email, "password": password, "next": "/admin/"}


def test_the_admin_login_page_sends_visitors_to_the_one_login(client, db):
    response = client.get(ADMIN_LOGIN, {"next": "/admin/accounts/user/"})

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=%2Fadmin%2Faccounts%2Fuser%2F"


def test_a_password_posted_to_the_admin_login_opens_no_session(client, staff_with_totp):
    response = client.post(ADMIN_LOGIN, admin_form(staff_with_totp))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not get_user(client).is_authenticated
    assert client.get("/admin/").status_code == 302


def test_staff_with_totp_reach_the_admin_only_after_the_code(client, staff_with_totp):
    response = client.post(
        LOGIN, {"login": staff_with_totp.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert response["Location"] == TOTP_STEP
    assert not get_user(client).is_authenticated
    assert client.get("/admin/")["Location"].startswith(ADMIN_LOGIN)  # no admin yet

    response = client.post(TOTP_STEP, {"code": totp_code(staff_with_totp.totp_secret)})

    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_takes_no_password_guesses_and_the_login_limits_them(
    client, staff_with_totp
):
    for _ in range(10):
        response = client.post(ADMIN_LOGIN, admin_form(staff_with_totp, "guess"))
        assert response["Location"].startswith(LOGIN)
    client.post(ADMIN_LOGIN, admin_form(staff_with_totp))  # the right password, at last
    assert not get_user(client).is_authenticated

    for _ in range(5):
        client.post(LOGIN, {"login": staff_with_totp.email, "password": "guess"})
    response = client.post(LOGIN, {"login": staff_with_totp.email, "password": PASSWORD})

    assert "Too many failed login attempts" in response.content.decode()
    assert not get_user(client).is_authenticated


def test_a_vendor_poc_logged_in_is_refused_the_admin_login(client_as, poc_a):
    assert client_as(poc_a).get(ADMIN_LOGIN).status_code == 403
