"""Shared fixtures: a small program with two vendors and one person of each role.

Run with DATABASE_URL set to a PostgreSQL URL and the same tests run there; with REDIS_URL
set the Celery tests use a real worker.
"""

import os

import pytest

from accounts.models import Role
from tests.factories import (
    SiteFactory,
    UserFactory,
    VendorFactory,
    WorkflowFactory,
    enrol_totp,
)

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def static_files_without_manifest(settings):
    """The suite runs with DEBUG off, where production serves hashed static files from a
    collectstatic manifest; tests render pages without running collectstatic."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def vendor_a(db):
    return VendorFactory(name="Acme Moderation", slug="acme")


@pytest.fixture
def vendor_b(db):
    return VendorFactory(name="Borealis Support", slug="borealis")


@pytest.fixture
def site_a(vendor_a):
    return SiteFactory(vendor=vendor_a, name="Manila", slug="manila")


@pytest.fixture
def site_b(vendor_b):
    return SiteFactory(
        vendor=vendor_b, name="Bogotá", slug="bogota", country="CO", timezone="America/Bogota"
    )


@pytest.fixture
def workflow(db):
    return WorkflowFactory(name="Hate speech (EN)", slug="hate-speech-en")


@pytest.fixture
def manager(db):
    return UserFactory(email="manager@example.com", role=Role.PROGRAM_MANAGER)


@pytest.fixture
def auditor(db):
    return UserFactory(email="auditor@example.com", role=Role.QA_AUDITOR)


@pytest.fixture
def poc_a(vendor_a):
    """A vendor POC of vendor A who has enrolled TOTP, as every vendor user must."""
    user = UserFactory(email="poc@acme.example", role=Role.VENDOR_POC, vendor=vendor_a)
    user.totp_secret = enrol_totp(user)
    return user


@pytest.fixture
def client_as(client):
    """``client_as(user)`` logs the test client in as ``user`` and returns it."""

    def login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return login


def redis_url() -> str:
    return os.environ.get("REDIS_URL", "")


def on_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


@pytest.fixture(scope="session")
def browser():
    """A real headless Chromium (Debian's package), driven by Playwright."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings):
    """A fresh browser tab pointed at the live test server (plain HTTP, so no SSL redirect)."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def log_in(page):
    """Log in through the real allauth login form; TOTP is answered when asked."""
    from tests.factories import PASSWORD, totp_code

    def login(user):
        page.goto("/accounts/login/")
        page.fill("input[name=login]", user.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        secret = getattr(user, "totp_secret", None)
        if secret:
            page.wait_for_selector("input[name=code]")
            page.fill("input[name=code]", totp_code(secret))
            page.click("form button[type=submit]")
        page.wait_for_load_state()
        return page

    return login
