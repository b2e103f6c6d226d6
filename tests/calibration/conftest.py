"""A calibration world: vendor A's tickets, a published form, two auditors, a lead, and a
QA analyst for each vendor (TOTP enrolled, as vendor users must be)."""

from __future__ import annotations

import pytest

from accounts.models import Role
from calibration import sessions
from tests.audits.workspace_helpers import ALL_GOOD
from tests.factories import AgentFactory, TicketFactory, UserFactory, enrol_totp

__all__ = ["ALL_GOOD"]


@pytest.fixture
def tickets_a(site_a, workflow):
    agent = AgentFactory(site=site_a, external_id="ACME-AGENT-1")
    return [TicketFactory(agent=agent, workflow=workflow, external_id=f"ACME-CAL-{n}")
            for n in range(1, 5)]


@pytest.fixture
def tickets_b(site_b, workflow):
    agent = AgentFactory(site=site_b, external_id="BOR-AGENT-1")
    return [TicketFactory(agent=agent, workflow=workflow, external_id=f"BOR-CAL-{n}")
            for n in range(1, 3)]


@pytest.fixture
def auditor2(db):
    return UserFactory(email="auditor2@example.com", role=Role.QA_AUDITOR)


def _analyst(email, vendor):
    user = UserFactory(email=email, role=Role.VENDOR_QA_ANALYST, vendor=vendor)
    user.totp_secret = enrol_totp(user)
    return user


@pytest.fixture
def analyst_a(vendor_a):
    return _analyst("qa@acme.example", vendor_a)


@pytest.fixture
def analyst_b(vendor_b):
    return _analyst("qa@borealis.example", vendor_b)


@pytest.fixture
def draft_session(version, manager, vendor_a, tickets_a, auditor, auditor2, analyst_a):
    """Vendor A's session: three tickets, two auditors and A's analyst, still a draft."""
    session = sessions.create_session(name="November calibration", form_version=version,
                                      by=manager, vendor=vendor_a)
    sessions.add_picked_items(session, by=manager,
                              external_ids=[t.external_id for t in tickets_a[:3]])
    for person in (auditor, auditor2, analyst_a):
        sessions.invite(session, person, by=manager)
    return session


@pytest.fixture
def open_session(draft_session, manager):
    return sessions.open_session(draft_session, by=manager)


def answers(**changes) -> dict[str, str]:
    return {**ALL_GOOD, **changes}
