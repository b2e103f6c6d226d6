"""In a real browser: people log in through allauth's forms (with a TOTP code for vendor
users) and find their way from the overview to a vendor's sites and agents."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser import keep_a_picture
from tests.factories import AgentFactory, TicketFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def program(site_a, site_b, workflow):
    agent = AgentFactory(site=site_a, external_id="acme-0042")
    for _ in range(3):
        TicketFactory(agent=agent, workflow=workflow)
    for _ in range(2):
        TicketFactory(agent=AgentFactory(site=site_b), workflow=workflow)
    return agent


def test_a_manager_logs_in_lands_on_the_overview_and_drills_from_vendors_to_an_agent(
    page, log_in, manager, program
):
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    keep_a_picture(page, "login")

    log_in(manager)

    expect(page.get_by_role("heading", name="Program overview")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_text("Program", exact=True).click()
    nav.get_by_role("link", name="Vendors").click()
    rows = page.locator("table.data tbody tr")
    expect(rows.filter(has_text="Acme Moderation")).to_contain_text("3")
    expect(rows.filter(has_text="Borealis Support")).to_contain_text("2")

    page.get_by_role("link", name="Acme Moderation").click()
    expect(page).to_have_url(re.compile(r"/vendors/acme/$"))
    expect(page.get_by_role("heading", name="Acme Moderation")).to_be_visible()
    keep_a_picture(page, "vendor")

    page.get_by_role("link", name="Manila").click()
    expect(page.get_by_role("heading", name=re.compile("Manila"))).to_be_visible()

    page.get_by_role("link", name="acme-0042").click()
    expect(page.get_by_role("heading", name="Agent acme-0042")).to_be_visible()
    expect(page.locator("table.data")).to_contain_text("Hate speech (EN)")


def test_a_vendor_poc_logs_in_with_a_totp_code_and_sees_only_their_vendor(
    page, log_in, poc_a, program
):
    log_in(poc_a)

    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_role("heading", name="Acme Moderation")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Borealis")
    keep_a_picture(page, "vendor-poc")

    response = page.goto("/vendors/borealis/")
    assert response.status == 404
    response = page.goto("/vendors/borealis/sites/bogota/")
    assert response.status == 404


def test_a_wrong_totp_code_keeps_the_vendor_poc_out(page, poc_a, program):
    from tests.factories import PASSWORD

    page.goto("/accounts/login/")
    page.fill("input[name=login]", poc_a.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.fill("input[name=code]", "000000")
    page.click("form button[type=submit]")

    expect(page.locator("form.auth-form")).to_contain_text("Incorrect code.")
    # Still half logged in: asking for the vendor page leads back to the code prompt.
    page.goto("/vendors/acme/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    expect(page.get_by_role("heading", name="Acme Moderation")).to_have_count(0)


def test_a_new_vendor_poc_must_enrol_totp_before_seeing_anything(page, vendor_a, site_a):
    from accounts.models import Role
    from tests.factories import PASSWORD, UserFactory, totp_code

    poc = UserFactory(email="new-poc@acme.example", role=Role.VENDOR_POC, vendor=vendor_a)
    page.goto("/accounts/login/")
    page.fill("input[name=login]", poc.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.auth-form button[type=submit]")

    # Straight to enrolment: the password just typed is not asked for a second time.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    keep_a_picture(page, "totp-activate")
    page.goto("/vendors/acme/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    secret = page.input_value("#authenticator_secret")
    page.fill("input[name=code]", totp_code(secret))
    page.click("form.auth-form button[type=submit]")

    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    keep_a_picture(page, "recovery-codes")
    page.get_by_role("link", name="Continue to Acme Moderation's portal").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    page.goto("/accounts/2fa/")
    keep_a_picture(page, "mfa-index")
