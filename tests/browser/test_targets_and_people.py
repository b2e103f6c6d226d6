"""In a real browser: a program manager finds the contract targets in the navigation,
raises a vendor's accuracy target, and sees the change in the target's history."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.factories import ContractTargetFactory
from vendors.models import ContractTarget

pytestmark = pytest.mark.browser


def test_a_manager_edits_a_contract_target_and_sees_the_change_in_its_history(
    page, signed_in, manager, vendor_a, workflow
):
    target = ContractTargetFactory(
        vendor=vendor_a, workflow=workflow, target="0.9500", effective_from=dt.date(2026, 1, 1)
    )
    # The live server's first answer loads the URLconf and templates: on a busy 2-core
    # machine that alone can pass the tab's 10-second default.
    signed_in(manager)
    page.goto("/", timeout=60_000)

    page.get_by_text("Manage", exact=True).click()
    page.get_by_role("link", name="Targets", exact=True).click()
    expect(page).to_have_url(re.compile(r"/vendors/targets/$"))
    row = page.get_by_role("row").filter(has_text="Hate speech (EN)")
    expect(row).to_contain_text("at least 95.0%")
    row.get_by_role("link", name="Edit").click()

    percent = page.get_by_label("Target (%)")
    expect(percent).to_have_value("95.00")
    percent.fill("96.5")
    page.get_by_label("Why (kept in the history)").fill("Contract amendment 3")
    page.get_by_role("button", name="Save changes").click()

    expect(page.locator(".messages")).to_contain_text("Saved")
    target = ContractTarget.objects.get(pk=target.pk)
    assert target.target == Decimal("0.9650")
    history = page.locator("#history li").first
    expect(history).to_contain_text(f"{manager.email} · Changed · “Contract amendment 3”")
    expect(history).to_contain_text("Target: 95.0% → 96.5%")

    # A bad value is refused on the page, naming the field; nothing changes.
    page.get_by_label("Target (%)").fill("150")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert")).to_contain_text("Target (%): Ensure this value is less")
    assert ContractTarget.objects.get(pk=target.pk).target == Decimal("0.9650")
