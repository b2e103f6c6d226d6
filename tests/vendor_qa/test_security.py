"""The URL security walk over the vendor-QA routes as vendor A's QA analyst: what the walk
asks of A's POC (tests/test_url_security.py), the analyst gets too — 404 for B's rows and
for the QA team's page, only A's own data where a page answers."""

import pytest
from django.test import Client

from accounts.models import Role
from tests.factories import UserFactory, enrol_totp
from tests.security_fixtures import problem_with
from tests.test_url_security import requests_for

pytestmark = pytest.mark.django_db

PREFIXES = ("vendor-qa/", "portal/vendor-qa/", "api/v1/^vendor-qa/")


def test_vendor_a_analyst_reaches_nothing_of_vendor_b_on_the_vendor_qa_routes(world):
    analyst = UserFactory(email="qa@acme.example", role=Role.VENDOR_QA_ANALYST,
                          vendor=world.a.vendor)
    enrol_totp(analyst)
    forbidden = world.b_identifiers() + world.internal_markers()
    problems, count = [], 0
    for route, rule, path, query in requests_for(world):
        if not route.route.startswith(PREFIXES):
            continue
        for method in ("GET", "POST"):
            client = Client()
            client.force_login(analyst, backend="django.contrib.auth.backends.ModelBackend")
            response = (client.get if method == "GET" else client.post)(path, query)
            count += 1
            echoed = [str(v) for v in query.values()]
            problem = problem_with(response, rule.expected("poc", method),
                                   [s for s in forbidden if not any(s in v for v in echoed)],
                                   world.b.vendor.pk)
            if problem:
                problems.append(f"{method} {path} {query}: {problem}")
    assert count >= 20
    assert not problems, "\n".join(problems)
