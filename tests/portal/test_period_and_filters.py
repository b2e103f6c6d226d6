"""The portal keeps the chosen period from tab to tab, filters the audit list to failed audits
or to those the POC can dispute now, and shows the vendor's own error themes."""

import datetime as dt
import re

import pytest
from django.conf import settings

from audits.models import Audit, Dispute
from scorecards import gaps
from scorecards.query import PageQuery
from tests.conftest import answered_from_the_program
from tests.portal.conftest import MARCH_QUERY, PORTAL_PROGRAMS_OWN
from tests.portal.test_lists import csv_rows

pytestmark = pytest.mark.django_db


(manager, auditor, workflow, vendor_a, site_a, vendor_b, site_b, poc_a,
 portal_world) = answered_from_the_program(*PORTAL_PROGRAMS_OWN)

TABS = ["/portal/", "/portal/themes/", "/portal/audits/", "/portal/disputes/", "/portal/coaching/",
        "/portal/vendor-qa/"]


def tab_links(page: str) -> dict[str, str]:
    nav = page[page.index('aria-label="Partner portal"') :]
    nav = nav[: nav.index("</nav>")]
    return {path: query for path, query in re.findall(r'href="(/portal/[a-z/-]*)\??([^"]*)"', nav)}


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_links_every_other_tab_with_the_chosen_period(
    client_as, poc_a, portal_world, tab
):
    page = client_as(poc_a).get(tab, MARCH_QUERY).content.decode()

    links = tab_links(page)
    assert set(links) == set(TABS)
    assert all(query == "period=month&amp;date=2026-03-01" for query in links.values()), links


def test_a_custom_period_and_confidence_travel_too_but_not_the_list_filters(
    client_as, poc_a, site_a, portal_world
):
    page = (
        client_as(poc_a)
        .get(
            "/portal/audits/",
            {
                "period": "custom",
                "start": "2026-03-02",
                "end": "2026-03-29",
                "confidence": "0.9",
                "site": site_a.slug,
                "result": "failed",
            },
        )
        .content.decode()
    )

    assert set(tab_links(page).values()) == {
        "period=custom&amp;start=2026-03-02&amp;end=2026-03-29&amp;confidence=0.9"
    }


def listed(client, **query) -> set[int]:
    response = client.get("/portal/audits/", {**MARCH_QUERY, **query})
    assert response.status_code == 200
    return {audit.pk for audit in response.context["page_obj"].paginator.object_list}


def test_the_audit_list_filters_failed_audits(client_as, poc_a, portal_world):
    client = client_as(poc_a)
    failed = {a.pk for a in portal_world.a_audits if a.passed is False}

    assert len(failed) == 2  # the failed and the critically failed audit
    assert listed(client, result="failed") == failed
    assert listed(client) == {a.pk for a in portal_world.a_audits}
    rows = csv_rows(client.get("/portal/audits/export.csv", {**MARCH_QUERY, "result": "failed"}))
    assert {int(row["audit_id"]) for row in rows} == failed


def test_disputable_now_means_final_inside_the_window_and_no_open_dispute(
    client_as, poc_a, portal_world, time_machine
):
    now = dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC)
    window = dt.timedelta(days=settings.DISPUTE_WINDOW_DAYS)
    fresh, old, disputed, *others = portal_world.a_audits
    Audit.objects.filter(pk__in=[a.pk for a in portal_world.a_audits]).update(
        finalised_at=now - dt.timedelta(days=1)
    )
    Audit.objects.filter(pk=old.pk).update(finalised_at=now - window - dt.timedelta(minutes=1))
    Dispute.objects.create(audit=disputed, raised_by=poc_a, due_at=now)
    time_machine.move_to(now, tick=False)
    client = client_as(poc_a)

    disputable = listed(client, result="disputable")

    assert disputable == {fresh.pk, *(a.pk for a in others)}
    # The list agrees with the dispute page's own rule, audit by audit.
    for audit in portal_world.a_audits:
        shown = client.get(f"/audits/{audit.pk}/dispute/").status_code == 200
        assert shown == (audit.pk in disputable), audit.pk
    page = client.get("/portal/audits/", {**MARCH_QUERY, "result": "disputable"}).content.decode()
    assert '<option value="disputable" selected>Disputable now</option>' in page
    # Moving to the previous period keeps the filter.
    assert (
        'href="?result=disputable&amp;period=month&amp;date=2026-02-01' in page
        or "date=2026-02-01&amp;result=disputable" in page
    )


def test_an_unknown_result_filter_is_a_400_naming_the_field(client_as, poc_a, portal_world):
    client = client_as(poc_a)

    response = client.get("/portal/audits/", {**MARCH_QUERY, "result": "passed"})
    assert response.status_code == 400
    assert "result: " in response.content.decode()
    assert "is not one of failed, disputable" in response.content.decode()
    csv = client.get("/portal/audits/export.csv", {**MARCH_QUERY, "result": "all"})
    assert csv.status_code == 400 and b"result: 'all'" in csv.content


def test_the_poc_reads_their_own_error_themes(
    client_as, poc_a, vendor_a, vendor_b, site_b, portal_world
):
    response = client_as(poc_a).get("/portal/themes/", MARCH_QUERY)
    page = response.content.decode()

    assert response.status_code == 200
    # The same numbers as the internal error themes page scoped to vendor A.
    found = response.context["gaps"]
    ours = gaps.thematic_gaps(PageQuery(period=found.current.period, vendor=vendor_a))
    assert [(t.slug, t.estimate.p) for t in found.current.themes] == [
        (t.slug, t.estimate.p) for t in ours.current.themes
    ]
    # Scored audits count, like on the scorecard: the finalised ones and the submitted one.
    assert found.current.audits == len(portal_world.a_audits) + 1
    assert {t.name for t in found.current.themes} == {"Procedural", "Policy error"}
    for theme in found.current.themes:
        row = re.search(rf'<tr data-slug="{theme.slug}">.*?</tr>', page, re.S).group(0)
        assert f"{theme.estimate.p * 100:.1f}" in row
    for marker in portal_world.b_markers(vendor_b, site_b):
        assert marker not in page


def test_the_themes_table_downloads_for_the_poc_only(client_as, poc_a, manager, portal_world):
    response = client_as(poc_a).get(
        "/portal/themes/", {**MARCH_QUERY, "format": "csv", "table": "pareto"}
    )

    assert response.status_code == 200
    assert "Procedural" in response.content.decode()
    assert client_as(manager).get("/portal/themes/", MARCH_QUERY).status_code == 404
