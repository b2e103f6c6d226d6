"""Two-factor authentication: open to everyone, required of vendor users."""

import datetime as dt
import re

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user
from rest_framework.authtoken.models import Token

from accounts.models import Role
from tests.factories import PASSWORD, UserFactory, enrol_totp, totp_code

ACTIVATE_TOTP = "/accounts/2fa/totp/activate/"


@pytest.fixture
def poc_without_totp(vendor_a):
    return UserFactory(email="new-poc@acme.example", role=Role.VENDOR_POC, vendor=vendor_a)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/vendors/",
        "/vendors/acme/",
        "/vendors/acme/sites/manila/",
        "/vendors/workflows/",
        "/audits/tickets/",
        "/people/invite/",
    ],
)
def test_a_vendor_poc_without_totp_is_sent_to_enrol_it_from_every_page(
    client_as, poc_without_totp, site_a, path
):
    response = client_as(poc_without_totp).get(path)

    assert response.status_code == 302
    assert response["Location"] == ACTIVATE_TOTP


@pytest.mark.parametrize("path", ["/api/v1/vendors/", "/api/v1/tickets/", "/api/v1/sites/"])
def test_a_vendor_poc_without_totp_is_refused_by_the_api(client_as, poc_without_totp, path):
    response = client_as(poc_without_totp).get(path)

    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]


def test_an_api_token_is_no_way_around_two_factor(client, poc_without_totp):
    token = Token.objects.create(user=poc_without_totp)

    response = client.get("/api/v1/vendors/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]


def test_a_vendor_poc_enrols_totp_and_then_sees_their_vendor(client, poc_without_totp):
    response = client.post(
        "/accounts/login/", {"login": poc_without_totp.email, "password": PASSWORD}, follow=True
    )
    # Straight to enrolment: the password just typed is not asked for a second time.
    assert response.redirect_chain[-1][0] == ACTIVATE_TOTP
    assert response.status_code == 200
    page = response.content.decode()
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page).group(1)

    response = client.post(ACTIVATE_TOTP, {"code": totp_code(secret)}, follow=True)

    assert Authenticator.objects.filter(
        user=poc_without_totp, type=Authenticator.Type.TOTP
    ).exists()
    # The recovery codes come next, with a way on to the portal.
    assert response.redirect_chain[-1][0] == "/accounts/2fa/recovery-codes/"
    continue_link = re.search(
        r'<a [^>]*id="recovery-continue"[^>]*>([^<]*)</a>', response.content.decode()
    )
    assert continue_link, "no way on from the recovery codes"
    assert 'href="/"' in continue_link.group(0)
    assert continue_link.group(1) == "Continue to Acme Moderation's portal"
    assert client.get("/")["Location"] == "/portal/"
    assert client.get("/vendors/acme/").status_code == 200


def test_two_factor_changes_ask_for_the_password_once_the_login_is_not_fresh(
    client, poc_without_totp, time_machine
):
    time_machine.move_to(dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC), tick=False)
    client.post("/accounts/login/", {"login": poc_without_totp.email, "password": PASSWORD})
    assert client.get(ACTIVATE_TOTP).status_code == 200

    time_machine.move_to(dt.datetime(2026, 11, 18, 12, 6, tzinfo=dt.UTC), tick=False)
    response = client.get(ACTIVATE_TOTP)

    # Six minutes later (allauth's reauthentication timeout is five) the password is asked.
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert client.get(ACTIVATE_TOTP).status_code == 200


def test_with_totp_the_login_asks_for_a_code_and_refuses_a_wrong_one(client, poc_a):
    response = client.post("/accounts/login/", {"login": poc_a.email, "password": PASSWORD})

    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not get_user(client).is_authenticated

    wrong = f"{(int(totp_code(poc_a.totp_secret)) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})

    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert not get_user(client).is_authenticated
    assert client.get("/vendors/acme/")["Location"].startswith("/accounts/login/")


def test_with_totp_the_right_code_logs_the_vendor_poc_in(client, poc_a):
    client.post("/accounts/login/", {"login": poc_a.email, "password": PASSWORD})

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(poc_a.totp_secret)})

    assert response["Location"] == "/"
    assert get_user(client) == poc_a
    assert client.get("/")["Location"] == "/portal/"


def test_an_internal_user_who_enrolled_totp_is_asked_for_it_too(client, auditor):
    enrol_totp(auditor)

    response = client.post("/accounts/login/", {"login": auditor.email, "password": PASSWORD})

    assert response["Location"] == "/accounts/2fa/authenticate/"


def test_two_factor_pages_use_the_app_layout(client_as, manager):
    page = client_as(manager).get("/accounts/2fa/").content.decode()

    assert 'class="topbar"' in page
    assert "Authenticator App" in page
    assert 'class="card panel"' in page


def test_a_vendor_poc_cannot_turn_two_factor_off_but_staff_can(poc_a, auditor):
    from allauth.mfa.totp.forms import DeactivateTOTPForm

    enrol_totp(auditor)
    poc_totp, auditor_totp = (
        Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        for user in (poc_a, auditor)
    )

    assert not DeactivateTOTPForm(authenticator=poc_totp, data={}).is_valid()
    assert DeactivateTOTPForm(authenticator=auditor_totp, data={}).is_valid()
