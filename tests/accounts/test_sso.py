"""Single sign-on through allauth's OpenID Connect provider, end to end against a real OIDC
provider served over HTTP by a thread (tests/accounts/oidc_provider.py). The test client is
the browser: it starts the login here, follows the redirect to the provider over real HTTP,
and brings the code back; the app then calls the provider's token endpoint itself."""

from urllib.parse import urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.models import Role, User
from qa_program.settings import oidc_providers
from tests.accounts.oidc_provider import CLIENT_ID, CLIENT_SECRET, OIDCProvider
from tests.factories import UserFactory, VendorFactory, enrol_totp, sign_in

pytestmark = pytest.mark.django_db

START = "/accounts/oidc/sso/login/"


@pytest.fixture
def idp(settings):
    with OIDCProvider() as provider:
        settings.SOCIALACCOUNT_PROVIDERS = oidc_providers({
            "QA_OIDC_SERVER_URL": provider.issuer, "QA_OIDC_CLIENT_ID": CLIENT_ID,
            "QA_OIDC_CLIENT_SECRET": CLIENT_SECRET, "QA_OIDC_NAME": "Acme IdP"})
        yield provider


def sso_login(client: Client, idp: OIDCProvider, sub: str, email: str):
    """Sign in at the provider as (sub, email) and come back; returns the last response."""
    idp.person = {"sub": sub, "email": email, "name": "Sam Staff"}
    start = client.post(START)
    assert start.status_code == 302, start.content[:300]
    assert start["Location"].startswith(f"{idp.issuer}/authorize?")
    at_idp = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert at_idp.status_code == 302, at_idp.text
    back = urlsplit(at_idp.headers["Location"])
    assert back.path == "/accounts/oidc/sso/login/callback/"
    return client.get(f"{back.path}?{back.query}", follow=True)


def logged_in_user(client: Client):
    pk = client.session.get("_auth_user_id")
    return User.objects.get(pk=pk) if pk else None


def test_without_settings_there_is_no_sso_button_and_no_sso_route(settings):
    assert oidc_providers({}) == {}
    assert oidc_providers({"QA_OIDC_CLIENT_ID": "x"}) == {}
    settings.SOCIALACCOUNT_PROVIDERS = oidc_providers({})
    page = Client().get("/accounts/login/")
    assert page.status_code == 200
    assert b"data-sso" not in page.content and b"Log in with" not in page.content
    assert Client().post(START).status_code == 404


def test_with_settings_the_login_page_offers_the_idp(idp):
    page = Client().get("/accounts/login/").content.decode()
    assert 'data-sso="sso"' in page and "Log in with Acme IdP" in page


def test_first_sso_login_has_no_role_until_a_manager_gives_one(idp):
    browser = Client()
    landing = sso_login(browser, idp, "idp-42", "sam@corp.example")
    person = User.objects.get(email="sam@corp.example")
    assert logged_in_user(browser) == person
    assert (person.role, person.vendor_id, person.is_staff) == ("", None, False)
    assert not person.has_usable_password()
    assert SocialAccount.objects.get(user=person).uid == "idp-42"
    # The code went back with the PKCE verifier and the client secret.
    assert "code_verifier" in idp.token_requests[-1]
    assert landing.status_code == 403 and b"No access yet" in landing.content
    assert browser.get("/scorecards/").status_code in {403, 404}
    assert browser.get("/api/v1/tickets/").status_code == 403

    manager = UserFactory(role=Role.PROGRAM_MANAGER)
    as_manager = sign_in(Client(), manager)
    people = as_manager.get("/people/", {"q": "sam@corp.example"}).content.decode()
    assert "sam@corp.example" in people and "No role yet" in people
    given = as_manager.post(f"/people/{person.pk}/", {"role": "manager"})
    assert given.status_code == 302

    again = Client()
    home = sso_login(again, idp, "idp-42", "sam@corp.example")
    assert home.status_code == 200
    assert logged_in_user(again) == person
    assert again.get("/scorecards/").status_code == 200
    assert User.objects.filter(email="sam@corp.example").count() == 1


@pytest.mark.parametrize("email", ["poc@vendor.example", "POC@Vendor.Example"])
def test_sso_for_a_vendor_users_email_is_refused(idp, email):
    poc = UserFactory(email="poc@vendor.example", role=Role.VENDOR_POC, vendor=VendorFactory())
    users = User.objects.count()
    browser = Client()
    refused = sso_login(browser, idp, "idp-poc", email)
    assert refused.status_code == 403
    assert b"Single sign-on is not for this account" in refused.content
    assert logged_in_user(browser) is None
    assert User.objects.count() == users
    assert not SocialAccount.objects.filter(user=poc).exists()
    assert browser.get("/portal/").status_code == 302  # still anonymous: the login page


def test_sso_refused_when_the_linked_account_became_a_vendor_user(idp):
    browser = Client()
    sso_login(browser, idp, "idp-7", "later@corp.example")
    person = User.objects.get(email="later@corp.example")
    person.role, person.vendor = Role.VENDOR_POC, VendorFactory()
    person.save()
    again = Client()
    assert sso_login(again, idp, "idp-7", "renamed@corp.example").status_code == 403
    assert logged_in_user(again) is None


def test_existing_staff_account_logs_in_by_verified_email(idp):
    auditor = UserFactory(email="ann@corp.example", role=Role.QA_AUDITOR)
    browser = Client()
    assert sso_login(browser, idp, "idp-ann", "ann@corp.example").status_code == 200
    assert logged_in_user(browser) == auditor
    auditor.refresh_from_db()
    assert auditor.role == Role.QA_AUDITOR


def test_staff_with_totp_still_type_their_code_after_sso(idp):
    manager = UserFactory(email="mia@corp.example", role=Role.PROGRAM_MANAGER)
    enrol_totp(manager)
    browser = Client()
    landing = sso_login(browser, idp, "idp-mia", "mia@corp.example")
    assert landing.redirect_chain[-1][0].startswith("/accounts/2fa/authenticate/")
    assert logged_in_user(browser) is None


def test_sso_urls_count_against_the_login_rate_limit(idp, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    browser = Client()
    assert [browser.post(START).status_code for _ in range(3)] == [302, 302, 429]
    assert browser.get("/accounts/oidc/sso/login/callback/?code=x&state=y").status_code == 429
