"""A program manager manages service accounts on the Service accounts page: creates one,
sees its token once, issues another, revokes one and deactivates the account. Nobody else
may: auditors get 403, vendor users 404."""

import re

import pytest

from accounts.models import ServiceAccount, ServiceToken
from accounts.service_accounts import create_service_account, digest_of, issue_token

pytestmark = pytest.mark.django_db

PAGE = "/people/service-accounts/"


def shown_token(response) -> str:
    found = re.search(r'<code id="service-token">([^<]+)</code>', response.content.decode())
    assert found, "the issued token is shown"
    return found.group(1)


def test_a_manager_creates_an_account_and_sees_its_token_once(client_as, manager, vendor_a,
                                                              site_a):
    client = client_as(manager)

    response = client.post(PAGE, {"name": "Zendesk push", "scopes": ["tickets:write",
                                                                     "tickets:read"],
                                  "vendor": vendor_a.pk, "expires_days": "30"})

    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]  # not kept in a browser's cache
    raw = shown_token(response)
    account = ServiceAccount.objects.get(name="Zendesk push")
    assert account.scopes == ["tickets:write", "tickets:read"]
    assert account.user.vendor == vendor_a and account.created_by == manager
    assert ServiceToken.objects.filter(account=account, digest=digest_of(raw)).exists()
    listing = client.get(PAGE).content.decode()
    assert "Zendesk push" in listing and raw[:12] in listing
    assert raw not in listing  # never shown again
    assert client.get("/api/v1/tickets/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


@pytest.mark.parametrize("data, says", [
    ({"name": "", "scopes": ["tickets:read"], "expires_days": "30"}, "Name"),
    ({"name": "X", "scopes": ["tickets:delete"], "expires_days": "30"}, "Scopes"),
    ({"name": "X", "scopes": ["tickets:read"], "expires_days": "0"}, "First token expires"),
])
def test_bad_input_on_the_create_form_is_a_400_naming_the_field(client_as, manager, data,
                                                                says):
    response = client_as(manager).post(PAGE, data)

    assert response.status_code == 400
    assert says in response.content.decode()
    assert not ServiceAccount.objects.exists()


def test_a_name_already_taken_is_refused(client_as, manager):
    create_service_account("BI export", "audits:read")

    response = client_as(manager).post(PAGE, {"name": "bi export", "scopes": ["audits:read"],
                                              "expires_days": "30"})

    assert response.status_code == 400
    assert "already exists" in response.content.decode()


def test_a_manager_rotates_revokes_and_deactivates(client_as, manager, client):
    account = create_service_account("BI export", "tickets:read")
    old = issue_token(account).raw
    managing = client_as(manager)

    issued = managing.post(f"{PAGE}{account.pk}/tokens/", {"expires_days": "7"})
    new = shown_token(issued)
    old_token = account.tokens.get(digest=digest_of(old))
    revoked = managing.post(f"{PAGE}{account.pk}/tokens/{old_token.pk}/revoke/")

    assert issued.status_code == 201 and revoked.status_code == 302
    managing.logout()
    assert client.get("/api/v1/tickets/", HTTP_AUTHORIZATION=f"Bearer {old}").status_code == 401
    assert client.get("/api/v1/tickets/", HTTP_AUTHORIZATION=f"Bearer {new}").status_code == 200

    client_as(manager).post(f"{PAGE}{account.pk}/deactivate/")
    client.logout()
    assert client.get("/api/v1/tickets/", HTTP_AUTHORIZATION=f"Bearer {new}").status_code == 401
    page = client_as(manager).get(PAGE).content.decode()
    assert "Deactivated" in page and "Revoked" in page


def test_a_deactivated_account_gets_no_new_token(client_as, manager):
    account = create_service_account("Old sync", "tickets:read")
    client = client_as(manager)
    client.post(f"{PAGE}{account.pk}/deactivate/")

    response = client.post(f"{PAGE}{account.pk}/tokens/", {"expires_days": "7"})

    assert response.status_code == 400
    assert "deactivated" in response.content.decode()
    assert not account.tokens.exists()


def test_the_manage_menu_links_the_page_for_managers(client_as, manager):
    assert f'href="{PAGE}"' in client_as(manager).get("/people/").content.decode()


@pytest.mark.parametrize("who, status", [("auditor", 403), ("poc_a", 404)])
def test_nobody_but_managers_reaches_the_pages(request, client_as, who, status):
    account = create_service_account("BI export", "tickets:read")
    token = issue_token(account).token
    client = client_as(request.getfixturevalue(who))

    answers = [
        client.get(PAGE),
        client.post(PAGE, {"name": "Mine", "scopes": ["tickets:read"], "expires_days": "9"}),
        client.post(f"{PAGE}{account.pk}/tokens/", {"expires_days": "9"}),
        client.post(f"{PAGE}{account.pk}/tokens/{token.pk}/revoke/"),
        client.post(f"{PAGE}{account.pk}/deactivate/"),
    ]

    assert [answer.status_code for answer in answers] == [status] * 5
    token.refresh_from_db()
    assert token.revoked_at is None and account.tokens.count() == 1
    assert ServiceAccount.objects.count() == 1
    assert ServiceAccount.objects.get().user.is_active
