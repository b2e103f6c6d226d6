"""A bounded schemathesis run over the API's OpenAPI schema: no request a client can make,
valid or not, gets a 5xx.

The schema comes from drf-spectacular's generator in-process (``/api/schema/`` needs a
login), and requests go to the app through WSGI, authenticated with a program manager's
API token (no CSRF step, so POSTs reach the views). Hypothesis runs derandomized with a
few examples per operation, so the run is the same every time and takes seconds; each
operation is tried with schema-valid input and with input that breaks the schema.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection, transaction
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from accounts.models import Role
from audits import lifecycle
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits, published_form
from tests.factories import SiteFactory, UserFactory, VendorFactory, WorkflowFactory

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 5


def api_schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))
    loaded.app = get_wsgi_application()
    loaded.config.generation.update(
        modes=["positive", "negative"],
        max_examples=EXAMPLES_PER_OPERATION,
        deterministic=True,
        database="none",
    )
    return loaded


@pytest.fixture(scope="module")
def manager_token(django_db_setup, django_db_blocker) -> dict:
    """A program manager's API token, and a small program for ids to land on (a vendor, a
    published form, an assigned and a final audit), made once for the module inside a
    transaction rolled back after it (each operation's test runs in a savepoint of it)."""
    atomic = transaction.atomic()
    with django_db_blocker.unblock():
        atomic.__enter__()
        manager = UserFactory(email="fuzz-manager@example.com", role=Role.PROGRAM_MANAGER)
        auditor = UserFactory(email="fuzz-auditor@example.com", role=Role.QA_AUDITOR)
        workflow = WorkflowFactory(slug="fuzz-queue")
        site = SiteFactory(vendor=VendorFactory(slug="fuzz-vendor"), slug="fuzz-site")
        published_form(workflow, by=manager)
        assigned, done = assigned_audits(auditor, workflow, count=2, site=site)
        lifecycle.finalise_audit(lifecycle.submit_audit(done, auditor, answers=ALL_GOOD), manager)
        token = Token.objects.create(user=manager).key
        connection.check_constraints()
    yield {"Authorization": f"Token {token}"}
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def wsgi_requests_in_the_test_transaction(settings):
    """Requests go through the real WSGI handler, which closes the database connection at
    the start and end of each request (in a transaction, always): that would end the test's
    transaction. Django's test client unhooks the same handler for the same reason."""
    settings.ALLOWED_HOSTS = ["*"]  # the WSGI transport's host name
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


schema = api_schema()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_request_to_the_api_is_a_server_error(case, manager_token):
    response = case.call(headers=manager_token)
    case.validate_response(response, checks=[not_a_server_error])
