"""The program's events become deliveries: each subscribed endpoint that may see the event gets
one, written in the step's transaction and sent once it commits (eager Celery here). A
vendor-bound endpoint never hears of another vendor's audit, dispute or coaching, nor of
internal events, and never receives the internal fields."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from audit_forms.models import ErrorCategory
from audits import disputes
from audits.disputes import Decision
from calibration import sessions
from coaching import actions
from sampling import events as sampling_events
from sampling.models import SampleRun
from tests.audits.workspace_helpers import sample_run
from tests.factories import AgentFactory, TicketFactory, UserFactory
from tests.webhooks.conftest import SECRET, signature_is_valid
from webhooks import events as webhook_events
from webhooks.endpoints import create_endpoint
from webhooks.events import VENDOR_FACING, announce_overdue_coaching
from webhooks.models import Delivery, DeliveryStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_hook(receiver, manager, vendor_a):
    return create_endpoint(name="Acme's hook", url=receiver.url + "/acme",
                           events=VENDOR_FACING, vendor=vendor_a, by=manager,
                           secret="acme-secret-0123456789")


@pytest.fixture
def borealis_hook(receiver, manager, vendor_b):
    return create_endpoint(name="Borealis's hook", url=receiver.url + "/borealis",
                           events=VENDOR_FACING, vendor=vendor_b, by=manager,
                           secret="borealis-secret-0123456789")


def by_path(receiver) -> dict[str, list]:
    paths: dict[str, list] = {}
    for request in receiver.requests:
        paths.setdefault(request.path, []).append(request.json)
    return paths


def test_a_final_audit_reaches_the_internal_and_its_vendors_endpoints_only(
    endpoint, acme_hook, borealis_hook, receiver, finalised, site_a,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        audit = finalised(site_a)

    got = by_path(receiver)
    assert set(got) == {"/hooks/internal", "/hooks/acme"}
    (internal,), (acme,) = got["/hooks/internal"], got["/hooks/acme"]
    assert internal["event"] == acme["event"] == "audit.finalised"
    assert internal["id"] == acme["id"]
    assert acme["data"]["audit"] == audit.pk
    assert acme["data"]["vendor"] == "acme"
    assert acme["data"]["ticket"]["external_id"] == audit.ticket.external_id
    assert acme["data"]["errors"] == list(audit.errors) != []
    assert acme["data"]["passed"] is audit.passed
    assert acme["data"]["url"] == f"/audits/{audit.pk}/"
    # Who audited is internal: the vendor's endpoint never gets it.
    assert internal["data"]["auditor"] == "auditor@example.com"
    assert "auditor" not in acme["data"]
    (signed,) = [r for r in receiver.requests if r.path == "/hooks/internal"]
    assert signature_is_valid(SECRET, signed)
    assert not Delivery.objects.filter(endpoint=borealis_hook).exists()
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


def test_another_vendors_audit_never_reaches_a_vendor_bound_endpoint(
    acme_hook, borealis_hook, receiver, finalised, site_b, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        finalised(site_b)

    assert list(by_path(receiver)) == ["/hooks/borealis"]
    assert not Delivery.objects.filter(endpoint=acme_hook).exists()


def test_a_step_rolled_back_delivers_nothing(
    endpoint, receiver, finalised, site_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            finalised(site_a)
            raise RuntimeError("the request failed after finalising")

    assert not Delivery.objects.exists()
    assert receiver.requests == []


def test_disputes_raised_and_decided_go_to_the_vendors_endpoint_without_who_did_it(
    acme_hook, borealis_hook, receiver, finalised, site_a, poc_a,
    django_capture_on_commit_callbacks,
):
    lead = UserFactory(email="lead@example.com", role=Role.PROGRAM_MANAGER)
    audit = finalised(site_a)
    with django_capture_on_commit_callbacks(execute=True):
        dispute = disputes.raise_dispute(audit, poc_a, {"policy_cited": "Policy 4.2 is cited."})
    with django_capture_on_commit_callbacks(execute=True):
        disputes.resolve_dispute(
            dispute, lead,
            {"policy_cited": Decision("overturned", "Cited in paragraph two.", "pass")})

    events = [(r["event"], r["data"]) for r in by_path(receiver)["/hooks/acme"]]
    # The first finalisation's delivery was still pending (its step never committed here): it
    # goes first, in order. Deciding finalises the audit again.
    assert [e for e, _ in events] == [
        "audit.finalised", "dispute.raised", "audit.finalised", "dispute.decided"]
    raised, refinalised, decided = events[1][1], events[2][1], events[3][1]
    assert refinalised["score"] == decided["score_after"]
    assert raised["dispute"] == decided["dispute"] == dispute.pk
    assert raised["questions"] == ["policy_cited"]
    assert decided["decisions"] == {"policy_cited": "overturned"}
    assert decided["score_after"] > decided["score_before"]
    for data in (raised, decided):
        assert "raised_by" not in data and "resolved_by" not in data
        assert "Policy 4.2" not in str(data) and "paragraph two" not in str(data)
    assert not Delivery.objects.filter(endpoint=borealis_hook).exists()


def test_coaching_opened_goes_to_its_vendors_endpoint(
    acme_hook, borealis_hook, receiver, manager, vendor_a, version,
    django_capture_on_commit_callbacks,
):
    category = ErrorCategory.objects.get(slug="policy-error")
    with django_capture_on_commit_callbacks(execute=True):
        action = actions.open_action(
            manager, category=category, title="Reclaimed slurs", vendor=vendor_a,
            due_date=timezone.localdate() + dt.timedelta(days=14))

    ((hook, payload),) = [(p, r) for p, rs in by_path(receiver).items() for r in rs]
    assert hook == "/hooks/acme"
    assert payload["event"] == "coaching.opened"
    assert payload["data"]["action"] == action.pk
    assert payload["data"]["title"] == "Reclaimed slurs"
    assert payload["data"]["due_date"] == action.due_date.isoformat()


def test_internal_events_reach_internal_endpoints_only(
    endpoint, acme_hook, receiver, manager, auditor, version, workflow, site_a,
    django_capture_on_commit_callbacks,
):
    run = sample_run("Nightly sample")
    with django_capture_on_commit_callbacks(execute=True):
        sampling_events.run_drawn.send(sender=SampleRun, run=run)

    ticket = TicketFactory(workflow=workflow, agent=AgentFactory(site=site_a))
    session = sessions.create_session(name="December calibration", form_version=version,
                                      by=manager)
    sessions.add_picked_items(session, by=manager, external_ids=[ticket.external_id])
    for person in (auditor, manager):
        sessions.invite(session, person, by=manager)
    sessions.open_session(session, by=manager)
    with django_capture_on_commit_callbacks(execute=True):
        sessions.close_session(session, by=manager)

    got = by_path(receiver)
    assert list(got) == ["/hooks/internal"]
    drawn, closed = got["/hooks/internal"]
    assert (drawn["event"], drawn["data"]["run"], drawn["data"]["plan"]["name"]) == (
        "run.drawn", run.pk, "Nightly sample")
    assert (closed["event"], closed["data"]["session"], closed["data"]["name"]) == (
        "calibration.closed", session.pk, "December calibration")


def test_an_endpoint_gets_only_the_events_it_subscribed_to(
    receiver, manager, finalised, site_a, django_capture_on_commit_callbacks
):
    create_endpoint(name="Disputes only", url=receiver.url + "/disputes",
                    events=["dispute.raised"], by=manager)
    create_endpoint(name="Paused", url=receiver.url + "/paused", events=["audit.finalised"],
                    by=manager, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        finalised(site_a)

    assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_an_overdue_coaching_action_is_announced_once_per_due_date(
    endpoint, acme_hook, borealis_hook, receiver, manager, vendor_a, version,
    django_capture_on_commit_callbacks,
):
    category = ErrorCategory.objects.get(slug="policy-error")
    action = actions.open_action(
        manager, category=category, title="Reclaimed slurs", vendor=vendor_a,
        due_date=timezone.localdate() + dt.timedelta(days=14))
    on_time = action.due_date
    day_after = on_time + dt.timedelta(days=1)

    assert announce_overdue_coaching(today=on_time) == 0  # due today is not overdue
    with django_capture_on_commit_callbacks(execute=True):
        assert announce_overdue_coaching(today=day_after) == 2
    assert announce_overdue_coaching(today=day_after + dt.timedelta(days=1)) == 0
    action.due_date = day_after  # a moved deadline, missed again: news again
    action.save()
    assert announce_overdue_coaching(today=day_after + dt.timedelta(days=1)) == 2

    overdue = Delivery.objects.filter(event="coaching.overdue")
    assert sorted(overdue.values_list("endpoint__name", flat=True)) == [
        "Acme's hook", "Acme's hook", "QA data lake", "QA data lake"]
    got = by_path(receiver)
    # The opening, still pending (nothing committed it), goes first: order per endpoint.
    assert [r["event"] for r in got["/hooks/acme"]] == ["coaching.opened", "coaching.overdue"]
    assert got["/hooks/acme"][-1]["data"]["due_date"] == on_time.isoformat()
    assert "owner" not in got["/hooks/acme"][-1]["data"]


def test_with_no_endpoint_subscribed_an_event_costs_one_query(
    receiver, manager, finalised, site_a, django_assert_num_queries
):
    audit = finalised(site_a)
    create_endpoint(name="Runs only", url=receiver.url, events=["run.drawn"], by=manager)

    with django_assert_num_queries(1):
        webhook_events.on_audit_finalised(audit)
    assert not Delivery.objects.exists()
