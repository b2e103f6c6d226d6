"""The API's schema and docs are for program members and load nothing from outside; every
response carries a Content-Security-Policy and a Permissions-Policy."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_get_no_schema_and_are_sent_to_log_in_for_the_docs(client):
    assert client.get("/api/schema/").status_code in (401, 403)
    docs = client.get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"].startswith("/accounts/login/?next=")


def test_a_user_without_a_role_gets_no_schema(client_as, db):
    from tests.factories import UserFactory

    nobody = UserFactory(email="nobody@example.com", role="")
    assert client_as(nobody).get("/api/schema/").status_code == 403


@pytest.mark.parametrize("person", ["auditor", "poc_a"])
def test_program_members_read_the_schema_and_the_docs(request, client_as, person):
    client = client_as(request.getfixturevalue(person))
    assert "/api/v1/audits/" in client.get("/api/schema/").content.decode()
    assert client.get("/api/docs/").status_code == 200


def test_the_docs_page_and_its_script_reference_no_other_host(client_as, auditor):
    client = client_as(auditor)
    page = client.get("/api/docs/").content.decode()
    links = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert links and all(link.startswith("/") for link in links), links
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in links
    assert "<script>" not in page  # the start-up script is a file (CSP: no inline script)
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()
    assert not re.search(r"https?://", page + script.content.decode())


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/healthz", "/api/v1/", "/api/docs/", "/admin/login/", "/no-such-page/"],
)
def test_every_response_carries_a_content_security_policy_and_a_permissions_policy(client, path):
    response = client.get(path)
    csp = dict(d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'"
    assert csp["default-src"] == "'self'"
    assert csp["frame-ancestors"] == csp["object-src"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"]
