"""Pulling tickets from a Zendesk incremental export served by a real HTTP server: every page
imported like a pushed batch, a re-run adds nothing, a run that dies resumes from its stored
cursor, 429 and 5xx are retried with back-off (Retry-After honoured), a page with a bad
ticket is refused whole with the ticket, row and field named."""

import base64
import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from connectors import tasks
from connectors.models import Connector, RunStatus
from connectors.pulling import pull
from connectors.zendesk import BACKOFF_SECONDS, MAX_ATTEMPTS, retry_after
from tests.connectors.conftest import START_TIME, TOKEN, zendesk_ticket
from tests.factories import SiteFactory
from tickets.models import Ticket, TicketChange, TicketPush

pytestmark = pytest.mark.django_db

# What the three recorded pages hold in the end: ticket 1001 as last exported.
EXPECTED = {
    "1001": "Refund please (reopened)", "1002": "Spam report", "1003": "Abusive reply",
    "1004": "Login trouble", "1005": "Hate speech flag",
}


def tickets() -> dict[str, str]:
    return dict(Ticket.objects.filter(source="zendesk").values_list("external_id", "excerpt"))


def test_a_full_pull_imports_every_page_and_stores_the_cursor(zendesk, connector):
    report = pull(connector)

    assert report.ok and report.pages == 3
    assert zendesk.asked() == [f"start_time={START_TIME}", "c1", "c2"]
    expected_auth = base64.b64encode(f"qa-bot@acme.example/token:{TOKEN}".encode()).decode()
    assert {auth for _, auth in zendesk.log} == {f"Basic {expected_auth}"}
    assert tickets() == EXPECTED
    one = Ticket.objects.get(source="zendesk", external_id="1003")
    assert (one.vendor.slug, one.site.slug, one.workflow.slug, one.agent.external_id,
            one.decision, one.language, one.channel) == (
        "acme", "manila", "hate-speech-en", "9001", "solved", "en", "email")
    # 1001 came again on page 3 with a new subject: updated, and the change kept.
    change = TicketChange.objects.get()
    assert change.ticket.external_id == "1001"
    assert change.fields["excerpt"] == ["Refund please", "Refund please (reopened)"]
    connector.refresh_from_db()
    assert (connector.cursor, connector.last_status, connector.last_error) == ("c3", "ok", "")
    assert (connector.pages_imported, connector.last_run_tickets) == (3, 6)
    assert connector.running_since is None and connector.last_success_at is not None


def test_running_again_adds_nothing(zendesk, connector):
    pull(connector)
    call_command("pull_tickets", "zendesk-acme")  # resumes at c3: an empty page
    assert zendesk.asked()[-1] == "c3"

    connector.refresh_from_db()
    connector.cursor = ""  # and the whole export once more from the start time
    connector.save()
    report = pull(connector)

    # No ticket is added; 1001's history is replayed (page 1 sets its first subject back,
    # page 3 its last), so the export ends as it was.
    assert report.ok and (report.pages, report.created, report.updated) == (3, 0, 2)
    assert tickets() == EXPECTED
    assert Ticket.objects.count() == 5


def test_a_run_that_dies_mid_pull_resumes_from_its_cursor_with_the_same_tickets(
        zendesk, connector):
    zendesk.failures["c2"] = [(500, {})] * MAX_ATTEMPTS  # page 3 fails every attempt

    report = pull(connector)

    assert not report.ok and report.pages == 2
    connector.refresh_from_db()
    assert connector.last_status == RunStatus.FAILED and connector.cursor == "c2"
    assert f"failed {MAX_ATTEMPTS} times; the last: HTTP 500" in connector.last_error
    assert connector.running_since is None
    assert set(tickets()) == {"1001", "1002", "1003", "1004"}  # pages 1 and 2, whole

    asked_before = len(zendesk.log)
    report = pull(connector)

    assert report.ok
    assert zendesk.asked()[asked_before:] == ["c2"]  # from the stored cursor, not the start
    assert tickets() == EXPECTED
    assert Ticket.objects.count() == 5
    connector.refresh_from_db()
    assert (connector.cursor, connector.last_status, connector.last_error) == ("c3", "ok", "")


def test_a_run_held_by_a_live_worker_is_not_pulled_twice(zendesk, connector):
    from django.utils import timezone

    Connector.objects.filter(pk=connector.pk).update(running_since=timezone.now())

    report = pull(connector)

    assert report.busy and zendesk.log == [] and tickets() == {}


def test_429_waits_its_retry_after_and_5xx_backs_off_exponentially(
        zendesk, connector, settings):
    settings.QA_CONNECTOR_BACKOFF_SCALE = 1
    zendesk.failures["c1"] = [(429, {"Retry-After": "7"}), (503, {}), (500, {})]
    slept = []

    report = pull(connector, sleep=slept.append)

    assert report.ok and tickets() == EXPECTED
    assert zendesk.asked() == [f"start_time={START_TIME}", "c1", "c1", "c1", "c1", "c2"]
    # the n-th attempt of a page waits BACKOFF × 2^(n-1); a 429 its Retry-After instead
    assert report.waits == [7, BACKOFF_SECONDS * 2, BACKOFF_SECONDS * 4]
    assert slept == report.waits
    assert report.requests == 6


def test_back_off_sleeps_are_scaled_by_the_setting(zendesk, connector):
    zendesk.failures[""] = [(429, {"Retry-After": "30"})]
    slept = []

    report = pull(connector, sleep=slept.append)

    assert report.ok and report.waits == [30] and slept == [0]


def test_a_retry_after_beyond_the_longest_wait_ends_the_run_for_the_next_one(zendesk, connector):
    zendesk.failures["c1"] = [(429, {"Retry-After": "3600"})]

    report = pull(connector)

    assert "Retry-After 3600 s" in report.error and report.pages == 1
    connector.refresh_from_db()
    assert connector.cursor == "c1" and connector.last_status == RunStatus.FAILED


def test_a_page_with_a_bad_ticket_writes_nothing_of_that_page_and_names_the_row(
        zendesk, connector):
    zendesk.pages["c1"]["tickets"][1]["custom_fields"][0]["value"] = "atlantis"

    report = pull(connector)

    assert not report.ok
    assert set(tickets()) == {"1001", "1002"}  # page 1 only: nothing of page 2
    assert not TicketPush.objects.filter(status_code=400).exists()
    connector.refresh_from_db()
    assert connector.cursor == "c1" and connector.last_status == RunStatus.FAILED
    assert "after cursor 'c1' was refused" in connector.last_error
    assert ("Zendesk ticket 1004, row 2 of the page, field site: unknown site 'atlantis' of "
            "vendor 'acme'") in connector.last_error


def test_a_ticket_without_a_required_field_is_named_too(zendesk, connector):
    del zendesk.pages[""]["tickets"][0]["assignee_id"]

    report = pull(connector)

    assert "Zendesk ticket 1001, row 1 of the page, field agent: is missing" in report.error
    assert tickets() == {}


def test_a_connector_bound_to_a_vendor_imports_only_that_vendors_tickets(
        zendesk, connector, vendor_b):
    connector.vendor = vendor_b  # its tickets say vendor "acme"
    connector.save()

    report = pull(connector)

    assert "field vendor:" in report.error and tickets() == {}


def test_a_missing_token_is_recorded_and_nothing_is_asked(zendesk, connector, monkeypatch):
    monkeypatch.delenv(connector.token_env)

    with pytest.raises(CommandError):
        call_command("pull_tickets", "zendesk-acme")

    connector.refresh_from_db()
    assert "QA_TEST_ZENDESK_TOKEN" in connector.last_error and zendesk.log == []


def test_the_beat_entry_pulls_every_active_connector(zendesk, connector, settings):
    assert settings.CELERY_BEAT_SCHEDULE["pull-connectors"]["task"] == (
        "connectors.tasks.pull_connectors")

    assert tasks.pull_connectors() == 1  # tasks run in-process here

    assert tickets() == EXPECTED
    Connector.objects.filter(pk=connector.pk).update(is_active=False)
    assert tasks.pull_connectors() == 0


def test_a_field_map_without_a_required_field_or_with_an_unknown_one_is_refused(connector):
    connector.field_map = {"external_id": "id", "vendor": "=acme", "colour": "custom:1",
                           "site": 7}
    connector.token_env = "not a name"
    connector.base_url = "http://acme.zendesk.com"  # the token would travel in clear

    with pytest.raises(ValidationError) as refused:
        connector.full_clean()

    problems = refused.value.message_dict
    assert "token_env" in problems and "base_url" in problems
    assert any("'colour' is not an import field" in p for p in problems["field_map"])
    assert any("'site' must map to a help desk field" in p for p in problems["field_map"])
    assert any("'workflow' is required" in p for p in problems["field_map"])


def test_a_new_connector_starts_from_the_usual_zendesk_fields(connector):
    fresh = Connector(name="zendesk-new", base_url="https://new.zendesk.com",
                      token_env="NEW_TOKEN", source="zendesk-new")

    assert fresh.field_map["external_id"] == "id" and "vendor" not in fresh.field_map
    connector.full_clean()  # the test connector (on 127.0.0.1, plain HTTP) is a good one


def test_a_run_with_an_unusable_field_map_asks_nothing_and_says_why(zendesk, connector):
    Connector.objects.filter(pk=connector.pk).update(field_map={"external_id": "id"})
    connector.refresh_from_db()

    report = pull(connector)

    assert "'vendor' is required" in report.error and zendesk.log == []


@time_machine.travel(dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC), tick=False)
def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    assert retry_after("120") == 120
    assert retry_after("Sun, 01 Mar 2026 12:01:30 GMT") == 90
    assert retry_after("Sun, 01 Mar 2026 11:00:00 GMT") == 0  # already past
    assert retry_after(None) is None and retry_after("soon") is None


def test_a_page_with_something_that_is_not_a_ticket_is_refused_by_row(zendesk, connector):
    page = zendesk.pages["c1"]["tickets"]
    page.insert(0, "a note, not a ticket")
    without_id = dict(page[1], id=None)
    page.append(without_id)  # kept as its own row, not folded into another id-less one
    page.append(dict(page[2], id=None, via={"channel": {"nested": True}}))

    report = pull(connector)

    assert "row 1 of the page, field (row): is a string, not a ticket" in report.error
    assert "row 4 of the page, field external_id: is missing" in report.error
    assert "row 5 of the page, field channel: is an object" in report.error
    assert set(tickets()) == {"1001", "1002"}


def test_tickets_not_yet_solved_wait_for_a_later_page(zendesk, connector):
    fresh = zendesk_ticket(1007, "Just arrived", status="new")
    del fresh["assignee_id"]  # unassigned yet: it could not be imported
    zendesk.pages[""]["tickets"].append(fresh)
    solved_later = zendesk_ticket(1007, "Just arrived", status="solved")
    zendesk.pages["c2"]["tickets"].append(solved_later)

    report = pull(connector)

    assert report.ok, report.error
    assert tickets() == {**EXPECTED, "1007": "Just arrived"}


def test_a_reassigned_ticket_keeps_its_first_placement_and_its_content_is_updated(
        zendesk, connector, vendor_a):
    SiteFactory(vendor=vendor_a, name="New York", slug="new-york", timezone="America/New_York")
    moved = zendesk_ticket(1002, "Spam report (reassigned)", site="new-york")
    moved["assignee_id"] = 4242
    zendesk.pages["c2"]["tickets"].append(moved)

    report = pull(connector)

    assert report.ok, report.error
    assert report.placement_kept == 1  # 1001 came again too, in the same place
    ticket = Ticket.objects.get(source="zendesk", external_id="1002")
    assert (ticket.site.slug, ticket.agent.external_id) == ("manila", "9000")
    assert ticket.excerpt == "Spam report (reassigned)"
