"""The page cache: an unchanged overview or scorecard is read from the cache, never a stale
one — a submitted audit flushes the rollups and the page shows it — and one vendor's cached
scorecard is never another vendor's page (scorecards.page_cache, rollups.version).

The program is the overview tests' (tests/scorecards/test_overview.py): Acme has 20 of its
22 hate-speech audits done in March 2026, Borealis 20.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits import lifecycle
from audits.models import OPEN_STATUSES, Audit
from rollups.writer import rebuild_rollups
from scorecards import page_cache
from scorecards.overview_views import overview_tables
from tests.audits.workspace_helpers import ALL_GOOD
from tests.factories import ContractTargetFactory
from tests.scorecards.test_overview import MARCH, benchmark_program

pytestmark = pytest.mark.django_db

ACME_MARCH = "/scorecards/vendors/acme/?period=month&date=2026-03-01"
PORTAL_MARCH = "/portal/?period=month&date=2026-03-01"


@pytest.fixture
def program(auditor, manager, workflow, site_a, site_b):
    return benchmark_program(auditor, manager, workflow, site_a, site_b)


def queries_of(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(queries.captured_queries)


def tables_of(response) -> list:
    """Every value the overview shows, as its downloads carry them."""
    return [table.rows for table in overview_tables(response.context["overview"])]


def acme_hate_speech_audits(response) -> int:
    rows = {row.vendor.slug: row for row in response.context["overview"].benchmark.rows}
    return rows["acme"].cells[0].audits


def test_an_unchanged_overview_is_read_from_the_cache(client_as, manager, program):
    client = client_as(manager)
    first, computed = queries_of(client, MARCH)
    again, cached = queries_of(client, MARCH)

    # The benchmark, productivity, forms and out-of-control weeks are not asked again; runs,
    # disputes, coaching and calibration are read live.
    assert cached <= computed - 8
    assert tables_of(again) == tables_of(first)


def test_a_submitted_audit_changes_the_overview_at_once(
    client_as, manager, auditor, program, site_a, django_capture_on_commit_callbacks
):
    client = client_as(manager)
    before, _ = queries_of(client, MARCH)
    assert acme_hate_speech_audits(before) == 20

    still_open = Audit.objects.filter(
        ticket__vendor=site_a.vendor, status__in=OPEN_STATUSES
    ).first()
    with django_capture_on_commit_callbacks(execute=True):  # the eager flush of the rollups
        lifecycle.submit_audit(still_open, auditor, answers=ALL_GOOD)

    after, _ = queries_of(client, MARCH)
    assert acme_hate_speech_audits(after) == 21


def test_an_unchanged_scorecard_is_cached_and_a_new_target_shows_at_once(
    client_as, manager, program, site_a
):
    client = client_as(manager)
    first, computed = queries_of(client, ACME_MARCH)
    _, cached = queries_of(client, ACME_MARCH)
    assert cached < computed
    assert len(first.context["card"].targets) == 1

    ContractTargetFactory(vendor=site_a.vendor, workflow=None, target="0.5000")
    after, _ = queries_of(client, ACME_MARCH)
    assert len(after.context["card"].targets) == 2


def test_one_vendors_cached_scorecard_is_never_another_vendors_page(
    client_as, poc_a, poc_b, program, vendor_a, vendor_b
):
    first_a, computed = queries_of(client_as(poc_a), PORTAL_MARCH)
    _, cached = queries_of(client_as(poc_a), PORTAL_MARCH)
    assert cached < computed  # A's page is in the cache

    page_b, _ = queries_of(client_as(poc_b), PORTAL_MARCH)

    card_a, card_b = first_a.context["card"], page_b.context["card"]
    assert (card_a.query.vendor, card_a.audits) == (vendor_a, 32)  # 20 hate speech, 12 spam
    assert (card_b.query.vendor, card_b.audits) == (vendor_b, 20)
    assert "Acme" not in page_b.content.decode()


def test_without_a_reachable_cache_the_rollups_are_written_and_pages_computed(
    client_as, manager, program, settings
):
    settings.CACHES = {  # nothing listens on port 1
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    rebuild_rollups()

    response = client_as(manager).get(MARCH)

    assert response.status_code == 200
    assert acme_hate_speech_audits(response) == 20


def test_an_entry_cached_by_another_release_is_never_read(
    client_as, manager, program, monkeypatch
):
    """A release that changes the cached objects' code changes the key: a worker of the new
    release computes the page again instead of unpickling an object of the old shape."""
    client = client_as(manager)
    first, computed = queries_of(client, MARCH)
    _, cached = queries_of(client, MARCH)
    assert cached <= computed - 8

    monkeypatch.setattr(page_cache, "code_fingerprint", lambda: "the-next-release")
    again, after_release = queries_of(client, MARCH)

    assert after_release == computed
    assert tables_of(again) == tables_of(first)
