"""tests/conftest.py's people and places for a module whose program is built once
(``rows_for_every_test``), which cannot ask for conftest's function-scoped fixtures: made as
those fixtures make them (the same emails, names and slugs) and keyed by the fixtures' names,
so ``answered_from_the_program(*CONFTESTS_OWN)`` answers the tests that ask for them."""

from accounts.models import Role
from tests.factories import SiteFactory, UserFactory, VendorFactory, WorkflowFactory, enrol_totp

CONFTESTS_OWN = ("manager", "auditor", "workflow", "vendor_a", "site_a", "vendor_b", "site_b")


def two_vendors_people_and_places() -> dict:
    """A program manager, an auditor and the hate-speech workflow; Acme in Manila and
    Borealis in Bogotá."""
    vendor_a = VendorFactory(name="Acme Moderation", slug="acme")
    vendor_b = VendorFactory(name="Borealis Support", slug="borealis")
    return {
        "manager": UserFactory(email="manager@example.com", role=Role.PROGRAM_MANAGER),
        "auditor": UserFactory(email="auditor@example.com", role=Role.QA_AUDITOR),
        "workflow": WorkflowFactory(name="Hate speech (EN)", slug="hate-speech-en"),
        "vendor_a": vendor_a,
        "site_a": SiteFactory(vendor=vendor_a, name="Manila", slug="manila"),
        "vendor_b": vendor_b,
        "site_b": SiteFactory(
            vendor=vendor_b, name="Bogotá", slug="bogota", country="CO", timezone="America/Bogota"
        ),
    }


def vendor_poc(vendor):
    """A POC of ``vendor`` who has enrolled TOTP, as conftest's ``poc_a`` and ``poc_b``."""
    user = UserFactory(email=f"poc@{vendor.slug}.example", role=Role.VENDOR_POC, vendor=vendor)
    user.totp_secret = enrol_totp(user)
    return user
