"""Fixtures for the coaching tests: the published form, a POC of vendor B, scored audits."""

import pytest

from accounts.models import Role
from tests.factories import UserFactory


@pytest.fixture
def poc_b(vendor_b):
    return UserFactory(email="poc@borealis.example", role=Role.VENDOR_POC, vendor=vendor_b)
