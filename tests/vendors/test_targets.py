"""A program manager keeps the contract targets in the app: adds one, edits it, and sees
who changed what in its history. Overlapping periods and out-of-range values are refused
with a message naming the field; vendor users never reach the pages, auditors are refused."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from tests.factories import ContractTargetFactory, UserFactory, WorkflowFactory
from vendors.models import ContractTarget

pytestmark = pytest.mark.django_db

LIST = "/vendors/targets/"
NEW = "/vendors/targets/new/"


def edit_url(target) -> str:
    return f"/vendors/targets/{target.pk}/"


def form_of(target: ContractTarget, **changes) -> dict:
    data = {
        "vendor": target.vendor_id,
        "workflow": target.workflow_id or "",
        "metric": target.metric,
        "direction": target.direction,
        "target_percent": f"{target.target * 100:.2f}",
        "effective_from": target.effective_from.isoformat(),
        "effective_to": target.effective_to.isoformat() if target.effective_to else "",
    }
    data.update(changes)
    return data


@pytest.fixture
def target(vendor_a, workflow, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC), tick=False)
    target = ContractTargetFactory(
        vendor=vendor_a, workflow=workflow, target="0.9500", effective_from=dt.date(2026, 1, 1)
    )
    target.refresh_from_db()
    return target


@time_machine.travel(dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC), tick=False)
def test_the_manager_sees_every_vendors_targets_and_which_are_in_force(
    client_as, manager, target, vendor_b, workflow
):
    ContractTargetFactory(
        vendor=vendor_b,
        workflow=None,
        target="0.9000",
        effective_from=dt.date(2025, 1, 1),
        effective_to=dt.date(2025, 12, 31),
    )
    ContractTargetFactory(
        vendor=vendor_b, workflow=workflow, target="0.9700", effective_from=dt.date(2027, 1, 1)
    )

    page = client_as(manager).get(LIST).content.decode()

    assert "Acme" in page and vendor_b.name in page
    assert "95.0%" in page and "90.0%" in page and "97.0%" in page
    assert "In force" in page and "Ended" in page and "Starts 1 Jan 2027" in page
    only_b = client_as(manager).get(LIST, {"vendor": vendor_b.slug}).content.decode()
    assert "95.0%" not in only_b and "97.0%" in only_b


def test_a_manager_adds_a_target_as_a_percentage(client_as, manager, vendor_a, workflow):
    response = client_as(manager).post(
        NEW,
        {
            "vendor": vendor_a.pk,
            "workflow": workflow.pk,
            "metric": "critical_error_rate",
            "direction": "at_most",
            "target_percent": "1.5",
            "effective_from": "2027-01-01",
            "effective_to": "",
            "reason": "Contract amendment 3",
        },
    )

    created = ContractTarget.objects.get(vendor=vendor_a, metric="critical_error_rate")
    assert response.status_code == 302 and response["Location"] == edit_url(created)
    assert created.target == Decimal("0.0150") and created.effective_to is None
    [record] = created.history.all()
    assert record.history_user == manager
    assert record.history_change_reason == "Contract amendment 3"


def test_an_edit_is_kept_in_the_history_with_who_when_and_old_to_new(
    client_as, manager, target, time_machine
):
    lead = UserFactory(email="lead@example.com", role=Role.PROGRAM_MANAGER)
    time_machine.move_to(dt.datetime(2026, 11, 17, 8, 0, tzinfo=dt.UTC), tick=False)
    client_as(manager).post(edit_url(target), form_of(target, target_percent="95"))
    time_machine.move_to(dt.datetime(2026, 11, 18, 9, 30, tzinfo=dt.UTC), tick=False)
    response = client_as(lead).post(
        edit_url(target),
        form_of(target, target_percent="96.5", effective_to="2026-12-31", reason="Renegotiated"),
    )
    assert response.status_code == 302

    target.refresh_from_db()
    assert target.target == Decimal("0.9650") and target.effective_to == dt.date(2026, 12, 31)
    page = client_as(manager).get(edit_url(target)).content.decode()
    history = page[page.index('id="history"') :]
    assert (
        "<strong>18 Nov 2026 09:30</strong> · lead@example.com · Changed · “Renegotiated”"
        in history
    )
    assert "<del>95.0%</del> → <ins>96.5%</ins>" in history
    assert "Effective to: <del>open</del> → <ins>31 Dec 2026</ins>" in history
    # The manager's save changed nothing, so it adds no line of changes.
    assert history.count("Changed") == 1


def test_the_edit_form_offers_the_stored_target_as_a_percentage(client_as, manager, target):
    page = client_as(manager).get(edit_url(target)).content.decode()
    assert 'name="target_percent" value="95.00"' in page


def test_the_vendor_of_a_target_cannot_be_changed(client_as, manager, target, vendor_b):
    client_as(manager).post(
        edit_url(target), form_of(target, vendor=vendor_b.pk, target_percent="90")
    )
    target.refresh_from_db()
    assert target.vendor.slug == "acme" and target.target == Decimal("0.9000")


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"target_percent": "101"}, "Target (%)", "less than or equal to 100"),
        ({"target_percent": "-1"}, "Target (%)", "greater than or equal to 0"),
        ({"target_percent": "ninety"}, "Target (%)", "Enter a number"),
        ({"effective_from": "2026-13-40"}, "Effective from", "Enter a valid date"),
        ({"effective_to": "2025-12-31"}, "Effective to", "on or after the start date"),
        ({"metric": "speed"}, "Metric", "Select a valid choice"),
    ],
)
def test_bad_input_is_a_form_error_naming_the_field(
    client_as, manager, vendor_a, workflow, changes, field, message
):
    data = {
        "vendor": vendor_a.pk,
        "workflow": workflow.pk,
        "metric": "accuracy",
        "direction": "at_least",
        "target_percent": "95",
        "effective_from": "2026-01-01",
        "effective_to": "",
    }
    response = client_as(manager).post(NEW, {**data, **changes})

    assert response.status_code == 400
    page = response.content.decode()
    assert f"<strong>{field}</strong>" in page and message in page
    assert not ContractTarget.objects.exists()


def test_a_target_overlapping_another_of_the_same_vendor_workflow_and_metric_is_refused(
    client_as, manager, target, vendor_a, workflow
):
    client = client_as(manager)
    clash = {
        "vendor": vendor_a.pk,
        "workflow": workflow.pk,
        "metric": "accuracy",
        "direction": "at_least",
        "target_percent": "97",
        "effective_from": "2026-06-01",
        "effective_to": "2026-06-30",
    }

    response = client.post(NEW, clash)

    assert response.status_code == 400
    page = response.content.decode()
    assert "<strong>Effective from</strong>" in page
    assert "overlap another accuracy (share of audits passed) target of Acme" in page
    assert "1 Jan 2026 to open-ended, 95.0%" in page
    assert ContractTarget.objects.count() == 1
    # Another workflow, another metric, or the first target ended before: all fine.
    other = WorkflowFactory()
    assert client.post(NEW, {**clash, "workflow": other.pk}).status_code == 302
    assert client.post(NEW, {**clash, "metric": "policy_accuracy"}).status_code == 302
    client.post(edit_url(target), form_of(target, effective_to="2026-05-31"))
    assert client.post(NEW, clash).status_code == 302
    # ...and the ended one cannot be stretched over the new one.
    response = client.post(edit_url(target), form_of(target, effective_to="2026-06-15"))
    assert response.status_code == 400 and "1 Jun 2026 to 30 Jun 2026" in response.content.decode()


def test_vendor_users_find_no_target_pages_and_auditors_are_refused(
    client_as, poc_a, auditor, target
):
    for url in (LIST, NEW, edit_url(target)):
        assert client_as(poc_a).get(url).status_code == 404, url
        assert client_as(poc_a).post(url, form_of(target)).status_code == 404, url
        assert client_as(auditor).get(url).status_code == 403, url
        assert client_as(auditor).post(url, form_of(target, target_percent="10")).status_code == 403
    target.refresh_from_db()
    assert target.target == Decimal("0.9500")


def test_an_unknown_target_is_a_404(client_as, manager):
    assert client_as(manager).get("/vendors/targets/999999/").status_code == 404


def test_the_target_list_costs_the_same_queries_for_many_targets(client_as, manager, vendor_a):
    client = client_as(manager)

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    ContractTargetFactory(vendor=vendor_a)
    few = queries_for_list()
    for _ in range(5):
        ContractTargetFactory(vendor=vendor_a)
    assert queries_for_list() == few


def test_a_vendors_page_leads_a_manager_to_its_targets_and_a_poc_nowhere(
    client_as, manager, poc_a, vendor_a
):
    link = f'href="/vendors/targets/?vendor={vendor_a.slug}"'
    assert link in client_as(manager).get(f"/vendors/{vendor_a.slug}/").content.decode()
    own = client_as(poc_a).get(f"/vendors/{vendor_a.slug}/")
    assert own.status_code == 200 and link not in own.content.decode()
