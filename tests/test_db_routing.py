"""Which database a query goes to (qa_program/db_routers.py), without a replica running: the
real one is tests/test_replica_reads.py. The router's answer is what these tests read; no
query is sent."""

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory
from django.urls import resolve

from accounts.models import User
from qa_program import db_routers
from qa_program.db_routers import (
    PIN_COOKIE,
    REPLICA,
    PrimaryReplicaRouter,
    ReplicaReadsMiddleware,
    reading_from_replica,
)
from qa_program.settings import database_settings
from scorecards.page_cache import cached_page
from vendors.models import Vendor

router = PrimaryReplicaRouter()


def test_without_a_replica_url_there_is_one_database_and_no_replica_middleware():
    databases = database_settings("postgres://qa@db.internal:5432/qa")
    assert list(databases) == ["default"]
    with pytest.raises(MiddlewareNotUsed):
        ReplicaReadsMiddleware(lambda request: HttpResponse())
    assert router.db_for_read(Vendor) == "default"


def test_a_replica_url_adds_a_replica_that_tests_mirror_to_default():
    databases = database_settings(
        "postgres://qa@db.internal:5432/qa", "postgres://reader@replica.internal:5433/qa"
    )
    replica = databases["replica"]
    assert (replica["HOST"], replica["PORT"], replica["USER"], replica["NAME"]) == (
        "replica.internal",
        5433,
        "reader",
        "qa",
    )
    assert replica["TEST"] == {"MIRROR": "default"}
    assert databases["default"]["HOST"] == "db.internal"


def test_the_router_sends_writes_logins_and_migrations_to_the_primary():
    with reading_from_replica():
        assert router.db_for_read(Vendor) == REPLICA
        assert router.db_for_read(User) == "default"  # roles and tokens take effect at once
        assert router.db_for_read(Session) == "default"
        assert router.db_for_write(Vendor) == "default"
        # This request has written: from now on it reads its own writes.
        assert router.db_for_read(Vendor) == "default"
    assert router.db_for_read(Vendor) == "default"
    assert router.allow_migrate(REPLICA, "vendors") is False
    assert router.allow_migrate("default", "vendors") is True
    primary_row, replica_row = Vendor(), Vendor()
    primary_row._state.db, replica_row._state.db = "default", REPLICA
    assert router.allow_relation(primary_row, replica_row) is True


@pytest.fixture
def middleware(monkeypatch, settings):
    """The middleware as it runs with DATABASE_REPLICA_URL set; each request's view answers
    with the database its read of a vendor would go to."""
    monkeypatch.setattr(db_routers, "replica_configured", lambda: True)
    settings.DATABASE_REPLICA_PIN_SECONDS = 7

    def handler(request):  # Django's: URL resolved, process_view, the view
        request.resolver_match = resolve(request.path_info)
        middleware.process_view(request, request.view, (), {})
        return request.view(request)

    middleware = ReplicaReadsMiddleware(handler)
    return middleware


def serve(middleware, method, path, view=None, **headers):
    request = getattr(RequestFactory(), method.lower())(path, **headers)
    request.view = view or (lambda request: HttpResponse(router.db_for_read(Vendor)))
    return middleware(request)


def test_dashboards_exports_and_api_reads_may_use_the_replica(middleware):
    for path in (
        "/scorecards/",
        "/scorecards/vendors/acme/",
        "/audits/export.csv",
        "/portal/",
        "/api/v1/vendors/",
        "/api/v1/tickets/12/",
    ):
        assert serve(middleware, "GET", path).content == b"replica", path


def test_other_pages_and_writes_read_the_primary(middleware):
    for path in ("/audits/queue/", "/sampling/", "/vendors/", "/"):
        assert serve(middleware, "GET", path).content == b"default", path
    assert serve(middleware, "POST", "/api/v1/tickets/bulk/").content == b"default"


def test_a_request_that_writes_reads_its_own_write_from_the_primary(middleware):
    def writes_then_reads(request):
        router.db_for_write(Vendor)
        return HttpResponse(router.db_for_read(Vendor))

    assert serve(middleware, "GET", "/scorecards/", view=writes_then_reads).content == b"default"


def test_a_browser_that_wrote_is_pinned_to_the_primary_for_a_few_seconds(middleware):
    response = serve(middleware, "POST", "/api/v1/tickets/bulk/")
    cookie = response.cookies[PIN_COOKIE]
    assert cookie["max-age"] == 7 and cookie["httponly"]
    assert serve(middleware, "GET", "/scorecards/").cookies.get(PIN_COOKIE) is None

    pinned = serve(middleware, "GET", "/scorecards/", HTTP_COOKIE=f"{PIN_COOKIE}=1")
    assert pinned.content == b"default"


def test_an_api_token_that_wrote_is_pinned_to_the_primary(middleware):
    writer = {"HTTP_AUTHORIZATION": "Bearer pin-test-writer-token"}
    other = {"HTTP_AUTHORIZATION": "Bearer pin-test-other-token"}
    serve(middleware, "POST", "/api/v1/tickets/bulk/", **writer)

    assert serve(middleware, "GET", "/api/v1/tickets/", **writer).content == b"default"
    assert serve(middleware, "GET", "/api/v1/tickets/", **other).content == b"replica"


def test_a_streamed_export_reads_the_replica_while_it_streams(middleware):
    def streams(request):
        return StreamingHttpResponse(router.db_for_read(Vendor) for _ in range(2))

    response = serve(middleware, "GET", "/audits/export.csv", view=streams)
    # The rows are read after the middleware returned, as the server sends them.
    assert router.db_for_read(Vendor) == "default"
    assert b"".join(response.streaming_content) == b"replicareplica"


def test_a_page_read_from_the_replica_is_shown_but_never_cached():
    # A streaming replica may not have replayed the refresh that issued the current version
    # yet: its numbers would be cached as the new version's. Only the primary's are stored.
    computed = []

    def compute():
        computed.append(1)
        return len(computed)

    with reading_from_replica():
        assert cached_page("probe", ["replica"], compute) == 1
        assert cached_page("probe", ["replica"], compute) == 2  # computed again: not stored
    assert cached_page("probe", ["replica"], compute) == 3  # on the primary: stored
    assert cached_page("probe", ["replica"], compute) == 3
