"""Logging in: by email and password, invitation only, rate limited."""

import pytest
from django.contrib.auth import get_user

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

LOGIN = "/accounts/login/"


def log_in(client, email, password=PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


def test_a_manager_logs_in_with_email_and_password_and_lands_on_the_overview(client, manager):
    response = log_in(client, "manager@example.com")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert get_user(client) == manager
    assert client.get("/").status_code == 200


def test_the_email_is_matched_without_regard_to_case(client, manager):
    log_in(client, "Manager@Example.COM")

    assert get_user(client) == manager


@pytest.mark.parametrize("person", ["manager", "auditor"])
def test_internal_staff_may_log_in_without_two_factor(request, client, person):
    user = request.getfixturevalue(person)

    response = log_in(client, user.email)

    assert response["Location"] == "/"
    assert client.get("/", follow=True).status_code == 200


def test_a_wrong_password_is_refused(client, manager):
    response = log_in(client, manager.email, "not-the-password")

    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in (
        response.content.decode()
    )
    assert not get_user(client).is_authenticated


def test_the_login_page_uses_the_app_layout_and_offers_no_sign_up(client):
    page = client.get(LOGIN).content.decode()

    assert 'class="topbar"' in page
    assert "css/app.css" in page
    assert "invitation only" in page
    assert "/accounts/signup/" not in page
    assert "/accounts/password/reset/" in page


def test_sign_up_is_closed(client, db):
    assert "Sign-up is closed" in client.get("/accounts/signup/").content.decode()

    response = client.post(
        "/accounts/signup/",
        {
            "email": "stranger@example.com",
            "password1": "Str0nger-pass!",
            "password2": "Str0nger-pass!",
        },
    )

    assert "Sign-up is closed" in response.content.decode()
    assert not User.objects.filter(email="stranger@example.com").exists()


def test_the_sixth_failed_login_for_an_account_is_refused_even_with_the_right_password(
    client, manager
):
    for _ in range(5):
        response = log_in(client, manager.email, "guess")
        assert "Too many failed login attempts" not in response.content.decode()

    response = log_in(client, manager.email)

    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert not get_user(client).is_authenticated


def test_failed_logins_for_one_account_do_not_lock_out_another(client, manager, db):
    other = UserFactory(email="other@example.com")
    for _ in range(5):
        log_in(client, other.email, "guess")
    # The per-key limit is spent for other@; the per-IP limit (5 in 5 minutes) also is,
    # so a different address from another machine still gets in.
    response = client.post(
        LOGIN, {"login": manager.email, "password": PASSWORD}, REMOTE_ADDR="10.0.0.7"
    )

    assert response["Location"] == "/"


def test_a_successful_login_does_not_count_against_the_limit(client, manager):
    for _ in range(10):
        client.logout()
        assert log_in(client, manager.email).status_code == 302
