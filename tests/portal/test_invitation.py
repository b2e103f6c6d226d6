"""Issue 6, item 5: a manager invites a vendor POC by email for one vendor; the POC sets a
password from the email's link, is made to enrol TOTP, and then lands on the partner portal
(and only there, with their own vendor)."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail

from accounts.models import Role, User
from tests.factories import totp_code

NEW_PASSWORD = "Tr1cky-orange-kettle"
ACTIVATE_TOTP = "/accounts/2fa/totp/activate/"


@pytest.mark.django_db
def test_an_invited_poc_sets_a_password_enrols_totp_and_lands_on_the_portal(
    client, client_as, manager, vendor_a, vendor_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_as(manager).post(
            "/people/invite/",
            {"email": "dana@acme.example", "role": Role.VENDOR_POC, "vendor": vendor_a.pk},
        )
    client.logout()
    [message] = mail.outbox
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", message.body).group(0)

    # The email's link: allauth moves the key into the session, then the password is set.
    form_url = client.get(link)["Location"]
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    response = client.post(
        "/accounts/login/", {"login": "dana@acme.example", "password": NEW_PASSWORD}, follow=True
    )

    # No data before two-factor: every page sends the POC to enrol TOTP, straight after the
    # login (the password just typed is not asked for again).
    assert client.get("/portal/")["Location"] == ACTIVATE_TOTP
    assert response.redirect_chain[-1][0] == ACTIVATE_TOTP
    secret = re.search(
        r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', response.content.decode()
    ).group(1)
    client.post(ACTIVATE_TOTP, {"code": totp_code(secret)})

    dana = User.objects.get(email="dana@acme.example")
    assert Authenticator.objects.filter(user=dana, type=Authenticator.Type.TOTP).exists()
    assert client.get("/")["Location"] == "/portal/"
    portal = client.get("/portal/")
    assert portal.status_code == 200
    assert portal.context["vendor"] == vendor_a
    assert vendor_b.name not in portal.content.decode()
