"""Service accounts call the API with a bearer token: stored hashed, expiring, revocable,
limited to its scopes and, when bound to a vendor, to what that vendor's own users see."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role, ServiceToken, User
from accounts.people import people
from accounts.service_accounts import (
    RESOURCE_OF_BASENAME,
    SCOPES,
    ServiceAccountError,
    create_service_account,
    deactivate,
    digest_of,
    issue_token,
    revoke_token,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC)


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOON, tick=False)
    return time_machine


@pytest.fixture
def sync(db, manager):
    """A program-wide account that reads tickets and audits, with one live token."""
    account = create_service_account("Help-desk sync", "tickets:read,audits:read", by=manager)
    return account, issue_token(account, by=manager).raw


def test_only_the_digest_of_a_token_is_stored(sync):
    account, raw = sync

    token = account.tokens.get()
    assert token.digest == digest_of(raw) != raw
    assert token.prefix == raw[:12] and len(raw) > 40
    stored = list(ServiceToken.objects.values_list(
        "prefix", "digest", "created_at", "expires_at").get())
    assert not any(raw == str(value) for value in stored)
    assert account.user.has_usable_password() is False


def test_a_token_reads_the_api_and_its_use_is_recorded(client, frozen, sync, world):
    account, raw = sync

    response = client.get("/api/v1/tickets/", **bearer(raw))

    assert response.status_code == 200
    listed = {row["id"] for row in response.json()["results"]}
    assert {t.pk for t in world.a.tickets + world.b.tickets} <= listed  # program-wide
    assert account.tokens.get().last_used_at == NOON


def test_last_use_is_written_at_most_once_a_minute(client, frozen, sync):
    account, raw = sync
    client.get("/api/v1/tickets/", **bearer(raw))

    frozen.move_to(NOON + dt.timedelta(seconds=59), tick=False)
    client.get("/api/v1/tickets/", **bearer(raw))
    assert account.tokens.get().last_used_at == NOON

    frozen.move_to(NOON + dt.timedelta(minutes=2), tick=False)
    client.get("/api/v1/tickets/", **bearer(raw))
    assert account.tokens.get().last_used_at == NOON + dt.timedelta(minutes=2)


@pytest.mark.parametrize("header, says", [
    ("Bearer qat_not-a-real-token-at-all", "Unknown token."),
    ("Bearer nothing-like-ours", "Unknown token."),
    ("Bearer", "Malformed Authorization header"),
    ("Bearer two parts", "Malformed Authorization header"),
    ("Bearer qat_caf\u00e9", "non-ASCII"),
])
def test_an_unknown_token_or_a_malformed_header_is_a_401(client, sync, header, says):
    response = client.get("/api/v1/tickets/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert says in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_a_401(client, frozen, sync):
    account, raw = sync
    assert client.get("/api/v1/tickets/", **bearer(raw)).status_code == 200

    frozen.move_to(NOON + dt.timedelta(days=91), tick=False)
    response = client.get("/api/v1/tickets/", **bearer(raw))

    assert response.status_code == 401
    assert "has expired" in response.json()["detail"]


def test_a_revoked_token_is_a_401_and_the_other_token_still_works(client, sync, manager):
    account, old = sync
    new = issue_token(account, by=manager).raw  # rotation: two live tokens

    revoke_token(account.tokens.get(digest=digest_of(old)), by=manager)

    refused = client.get("/api/v1/tickets/", **bearer(old))
    assert refused.status_code == 401
    assert "was revoked" in refused.json()["detail"]
    assert client.get("/api/v1/tickets/", **bearer(new)).status_code == 200


def test_a_deactivated_account_s_tokens_are_a_401(client, sync):
    account, raw = sync

    deactivate(account)

    response = client.get("/api/v1/tickets/", **bearer(raw))
    assert response.status_code == 401
    assert "deactivated" in response.json()["detail"]


def test_a_missing_scope_is_a_403_naming_it(client, sync, world):
    account, raw = sync

    read = client.get("/api/v1/coaching-actions/", **bearer(raw))
    write = client.post("/api/v1/audits/", {}, content_type="application/json", **bearer(raw))

    assert read.status_code == 403 and "coaching:read" in read.json()["detail"]
    assert write.status_code == 403 and "audits:write" in write.json()["detail"]


def test_every_api_route_has_a_scope():
    from qa_program.urls import api_router

    basenames = {basename for _prefix, _viewset, basename in api_router.registry}

    assert basenames <= set(RESOURCE_OF_BASENAME), basenames - set(RESOURCE_OF_BASENAME)
    assert "tickets:write" in SCOPES and "audits:read" in SCOPES


@pytest.fixture
def acme_sync(world):
    account = create_service_account("Acme BI", "tickets:read,audits:read,vendors:read",
                                     vendor=world.a.vendor)
    return issue_token(account).raw


def test_a_vendor_bound_account_lists_only_its_vendor(client, acme_sync, world):
    tickets = client.get("/api/v1/tickets/", **bearer(acme_sync)).json()["results"]
    vendors = client.get("/api/v1/vendors/", **bearer(acme_sync)).json()["results"]

    assert {row["id"] for row in tickets} == {t.pk for t in world.a.tickets}
    assert [row["slug"] for row in vendors] == [world.a.vendor.slug]


def test_a_vendor_bound_account_gets_404_for_another_vendor_s_objects(client, acme_sync, world):
    paths = [f"/api/v1/tickets/{world.b.tickets[0].pk}/",
             f"/api/v1/audits/{world.b.final_audit.pk}/",
             f"/api/v1/vendors/{world.b.vendor.pk}/"]

    for path in paths:
        assert client.get(path, **bearer(acme_sync)).status_code == 404, path


def test_a_vendor_bound_account_sees_audits_as_the_vendor_s_users_do(client, acme_sync, world):
    final = client.get(f"/api/v1/audits/{world.a.final_audit.pk}/", **bearer(acme_sync))
    unfinished = client.get(f"/api/v1/audits/{world.a.audits['submitted'].pk}/",
                            **bearer(acme_sync))

    assert final.status_code == 200
    assert unfinished.status_code == 404  # not final: still QA's, as for the vendor's POC


def test_a_service_account_is_not_a_login(client, sync):
    account, _raw = sync
    user = account.user

    assert not client.login(email=user.email, password=PASSWORD)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/")
    api = client.get("/api/v1/tickets/")

    assert page.status_code == 302 and "/accounts/login/" in page["Location"]
    assert api.status_code == 403


def test_service_accounts_are_not_people(sync, manager):
    account, _raw = sync

    assert account.user not in people()
    assert account.user.role == Role.SERVICE_ACCOUNT and not account.user.is_staff


@pytest.mark.parametrize("scopes, says", [
    ("tickets:write,audits:delete", "Unknown scope audits:delete"),
    ("", "at least one scope"),
])
def test_bad_scopes_are_refused_naming_them(db, scopes, says):
    with pytest.raises(ServiceAccountError, match=says):
        create_service_account("Bad", scopes)
    assert not User.objects.filter(role=Role.SERVICE_ACCOUNT).exists()


# ----- the command ---------------------------------------------------------------------------


def test_the_command_prints_a_working_token_on_its_last_line(client, world):
    out = io.StringIO()

    call_command("create_service_account", "Zendesk push", "--scopes", "tickets:write,tickets:read",
                 "--vendor", world.a.vendor.slug, "--expires-days", "30", stdout=out)

    raw = out.getvalue().strip().splitlines()[-1]
    token = ServiceToken.objects.get(digest=digest_of(raw))
    assert token.account.scopes == ["tickets:write", "tickets:read"]
    assert token.account.user.vendor == world.a.vendor
    assert (token.expires_at - token.created_at) == dt.timedelta(days=30)
    listed = client.get("/api/v1/tickets/", **bearer(raw)).json()["results"]
    assert {row["id"] for row in listed} == {t.pk for t in world.a.tickets}


@pytest.mark.parametrize("arguments, says", [
    (["--scopes", "tickets:write,audits:delete"], "Unknown scope audits:delete"),
    (["--scopes", "tickets:read", "--vendor", "nobody"], "no vendor with slug “nobody”"),
    (["--scopes", "tickets:read", "--expires-days", "0"], "Expires in days"),
])
def test_the_command_refuses_bad_input_with_exit_status_1(vendor_a, arguments, says):
    with pytest.raises(CommandError, match=says) as refused:
        call_command("create_service_account", "Sync", *arguments, stdout=io.StringIO())

    assert refused.value.returncode == 1
    assert not User.objects.filter(role=Role.SERVICE_ACCOUNT).exists()
