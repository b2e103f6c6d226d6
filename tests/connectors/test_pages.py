"""The Connectors pages: a program manager sees each connector's status, cursor, last run and
last error, pulls one now, adds and changes one; auditors get 403, vendor users 404 (even for
a connector bound to their own vendor), anonymous visitors the login page."""

import pytest

from connectors.models import Connector
from tests.test_url_security import walk_as

pytestmark = pytest.mark.django_db

PAGE = "/integrations/connectors/"


def test_a_manager_sees_the_connectors_and_pulls_one_now(client_as, manager, zendesk, connector):
    client = client_as(manager)
    assert f'href="{PAGE}"' in client.get("/people/service-accounts/").content.decode()
    body = client.get(PAGE).content.decode()
    assert "zendesk-acme" in body and "never run" in body and "(start)" in body

    response = client.post(f"{PAGE}{connector.pk}/pull/")  # the task runs in-process here

    assert response.status_code == 302 and response["Location"] == PAGE
    body = client.get(PAGE).content.decode()
    assert "up to date" in body and "<code>c3</code>" in body and "6 / 6" in body


def test_the_last_error_is_shown(client_as, manager, zendesk, connector):
    zendesk.failures[""] = [(401, {})]
    client_as(manager).post(f"{PAGE}{connector.pk}/pull/")

    body = client_as(manager).get(PAGE).content.decode()

    assert "failed" in body and "answered HTTP 401" in body


def test_auditors_are_refused_and_vendor_users_find_nothing(
        client, client_as, auditor, poc_a, vendor_a, connector, zendesk):
    connector.vendor = vendor_a  # bound to the POC's own vendor: still configuration
    connector.save()
    pull = f"{PAGE}{connector.pk}/pull/"

    assert client.get(PAGE).status_code == 302 and "/accounts/login/" in client.get(PAGE).url
    assert client_as(auditor).get(PAGE).status_code == 403
    assert client_as(auditor).post(pull).status_code == 403
    client.logout()
    poc = client_as(poc_a)
    assert poc.get(PAGE).status_code == 404 and poc.post(pull).status_code == 404
    assert zendesk.log == []


PREFIXES = ("integrations/connectors/",)


def test_the_url_walk_sends_anonymous_visitors_to_log_in(world):
    problems, count = walk_as(world, "anon", prefixes=PREFIXES)

    assert count == 8  # four routes, GET and POST
    assert not problems, "\n".join(problems)


def test_the_url_walk_finds_nothing_for_a_vendor_poc(world, poc_a):
    problems, count = walk_as(world, "poc", login_as=poc_a, prefixes=PREFIXES)

    assert count == 8
    assert not problems, "\n".join(problems)


def test_the_page_reads_its_connectors_in_a_fixed_number_of_queries(
        client_as, manager, connector, vendor_b, django_assert_max_num_queries):
    client = client_as(manager)
    client.get(PAGE)
    with django_assert_max_num_queries(8) as one:
        client.get(PAGE)
    for n in range(5):
        Connector.objects.create(name=f"more-{n}", base_url="https://x.zendesk.com",
                                 token_env="X_TOKEN", source=f"z{n}", vendor=vendor_b,
                                 field_map=connector.field_map)

    with django_assert_max_num_queries(len(one.captured_queries)):
        body = client.get(PAGE).content.decode()

    assert "more-4" in body and "Borealis Support" in body


def test_a_manager_adds_a_connector_and_changes_it(client_as, manager, vendor_a):
    client = client_as(manager)
    assert "external_id" in client.get(f"{PAGE}new/").content.decode()  # the usual map
    fields = {"name": "zendesk-eu", "base_url": "https://eu.zendesk.com",
              "email": "bot@acme.example", "token_env": "ZENDESK_EU_TOKEN", "source": "zd-eu",
              "vendor": vendor_a.pk, "start_time": "1772323200", "cursor": "",
              "statuses": "solved",
              "is_active": "on",
              "field_map": '{"external_id": "id", "vendor": "=acme", "site": "custom:1", '
                           '"agent": "assignee_id", "workflow": "=hate-speech-en", '
                           '"handled_at": "created_at", "decision": "status"}'}

    response = client.post(f"{PAGE}new/", fields)

    assert response.status_code == 302, response.content.decode()[:2000]
    connector = Connector.objects.get(name="zendesk-eu")
    assert connector.vendor == vendor_a and connector.field_map["site"] == "custom:1"
    assert "ZENDESK_EU_TOKEN" in client.get(PAGE).content.decode()  # the name, no token

    response = client.post(f"{PAGE}{connector.pk}/", {**fields, "field_map": '{"id": "id"}',
                                                      "base_url": "http://eu.zendesk.com"})

    assert response.status_code == 400
    body = response.content.decode()
    assert "&#x27;id&#x27; is not an import field" in body and "Use https" in body
    connector.refresh_from_db()
    assert connector.base_url == "https://eu.zendesk.com"

    response = client.post(f"{PAGE}{connector.pk}/", {**fields, "cursor": "c9"})

    assert response.status_code == 302
    connector.refresh_from_db()
    assert connector.cursor == "c9"


@pytest.mark.parametrize("field_map, problem", [
    ('{"external_id": "id\\u0000"}', "NUL character"),
    ("[" * 100_000 + "]" * 100_000, "nested deeper than"),
    ("{", "is not valid JSON"),
    ('"id"', "must be an object"),
])
def test_a_field_map_the_database_cannot_take_is_a_form_error(
        client_as, manager, field_map, problem):
    response = client_as(manager).post(f"{PAGE}new/", {
        "name": "zd", "base_url": "https://eu.zendesk.com", "token_env": "T", "source": "s",
        "start_time": "0", "field_map": field_map})

    assert response.status_code == 400 and problem in response.content.decode()
    assert not Connector.objects.exists()
