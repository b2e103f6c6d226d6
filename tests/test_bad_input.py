"""Bad input is a 400 naming the field, never a 500 (the suite runs with DEBUG off).

Each class of input here used to crash a page, an export or the API: a date at the
calendar's edge, a NUL character (PostgreSQL's text and jsonb refuse it, so these tests
mean most on PostgreSQL), JSON nested past the decoder's recursion limit, a UTC offset no
database takes, a digit that is not an ASCII digit.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.audits.workspace_helpers import assigned_audits, published_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit(auditor, manager, workflow, site_a):
    """An audit assigned to ``auditor``, on a workflow with a published form."""
    published_form(workflow, by=manager)
    return assigned_audits(auditor, workflow, site=site_a)[0]


def body_of(response) -> str:
    content = b"".join(response) if response.streaming else response.content
    return content.decode("utf-8", errors="replace")


def assert_400_naming(response, field: str) -> None:
    assert response.status_code == 400, (response.status_code, body_of(response)[:300])
    assert not response.streaming, "a bad query must be refused before the file starts"
    assert field in body_of(response)


# ----- dates at the calendar's edge ------------------------------------------------------

EDGE_DATES = ["9999-12-31", "0001-01-01"]
SCORECARD_PAGES = [
    "/scorecards/",
    "/scorecards/vendors/acme/",
    "/scorecards/trends/",
    "/scorecards/gaps/",
    "/scorecards/gaps/policy-error/audits/",
]
PORTAL_PAGES = ["/portal/", "/portal/audits/", "/portal/audits/export.csv"]


@pytest.mark.parametrize("day", EDGE_DATES)
@pytest.mark.parametrize("path", SCORECARD_PAGES)
def test_a_date_at_the_calendar_edge_is_a_400_on_scorecard_pages(
    client_as, manager, vendor_a, path, day
):
    client = client_as(manager)
    assert_400_naming(client.get(path, {"date": day}), "date")
    assert_400_naming(
        client.get(path, {"period": "custom", "start": day, "end": "2026-01-04"}), "start"
    )


@pytest.mark.parametrize("day", EDGE_DATES)
@pytest.mark.parametrize("path", PORTAL_PAGES)
def test_a_date_at_the_calendar_edge_is_a_400_in_the_portal_and_its_csv(
    client_as, poc_a, path, day
):
    client = client_as(poc_a)
    assert_400_naming(client.get(path, {"date": day}), "date")
    assert_400_naming(
        client.get(path, {"period": "custom", "start": "2026-01-05", "end": day}), "end"
    )


# ----- NUL characters -------------------------------------------------------------------

NUL = "\x00"


@pytest.mark.parametrize(
    "path, param",
    [
        ("/audits/tickets/", "q"),
        ("/audits/adhoc/", "q"),
        ("/coaching/", "status"),
        ("/scorecards/", "vendor"),
        ("/api/v1/tickets/", "language"),
        ("/api/v1/audits/", "status"),
    ],
)
def test_a_nul_in_a_query_parameter_is_a_400_naming_it(client_as, manager, path, param):
    response = client_as(manager).get(path, {param: f"abc{NUL}def"})
    assert_400_naming(response, param)
    assert "NUL" in body_of(response)


def test_a_nul_in_a_posted_form_field_is_a_400_naming_it(client_as, manager):
    response = client_as(manager).post("/coaching/new/", {"title": f"Tone{NUL}", "due_date": "x"})
    assert_400_naming(response, "title")


def test_a_nul_in_the_path_or_a_cookie_is_a_400(client_as, manager):
    assert_400_naming(client_as(manager).get("/audits/forms/sections%00/1/up/"), "path")
    # A quoted cookie's octal escapes decode to NULs; the session lookup must not see them.
    cookie = 'sessionid="' + "\\000" * 8 + '"'
    assert_400_naming(Client().get("/", HTTP_COOKIE=cookie), "sessionid")


def test_a_nul_anywhere_in_api_json_is_a_400_naming_its_path(client_as, auditor, audit):
    client = client_as(auditor)
    response = client.post(
        f"/api/v1/audits/{audit.pk}/draft/",
        {"answers": {"tone": f"5{NUL}"}},
        content_type="application/json",
    )
    assert_400_naming(response, "answers.tone")
    response = client.post(
        f"/api/v1/audits/{audit.pk}/draft/",
        {"comments": {f"to{NUL}ne": "fine"}},
        content_type="application/json",
    )
    assert_400_naming(response, "comments.to?ne")
    audit.refresh_from_db()
    assert audit.answers == {} and audit.comments == {}


def test_a_nul_in_the_scoring_pages_autosave_is_a_400(client_as, auditor, audit):
    response = client_as(auditor).post(
        f"/audits/{audit.pk}/draft/",
        {"answers": {"tone": f"5{NUL}"}},
        content_type="application/json",
    )
    assert_400_naming(response, "answers.tone")


# ----- JSON nested past the decoder's recursion limit -----------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "path", ["/api/v1/coaching-actions/", "/api/v1/disputes/", "/api/v1/audits/"]
)
def test_deeply_nested_json_on_an_api_post_is_a_400(client_as, manager, path):
    response = client_as(manager).post(path, DEEP, content_type="application/json")
    assert_400_naming(response, "nested deeper")


def test_deeply_nested_json_on_the_apps_json_views_is_a_400(client_as, manager, auditor, audit):
    response = client_as(auditor).post(
        f"/audits/{audit.pk}/draft/", DEEP, content_type="application/json"
    )
    assert_400_naming(response, "nested deeper")
    response = client_as(manager).post(
        "/sampling/planner/calculate.json", DEEP, content_type="application/json"
    )
    assert_400_naming(response, "nested deeper")


def test_json_just_past_the_depth_limit_is_refused_and_just_within_it_is_read(client_as, manager):
    from accounts.input_checks import MAX_JSON_DEPTH

    client = client_as(manager)
    within = {
        "title": "x",
        "audits": json.loads("[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)),
    }
    beyond = {
        "title": "x",
        "audits": json.loads("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)),
    }
    # Within the limit the serializer answers (about the fields); beyond it the parser does.
    answer = client.post("/api/v1/coaching-actions/", within, content_type="application/json")
    assert answer.status_code == 400 and "nested deeper" not in body_of(answer)
    assert_400_naming(
        client.post("/api/v1/coaching-actions/", beyond, content_type="application/json"),
        "nested deeper",
    )


# ----- UTC offsets no database takes ----------------------------------------------------


@pytest.mark.parametrize("param", ["submitted_before", "submitted_after"])
@pytest.mark.parametrize(
    "value",
    [
        "2026-01-01T00:00:00+18:38",
        "2026-01-01T00:00:00-23:59",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:00:00-05:00",
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/audits/", "/audits/export.csv", "/audits/export.xlsx"])
def test_an_impossible_date_time_in_a_filter_is_a_400_naming_it(
    client_as, manager, path, param, value
):
    assert_400_naming(client_as(manager).get(path, {param: value}), param)


def test_real_offsets_still_filter(client_as, manager):
    response = client_as(manager).get(
        "/api/v1/audits/",
        {
            "submitted_after": "2026-01-01T00:00:00+14:00",
            "submitted_before": "2026-01-01T00:00:00-12:00",
        },
    )
    assert response.status_code == 200


# ----- digits that are not ASCII digits -------------------------------------------------


def test_a_superscript_digit_in_weeks_is_a_400_naming_it(client_as, manager):
    assert_400_naming(client_as(manager).get("/scorecards/trends/", {"weeks": "\u00b2"}), "weeks")


@pytest.mark.parametrize("param", ["vendor", "site", "agent", "workflow"])
def test_a_superscript_digit_in_an_api_id_filter_is_a_400_naming_it(client_as, manager, param):
    assert_400_naming(client_as(manager).get("/api/v1/tickets/", {param: "\u00b2"}), param)


def test_a_superscript_digit_in_the_ad_hoc_ticket_search_finds_nothing(client_as, manager):
    response = client_as(manager).get("/audits/adhoc/", {"q": "\u00b2"})
    assert response.status_code == 200


def test_anonymous_bad_input_is_still_refused_without_a_crash():
    response = Client().get("/scorecards/", {"q": f"x{NUL}"})
    assert response.status_code == 400
