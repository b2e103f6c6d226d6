"""Fixtures for the notification tests: a published form, POCs of both vendors, a lead who
is not the auditor, and ``finalised(site, answers)`` to make a final audit."""

import pytest

from accounts.models import Role
from audits import lifecycle
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits
from tests.factories import UserFactory

# An audit with a finding: the policy citation failed and the tone was poor.
FLAWED = {**ALL_GOOD, "policy_cited": "fail", "tone": "2"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def poc_a2(vendor_a):
    return UserFactory(email="second-poc@acme.example", role=Role.VENDOR_POC, vendor=vendor_a)


@pytest.fixture
def poc_b(vendor_b):
    return UserFactory(email="poc@borealis.example", role=Role.VENDOR_POC, vendor=vendor_b)


@pytest.fixture
def lead(db):
    return UserFactory(email="lead@example.com", role=Role.PROGRAM_MANAGER)


@pytest.fixture
def finalised(version, auditor, manager, workflow):
    """``finalised(site, answers=FLAWED)``: a submitted audit finalised by the manager."""

    def make(site, answers=FLAWED):
        audit = assigned_audits(auditor, workflow, site=site)[0]
        lifecycle.submit_audit(audit, auditor, answers=answers)
        return lifecycle.finalise_audit(audit, manager)

    return make
