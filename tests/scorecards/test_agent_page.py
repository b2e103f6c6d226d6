"""A program manager opens one agent's scorecard: the counts behind each estimate ("39 of 42
passed"), the agent's audits of the period with filters and pages, the agent's coaching
history with its follow-up measurement, and a button that opens a coaching action for the
agent. Breakdown tables fold the rows with too few audits into one line.

The clock is frozen (the coaching follow-up reads "now"); every period is named in the URL.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit_forms.models import ErrorCategory
from coaching import actions
from coaching.models import CoachingAction, Level
from rollups.writer import rebuild_rollups
from tests.conftest import answered_from_the_program, rows_for_every_test
from tests.factories import (
    AgentFactory,
)
from tests.scorecards.test_scorecard import (
    APRIL,
    MARCH,
    PROGRAMS_OWN,
    acme_people_and_places,
    audit_batch,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

NOW = dt.datetime(2026, 4, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(scope="module")
def program(django_db_setup, django_db_blocker):
    """Acme's Manila agent M1 in March: 30 hate-speech audits (27 pass, 2 procedural fails,
    1 critical policy error) and 12 spam passes; in April 15 more (5 pass). Cebu's C1, C2
    and Manila's M2 have a handful of audits each. Built once for the module, on the frozen
    clock; the people and places below are its."""
    with time_machine.travel(NOW, tick=False):
        yield from rows_for_every_test(django_db_blocker, build_program)


manager, auditor, vendor_a, site_a, workflow = answered_from_the_program(**PROGRAMS_OWN)


def build_program():
    program = acme_people_and_places()
    auditor, workflow, spam = program["auditor"], program["hate"], program["spam"]
    site_a, cebu = program["site"], program["cebu"]
    m1 = AgentFactory(site=site_a, external_id="M1")
    batches = []
    audit_batch(
        batches,
        auditor,
        workflow,
        m1,
        population=600,
        handled_at=MARCH,
        passed=27,
        failed=2,
        critical=1,
    )
    audit_batch(batches, auditor, spam, m1, population=300, handled_at=MARCH, passed=12)
    audit_batch(
        batches, auditor, workflow, m1, population=400, handled_at=APRIL, passed=5, failed=10
    )
    for external_id, site, passed in (("M2", site_a, 4), ("C1", cebu, 3), ("C2", cebu, 4)):
        audit_batch(
            batches,
            auditor,
            workflow,
            AgentFactory(site=site, external_id=external_id),
            population=50,
            handled_at=MARCH,
            passed=passed,
            failed=1,
        )
    rebuild_rollups()
    return {**program, "m1": m1}


def agent_page(client, vendor, agent="M1", **params):
    query = {"period": "month", "date": "2026-03-01", "agent": agent, **params}
    return client.get(reverse("scorecards:scorecard", args=[vendor.slug]), query)


def listed_audits(response) -> list[int]:
    return [audit.pk for audit, _ in response.context["audit_rows"]]


def test_each_headline_shows_the_counts_beside_the_estimate(client_as, manager, vendor_a, program):
    response = agent_page(client_as(manager), vendor_a)
    assert response.status_code == 200
    html = response.content.decode()
    headline = {h.metric: h for h in response.context["card"].headlines}
    assert headline["accuracy"].audits == 42
    assert headline["accuracy"].counted == "39 of 42 passed"
    assert headline["critical_error_rate"].counted == "1 of 42 with a critical error"
    assert headline["policy_accuracy"].counted == "41 of 42 without a policy error"
    accuracy_card = re.search(r'id="headline-accuracy".*?</div>\s*</div>', html, re.S).group(0)
    assert "39 of 42 passed" in accuracy_card and "n 42" in accuracy_card


def test_the_counts_follow_the_period_and_the_workflow(client_as, manager, vendor_a, program):
    client = client_as(manager)
    april = agent_page(client, vendor_a, date="2026-04-01")
    assert april.context["card"].headlines[0].counted == "5 of 15 passed"
    spam = agent_page(client, vendor_a, workflow=program["spam"].slug)
    assert spam.context["card"].headlines[0].counted == "12 of 12 passed"


def test_the_agents_audits_are_listed_newest_first_in_pages_with_links(
    client_as, manager, vendor_a, program
):
    client = client_as(manager)
    first = agent_page(client, vendor_a)
    assert first.context["page_obj"].paginator.count == 42
    assert len(listed_audits(first)) == 25
    second = agent_page(client, vendor_a, page=2)
    assert len(listed_audits(second)) == 17
    assert not set(listed_audits(first)) & set(listed_audits(second))
    handled = [audit.ticket.handled_at for audit, _ in first.context["audit_rows"]]
    assert handled == sorted(handled, reverse=True)
    html = first.content.decode()
    pk = listed_audits(first)[0]
    assert f'href="{reverse("audits:audit_detail", args=[pk])}"' in html
    # Another agent's and another month's audits are not M1's March.
    april = agent_page(client, vendor_a, date="2026-04-01")
    assert april.context["page_obj"].paginator.count == 15
    assert not set(listed_audits(april)) & set(listed_audits(first))


def test_the_audit_list_filters_by_result_and_error_category(client_as, manager, vendor_a, program):
    client = client_as(manager)

    def count(**filters):
        response = agent_page(client, vendor_a, **filters)
        assert response.status_code == 200
        return response.context["page_obj"].paginator.count

    assert count(result="failed") == 3
    assert count(result="passed") == 39
    assert count(category="policy-error") == 1
    assert count(category="procedural") == 2
    assert count(result="passed", category="procedural") == 0
    failed = agent_page(client, vendor_a, result="failed")
    assert all(audit.passed is False for audit, _ in failed.context["audit_rows"])
    names = {tuple(categories) for _, categories in failed.context["audit_rows"]}
    assert names == {("Policy error",), ("Procedural",)}
    # The period picker keeps the filter.
    assert failed.context["keep"]["result"] == "failed"
    assert "result=failed" in failed.context["next_query"]


def test_a_bad_filter_is_a_400_naming_the_field(client_as, manager, vendor_a, program):
    client = client_as(manager)
    for filters, field in (
        ({"result": "maybe"}, "Result"),
        ({"category": "no-such-theme"}, "Error category"),
    ):
        response = agent_page(client, vendor_a, **filters)
        assert response.status_code == 400
        errors = re.search(
            r'id="agent-audit-filter-errors".*?</div>', response.content.decode(), re.S
        ).group(0)
        assert f"{field}:" in errors


def test_the_coaching_history_shows_status_due_and_follow_up(
    client_as, manager, vendor_a, program, poc_a
):
    m1 = program["m1"]
    policy = ErrorCategory.objects.get(slug="policy-error")
    done = actions.open_action(
        manager, agent=m1, category=policy, title="Reclaimed slurs", due_date=dt.date(2026, 4, 1)
    )
    actions.complete(done, poc_a, "One-to-one session.")
    pending = actions.open_action(
        manager, agent=m1, category=policy, title="Escalations", due_date=dt.date(2026, 4, 10)
    )
    other = AgentFactory(site=m1.site, external_id="M9")
    actions.open_action(
        manager, agent=other, category=policy, title="Not M1's", due_date=dt.date(2026, 5, 1)
    )

    response = agent_page(client_as(manager), vendor_a)
    history = response.context["coaching_history"]
    assert [action.title for action, _ in history] == ["Escalations", "Reclaimed slurs"]
    assert history[0][1] is None  # not completed: nothing measured yet
    assert history[1][1].verdict == "too few audits after"
    rows = re.search(r'id="agent-coaching-list".*?</table>', response.content.decode(), re.S).group(
        0
    )
    assert "Not M1" not in rows
    assert f'href="{reverse("coaching:action_detail", args=[pending.pk])}"' in rows
    assert "10 Apr 2026" in rows and "overdue" in rows  # due 10 April, today is 20 April
    assert "too few audits after" in rows and "Completed" in rows


def test_the_open_coaching_button_prefills_the_agent(client_as, manager, vendor_a, program):
    client = client_as(manager)
    response = agent_page(client, vendor_a, workflow=program["hate"].slug, category="procedural")
    link = re.search(r'id="open-coaching" href="([^"]+)"', response.content.decode()).group(1)
    link = link.replace("&amp;", "&")
    assert link.startswith(reverse("coaching:action_new") + "?")
    for part in (
        "vendor=acme",
        "agent=M1",
        f"workflow={program['hate'].slug}",
        "category=procedural",
    ):
        assert part in link
    form = client.get(link)
    assert form.status_code == 200
    assert "agent M1 (Manila)" in form.content.decode()
    client.post(
        link,
        {
            "title": "Escalations",
            "category": "procedural",
            "workflow": program["hate"].slug,
            "due_date": "2026-05-01",
        },
    )
    action = CoachingAction.objects.get()
    assert (action.level, action.agent, action.site, action.workflow) == (
        Level.AGENT,
        program["m1"],
        program["m1"].site,
        program["hate"],
    )


def test_a_failed_audit_row_links_to_coaching_from_that_audit(
    client_as, manager, vendor_a, program
):
    client = client_as(manager)
    response = agent_page(client, vendor_a, result="failed")
    html = response.content.decode()
    for pk in listed_audits(response):
        assert f'{reverse("coaching:action_new")}?audits={pk}"' in html
    passed = agent_page(client, vendor_a, result="passed", workflow="spam-en")
    assert "coach-link" not in passed.content.decode()


def test_the_breakdown_folds_agents_with_too_few_audits_into_one_line(
    client_as, manager, vendor_a, site_a, program
):
    client = client_as(manager)
    url = reverse("scorecards:scorecard", args=[vendor_a.slug])
    query = {"period": "month", "date": "2026-03-01", "workflow": program["hate"].slug}
    cebu = client.get(url, {**query, "site": "cebu"})
    card = cebu.context["card"]
    assert card.level == "agent" and card.estimated_children == []
    assert [child.name for child in card.thin_children] == ["C1 (Cebu)", "C2 (Cebu)"]
    table = re.search(r'id="breakdown".*?</table>', cebu.content.decode(), re.S).group(0)
    folded = re.search(r'id="breakdown-too-few".*?</tr>', table, re.S).group(0)
    assert "2 agents with too few audits to estimate" in folded
    assert "<details>" in folded and "C1 (Cebu)" in folded and "n 4" in folded
    assert "too few audits (n" not in table  # one line, not a cell per agent
    manila = client.get(url, {**query, "site": "manila"})
    rows = re.search(r'id="breakdown".*?</table>', manila.content.decode(), re.S).group(0)
    assert "1 agent with too few audits to estimate" in rows
    assert rows.count("<tr") == 3  # the header, M1, the folded line
    download = client.get(url, {**query, "site": "cebu", "format": "csv", "table": "breakdown"})
    assert download.content.decode("utf-8-sig").count("too few audits") == 2


def test_the_error_themes_breakdown_folds_sites_with_too_few_audits(
    client_as, manager, vendor_a, program
):
    response = client_as(manager).get(
        reverse("scorecards:gaps"),
        {"period": "month", "date": "2026-03-01", "vendor": vendor_a.slug},
    )
    assert [row.label for row, _, _ in response.context["breakdown_rows"]] == ["Manila"]
    assert [row.label for row, _ in response.context["thin_rows"]] == ["Cebu"]
    html = response.content.decode()
    folded = re.search(r'id="breakdown-too-few".*?</tr>', html, re.S).group(0)
    assert "1 site with too few audits to estimate" in folded and "Cebu" in folded


def test_an_error_theme_and_its_audit_list_open_coaching_for_their_scope(
    client_as, manager, vendor_a, program
):
    client = client_as(manager)
    month = {"period": "month", "date": "2026-03-01"}
    new = reverse("coaching:action_new")
    themes = client.get(reverse("scorecards:gaps"), {**month, "vendor": "acme", "site": "manila"})
    assert themes.context["coaching_links"]["procedural"] == (
        f"{new}?vendor=acme&site=manila&category=procedural"
    )
    assert (
        'href="{}"'.format(themes.context["coaching_links"]["procedural"].replace("&", "&amp;"))
        in themes.content.decode()
    )
    # Program-wide, the theme's link asks for the subject and keeps the theme.
    program_wide = client.get(reverse("scorecards:gaps"), month)
    link = program_wide.context["coaching_links"]["procedural"]
    assert link == f"{new}?category=procedural"
    picker = client.get(link).content.decode()
    assert 'id="coaching-subject"' in picker
    assert '<input type="hidden" name="category" value="procedural">' in picker

    audits_url = reverse("scorecards:gap_audits", args=["procedural"])
    listed = client.get(audits_url, {**month, "vendor": "acme", "agent": "M1"})
    html = listed.content.decode()
    button = re.search(r'id="open-coaching" href="([^"]+)"', html).group(1)
    assert button.replace("&amp;", "&") == f"{new}?vendor=acme&agent=M1&category=procedural"
    rows = list(listed.context["page_obj"].object_list)
    assert len(rows) == 2
    for audit in rows:
        assert f'{new}?audits={audit.pk}&amp;category=procedural"' in html
    form = client.get(f"{new}?audits={rows[0].pk}&category=procedural").content.decode()
    assert 'value="procedural" selected' in form and "agent M1 (Manila)" in form


def test_the_agent_page_reads_as_many_queries_whatever_the_audits_and_open_actions(
    client_as, manager, vendor_a, program
):
    client = client_as(manager)

    def count(**params):
        with CaptureQueriesContext(connection) as queries:
            assert agent_page(client, vendor_a, **params).status_code == 200
        return len(queries)

    count()  # the scorecard's numbers are cached from here on (scorecards.page_cache)
    full = count()  # 25 audits listed, some with errors
    assert count(result="failed") == full  # 3 listed, all with errors
    policy = ErrorCategory.objects.get(slug="policy-error")
    for n in range(3):
        actions.open_action(
            manager,
            agent=program["m1"],
            category=policy,
            title=f"Open {n}",
            due_date=dt.date(2026, 5, 1),
        )
    assert count() == full
