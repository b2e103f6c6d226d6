"""A vendor's own sign-in: a manager points one vendor at its company's OpenID Connect IdP,
and that vendor's people sign in through it. End to end against real OIDC providers served
over HTTP by threads (tests/accounts/oidc_provider.py), one per company, each with its own
registered client; the test client plays the browser between the app and the IdP."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts import vendor_sso
from accounts.models import Role, User, VendorIdentityProvider
from accounts.outbound import secret_may_travel_to
from qa_program.settings import oidc_providers
from tests.accounts.oidc_provider import CLIENT_ID, CLIENT_SECRET, OIDCProvider
from tests.factories import PASSWORD, UserFactory, enrol_totp, sign_in, totp_code

pytestmark = pytest.mark.django_db

ACME_CLIENT, ACME_SECRET = "acme-portal", "acme-client-secret-9f2"
BOREALIS_CLIENT, BOREALIS_SECRET = "borealis-portal", "borealis-client-secret-41c"


@pytest.fixture(scope="module")
def acme_server():
    with OIDCProvider(ACME_CLIENT, ACME_SECRET) as provider:
        yield provider


@pytest.fixture(scope="module")
def borealis_server():
    with OIDCProvider(BOREALIS_CLIENT, BOREALIS_SECRET) as provider:
        yield provider


def configure(vendor, server, by, secret, domains, **flags) -> VendorIdentityProvider:
    idp = VendorIdentityProvider(
        vendor=vendor,
        issuer_url=server.issuer,
        client_id=server.client_id,
        email_domains=domains,
        **flags,
    )
    return vendor_sso.save_identity_provider(idp, by, secret=secret)


@pytest.fixture
def acme_idp(vendor_a, manager, acme_server):
    return configure(vendor_a, acme_server, manager, ACME_SECRET, ["acme.example"])


def company_sign_in(
    client: Client, server: OIDCProvider, sub: str, email: str, typed: str | None = None
):
    """Type ``typed`` (default ``email``) on the company sign-in form, sign in at the IdP
    the app sends the browser to as (sub, email), and come back; the last response."""
    server.person = {"sub": sub, "email": email, "name": "Vera Vendor"}
    start = client.post("/accounts/company/", {"email": typed or email})
    assert start.status_code == 302, start.content[:400]
    assert start["Location"].startswith(f"{server.issuer}/authorize?")
    assert parse_qs(urlsplit(start["Location"]).query)["login_hint"] == [typed or email]
    at_idp = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert at_idp.status_code == 302, at_idp.text
    back = urlsplit(at_idp.headers["Location"])
    return client.get(f"{back.path}?{back.query}", follow=True)


def logged_in_user(client: Client):
    pk = client.session.get("_auth_user_id")
    return User.objects.get(pk=pk) if pk else None


def test_a_manager_sets_up_a_vendors_idp_and_its_secret_is_never_shown_again(
    vendor_a, manager, acme_server
):
    browser = sign_in(Client(), manager)
    url = f"/vendors/{vendor_a.slug}/sign-in/"
    assert f'href="{url}"' in browser.get(f"/vendors/{vendor_a.slug}/").content.decode()
    form = {
        "issuer_url": acme_server.issuer,
        "client_id": ACME_CLIENT,
        "client_secret": ACME_SECRET,
        "domains": "Acme.example, @ops.acme.example",
        "enabled": "on",
        "reason": "Acme moves to its own login",
    }
    saved = browser.post(url, form)
    assert saved.status_code == 302

    idp = VendorIdentityProvider.objects.get(vendor=vendor_a)
    assert idp.email_domains == ["acme.example", "ops.acme.example"]
    assert ACME_SECRET not in idp.client_secret  # encrypted at rest
    assert vendor_sso.unseal(idp.client_secret) == ACME_SECRET
    page = browser.get(url).content.decode()
    assert ACME_SECRET not in page
    assert "A client secret is stored" in page
    assert f"/accounts/oidc/vendor-{vendor_a.pk}/login/callback/" in page
    assert "Acme moves to its own login" in page and manager.email in page

    # Saving without a secret keeps the stored one; the change is kept in the history.
    edited = browser.post(
        url,
        {
            **form,
            "client_secret": "",
            "domains": "acme.example",
            "required": "on",
            "reason": "only the main domain",
        },
    )
    assert edited.status_code == 302
    idp.refresh_from_db()
    assert vendor_sso.unseal(idp.client_secret) == ACME_SECRET
    assert (idp.email_domains, idp.required) == (["acme.example"], True)
    history = browser.get(url).content.decode()
    history = history[history.index('id="history"') :]
    assert "only the main domain" in history
    assert "<del>acme.example, ops.acme.example</del>" in history
    assert ACME_SECRET not in history

    # A bad form is refused field by field, and the typed secret is not echoed back.
    bad = browser.post(
        url,
        {
            **form,
            "issuer_url": "http://login.acme.example",
            "domains": "acme.example, not a domain",
        },
    )
    assert bad.status_code == 400
    assert "Use https" in bad.content.decode() and "not a domain" in bad.content.decode()
    assert ACME_SECRET not in bad.content.decode()


def test_one_domain_routes_to_one_vendors_idp(acme_idp, vendor_b, manager):
    browser = sign_in(Client(), manager)
    taken = browser.post(
        f"/vendors/{vendor_b.slug}/sign-in/",
        {
            "issuer_url": "https://login.borealis.example",
            "client_id": "b",
            "client_secret": "x",
            "domains": "borealis.example, acme.example",
            "enabled": "on",
        },
    )
    assert taken.status_code == 400
    assert "acme.example already signs in through Acme Moderation" in taken.content.decode()
    assert not VendorIdentityProvider.objects.filter(vendor=vendor_b).exists()


def test_only_managers_see_the_idp_settings_other_vendors_users_get_404(
    acme_idp, vendor_a, poc_a, poc_b, auditor
):
    url = f"/vendors/{vendor_a.slug}/sign-in/"
    for vendor_user in (poc_b, poc_a):
        browser = sign_in(Client(), vendor_user)
        assert browser.get(url).status_code == 404
        assert (
            browser.post(
                url,
                {
                    "issuer_url": "https://evil.example",
                    "client_id": "x",
                    "client_secret": "y",
                    "domains": "acme.example",
                },
            ).status_code
            == 404
        )
    assert sign_in(Client(), auditor).get(url).status_code == 403
    assert Client().get(url).status_code == 302
    acme_idp.refresh_from_db()
    assert acme_idp.client_id == ACME_CLIENT
    assert (
        b"Company sign-in" not in sign_in(Client(), poc_a).get(f"/vendors/{vendor_a.slug}/").content
    )


def test_a_vendor_poc_signs_in_through_their_vendors_idp_then_types_their_code(
    acme_idp, acme_server, poc_a, vendor_a
):
    login_page = Client().get("/accounts/login/").content.decode()
    assert "data-company-sign-in" in login_page and "Sign in with your company" in login_page
    assert 'href="/accounts/company/"' in login_page
    browser = Client()
    landing = company_sign_in(browser, acme_server, "acme-77", "poc@acme.example")
    # Not trusted for two-factor: the local TOTP code is still asked.
    assert landing.redirect_chain[-1][0].startswith("/accounts/2fa/authenticate/")
    assert logged_in_user(browser) is None
    done = browser.post(
        "/accounts/2fa/authenticate/", {"code": totp_code(poc_a.totp_secret)}, follow=True
    )
    assert done.redirect_chain[-1][0] == "/portal/"
    assert logged_in_user(browser) == poc_a
    assert SocialAccount.objects.get(user=poc_a).provider == f"vendor-{vendor_a.pk}"
    poc_a.refresh_from_db()
    assert (poc_a.role, poc_a.vendor_id) == (Role.VENDOR_POC, vendor_a.pk)


def test_an_idp_trusted_for_two_factor_stands_for_totp(acme_idp, acme_server, vendor_a):
    analyst = UserFactory(email="ana@acme.example", role=Role.VENDOR_QA_ANALYST, vendor=vendor_a)
    # Invited, so the address is verified here and the IdP login keeps the password (allauth
    # wipes it when an IdP logs in an account whose address was never verified).
    EmailAddress.objects.create(user=analyst, email=analyst.email, primary=True, verified=True)
    acme_idp.trusted_for_mfa = True
    acme_idp.save()
    browser = Client()
    landing = company_sign_in(browser, acme_server, "acme-8", "ana@acme.example")
    assert landing.status_code == 200 and landing.redirect_chain[-1][0] == "/portal/"
    assert logged_in_user(browser) == analyst
    # No TOTP enrolment is forced on this session; a password login still needs it.
    assert browser.get("/portal/").status_code == 200
    by_password = Client()
    by_password.post("/accounts/login/", {"login": analyst.email, "password": PASSWORD})
    assert by_password.get("/portal/")["Location"] == "/accounts/2fa/totp/activate/"


def test_just_in_time_users_are_the_vendors_least_role_only_when_allowed(
    acme_idp, acme_server, vendor_a
):
    refused = company_sign_in(Client(), acme_server, "acme-new", "new@acme.example")
    assert refused.status_code == 403
    assert "has no account here yet" in refused.content.decode()
    assert not User.objects.filter(email="new@acme.example").exists()

    acme_idp.create_users = True
    acme_idp.save()
    browser = Client()
    company_sign_in(browser, acme_server, "acme-new", "new@acme.example")
    person = User.objects.get(email="new@acme.example")
    assert (person.role, person.vendor_id) == (Role.VENDOR_QA_ANALYST, vendor_a.pk)
    assert not person.has_usable_password() and not person.is_staff
    assert logged_in_user(browser) == person
    assert browser.get("/portal/")["Location"] == "/accounts/2fa/totp/activate/"


@pytest.mark.parametrize("case", ["other vendor's user", "other vendor's domain", "staff"])
def test_an_identity_from_vendor_as_idp_never_signs_in_anyone_else(
    case, acme_idp, acme_server, vendor_b, poc_b
):
    acme_idp.create_users = True
    acme_idp.save()
    email = {
        "other vendor's user": "moved@acme.example",
        "other vendor's domain": "poc@borealis.example",
        "staff": "lead@acme.example",
    }[case]
    if case == "other vendor's user":
        UserFactory(email=email, role=Role.VENDOR_POC, vendor=vendor_b)
    if case == "staff":
        UserFactory(email=email, role=Role.PROGRAM_MANAGER)
    users = User.objects.count()
    browser = Client()
    refused = company_sign_in(
        browser, acme_server, f"acme-{case}", email, typed="someone@acme.example"
    )
    assert refused.status_code == 403, refused.redirect_chain
    assert "Company sign-in refused" in refused.content.decode()
    assert logged_in_user(browser) is None
    assert User.objects.count() == users
    assert not SocialAccount.objects.exists()


def test_a_linked_identity_stops_working_when_its_account_moves_to_another_vendor(
    acme_idp, acme_server, vendor_a, vendor_b
):
    acme_idp.trusted_for_mfa = True
    acme_idp.save()
    person = UserFactory(email="vic@acme.example", role=Role.VENDOR_POC, vendor=vendor_a)
    assert logged_in_user(_signed_in(acme_server, "acme-vic", "vic@acme.example")) == person
    person.vendor = vendor_b
    person.save()
    assert logged_in_user(_signed_in(acme_server, "acme-vic", "vic@acme.example")) is None


def _signed_in(server, sub, email) -> Client:
    browser = Client()
    company_sign_in(browser, server, sub, email)
    return browser


def test_the_staff_idp_still_refuses_vendor_users_of_a_vendor_with_an_idp(
    acme_idp, poc_a, settings
):
    with OIDCProvider() as staff:
        settings.SOCIALACCOUNT_PROVIDERS = oidc_providers(
            {
                "QA_OIDC_SERVER_URL": staff.issuer,
                "QA_OIDC_CLIENT_ID": CLIENT_ID,
                "QA_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            }
        )
        staff.person = {"sub": "corp-1", "email": poc_a.email}
        browser = Client()
        start = browser.post("/accounts/oidc/sso/login/")
        back = urlsplit(
            requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"]
        )
        refused = browser.get(f"{back.path}?{back.query}", follow=True)
    assert refused.status_code == 403
    assert logged_in_user(browser) is None
    # Vendor IdPs are hidden from the login page's provider buttons: only the staff one.
    assert Client().get("/accounts/login/").content.decode().count("data-sso=") == 1


def test_vendor_bs_idp_cannot_be_used_for_acme_addresses(
    acme_idp, borealis_server, vendor_b, manager, poc_a
):
    configure(
        vendor_b, borealis_server, manager, BOREALIS_SECRET, ["borealis.example"], create_users=True
    )
    borealis_server.person = {"sub": "b-1", "email": poc_a.email}
    browser = Client()
    start = browser.post(f"/accounts/oidc/vendor-{vendor_b.pk}/login/")
    assert start["Location"].startswith(borealis_server.issuer)
    back = urlsplit(
        requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"]
    )
    refused = browser.get(f"{back.path}?{back.query}", follow=True)
    assert refused.status_code == 403
    assert "may only sign in addresses at borealis.example" in refused.content.decode()
    assert logged_in_user(browser) is None


def test_a_required_idp_refuses_password_logins_and_says_why(acme_idp, acme_server, poc_a, poc_b):
    acme_idp.required = True
    acme_idp.save()
    refused = Client().post("/accounts/login/", {"login": poc_a.email, "password": PASSWORD})
    assert refused.status_code == 403
    assert "signs its people in through its own sign-in" in refused.content.decode()
    assert 'href="/accounts/company/"' in refused.content.decode()
    # Vendor B has no IdP: its POC logs in with password and code as before.
    other = Client()
    assert (
        other.post("/accounts/login/", {"login": poc_b.email, "password": PASSWORD})["Location"]
        == "/accounts/2fa/authenticate/"
    )
    # The IdP still works for vendor A's people.
    browser = Client()
    company_sign_in(browser, acme_server, "acme-77", poc_a.email)
    browser.post("/accounts/2fa/authenticate/", {"code": totp_code(poc_a.totp_secret)})
    assert logged_in_user(browser) == poc_a


def test_a_turned_off_idp_is_not_offered_and_its_routes_are_404(acme_idp, vendor_a):
    acme_idp.enabled = False
    acme_idp.save()
    unknown = Client().post("/accounts/company/", {"email": "poc@acme.example"})
    assert unknown.status_code == 400
    assert "No company sign-in is set up for acme.example" in unknown.content.decode()
    assert Client().post(f"/accounts/oidc/vendor-{vendor_a.pk}/login/").status_code == 404


def test_company_sign_in_counts_against_the_login_rate_limit(acme_idp, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    browser = Client()
    codes = [
        browser.post("/accounts/company/", {"email": "x@acme.example"}).status_code
        for _ in range(3)
    ]
    assert codes == [302, 302, 429]


def test_a_secret_no_key_opens_turns_the_sign_in_off_until_entered_again(acme_idp, settings):
    sealed_with = settings.SECRET_KEY
    settings.SECRET_KEY = "rotated-without-fallback"
    assert vendor_sso.unseal(acme_idp.client_secret) is None
    answer = Client().post("/accounts/company/", {"email": "poc@acme.example"})
    assert answer.status_code == 400
    assert "enters its client secret again" in answer.content.decode()
    settings.SECRET_KEY_FALLBACKS = [sealed_with]
    assert vendor_sso.unseal(acme_idp.client_secret) == ACME_SECRET


def test_mfa_trust_needs_the_users_own_vendors_enabled_idp(acme_idp, vendor_a, poc_b):
    acme_idp.trusted_for_mfa = True
    acme_idp.save()
    poc = UserFactory(email="p@acme.example", role=Role.VENDOR_POC, vendor=vendor_a)
    enrol_totp(poc)
    own, other = f"vendor-{vendor_a.pk}", f"vendor-{poc_b.vendor_id}"
    assert vendor_sso.idp_vouches_for_mfa(poc, own)
    assert not vendor_sso.idp_vouches_for_mfa(poc, other)
    assert not vendor_sso.idp_vouches_for_mfa(poc, "sso")
    assert not vendor_sso.idp_vouches_for_mfa(poc_b, own)


def test_an_unverified_email_from_the_vendors_idp_signs_nobody_in(acme_idp, acme_server, poc_a):
    acme_idp.create_users = True
    acme_idp.save()
    acme_server.person = {"sub": "acme-u", "email": poc_a.email, "email_verified": False}
    browser = Client()
    start = browser.post("/accounts/company/", {"email": poc_a.email})
    back = urlsplit(
        requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"]
    )
    refused = browser.get(f"{back.path}?{back.query}", follow=True)
    assert refused.status_code == 403
    assert "did not vouch for a verified email address" in refused.content.decode()
    assert logged_in_user(browser) is None
    assert not SocialAccount.objects.exists()


def test_a_vendor_idp_identity_cannot_be_linked_to_a_logged_in_account(
    acme_idp, acme_server, vendor_a, poc_a, manager
):
    browser = sign_in(Client(), manager)
    acme_server.person = {"sub": "acme-link", "email": poc_a.email}
    start = browser.post(f"/accounts/oidc/vendor-{vendor_a.pk}/login/", {"process": "connect"})
    back = urlsplit(
        requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"]
    )
    refused = browser.get(f"{back.path}?{back.query}", follow=True)
    assert refused.status_code == 403
    assert "Link your company sign-in by signing in with it" in refused.content.decode()
    assert not SocialAccount.objects.exists()


def test_production_sends_no_secret_over_plain_http_even_to_this_machine(settings):
    # Plain http to 127.0.0.1 is how the tests reach their IdPs and help desks; in production
    # (DEBUG off) a manager cannot aim the client secret or a help desk's token at a service
    # on the server's own host.
    settings.QA_PLAIN_HTTP_TO_LOCALHOST = False
    assert not secret_may_travel_to("http://127.0.0.1:8080/realms/acme")
    assert not secret_may_travel_to("http://localhost/realms/acme")
    assert secret_may_travel_to("https://login.acme.example/realms/acme")
    settings.QA_PLAIN_HTTP_TO_LOCALHOST = True
    assert secret_may_travel_to("http://127.0.0.1:8080/realms/acme")
    assert not secret_may_travel_to("http://login.acme.example/realms/acme")
