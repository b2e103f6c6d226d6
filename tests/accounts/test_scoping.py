"""A vendor POC sees only their own vendor; staff see everything; strangers see nothing."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured

from accounts.scoping import visible_to
from tests.factories import AgentFactory, TicketFactory, UserFactory
from tickets.models import Ticket
from vendors.models import Agent, Site, Vendor, Workflow


@pytest.fixture
def two_vendor_program(site_a, site_b, workflow):
    agent_a = AgentFactory(site=site_a)
    agent_b = AgentFactory(site=site_b)
    TicketFactory(agent=agent_a, workflow=workflow)
    TicketFactory(agent=agent_b, workflow=workflow)
    return agent_a, agent_b


def test_vendor_poc_sees_only_their_vendor(poc_a, vendor_a, two_vendor_program):
    assert list(visible_to(poc_a, Vendor.objects.all())) == [vendor_a]
    assert {s.vendor for s in visible_to(poc_a, Site.objects.all())} == {vendor_a}
    assert {a.vendor for a in visible_to(poc_a, Agent.objects.all())} == {vendor_a}
    assert {t.vendor for t in visible_to(poc_a, Ticket.objects.all())} == {vendor_a}


def test_workflows_are_shared_reference_data(poc_a, workflow):
    assert list(visible_to(poc_a, Workflow.objects.all())) == [workflow]


@pytest.mark.parametrize("person", ["manager", "auditor"])
def test_internal_staff_see_every_vendor(request, person, two_vendor_program):
    user = request.getfixturevalue(person)
    assert visible_to(user, Ticket.objects.all()).count() == 2


def test_anonymous_inactive_and_roleless_users_see_nothing(db, two_vendor_program, poc_a):
    assert not visible_to(AnonymousUser(), Ticket.objects.all()).exists()
    poc_a.is_active = False
    assert not visible_to(poc_a, Ticket.objects.all()).exists()
    roleless = UserFactory(email="nobody@example.com", role="")
    assert not visible_to(roleless, Ticket.objects.all()).exists()


def test_a_model_that_does_not_say_how_it_belongs_to_a_vendor_is_refused(poc_a):
    from django.contrib.sessions.models import Session

    with pytest.raises(ImproperlyConfigured, match="vendor_path"):
        visible_to(poc_a, Session.objects.all())
