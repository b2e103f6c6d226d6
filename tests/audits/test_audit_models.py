"""Stories about what the database itself refuses for audits, and the kept history."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from audit_forms.catalog import publish_version
from audit_forms.models import FormVersion
from audits.models import Audit, AuditEvent
from tests.audit_forms.forms_helpers import build_small_form
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(manager) -> FormVersion:
    return publish_version(build_small_form(manager), by=manager)


def refused(**fields) -> bool:
    try:
        with transaction.atomic():
            Audit.objects.create(**fields)
    except IntegrityError:
        return True
    return False


def test_an_audit_without_a_sample_assignment_must_be_flagged_unsampled(version, auditor):
    ticket = TicketFactory()
    assert refused(ticket=ticket, form_version=version, auditor=auditor, unsampled=False)
    audit = Audit.objects.create(
        ticket=ticket, form_version=version, auditor=auditor, unsampled=True
    )
    assert audit.status == "assigned"
    # The same ticket is not audited ad hoc twice with the same form version.
    assert refused(ticket=ticket, form_version=version, auditor=auditor, unsampled=True)


def test_statuses_and_verdicts_are_checked_by_the_database(version, auditor):
    base = {"form_version": version, "auditor": auditor, "unsampled": True}
    assert refused(ticket=TicketFactory(), status="archived", **base)
    assert refused(ticket=TicketFactory(), status="submitted", **base)  # no verdict
    assert refused(
        ticket=TicketFactory(), status="final", passed=True, submitted_at=timezone.now(), **base
    )  # no finalised_at
    assert refused(ticket=TicketFactory(), score=101, **base)
    assert not refused(
        ticket=TicketFactory(),
        status="submitted",
        passed=False,
        score=0,
        submitted_at=timezone.now(),
        **base,
    )


def test_every_saved_change_of_an_audit_is_kept_in_its_history(version, auditor):
    audit = Audit.objects.create(
        ticket=TicketFactory(), form_version=version, auditor=auditor, unsampled=True
    )
    audit.answers = {"right-action": "yes", "policy-cited": "full", "tone": "5"}
    audit.status, audit.score, audit.passed = "submitted", 100, True
    audit.submitted_at = timezone.now()
    audit.save()
    audit.answers["tone"] = "1"
    audit.score = Decimal("91.67")
    audit.save()

    scores = [h.score for h in audit.history.order_by("history_date")]
    assert scores == [None, 100, Decimal("91.67")]
    assert audit.history.earliest("history_date").status == "assigned"


def test_audit_events_are_append_only(version, auditor):
    audit = Audit.objects.create(
        ticket=TicketFactory(), form_version=version, auditor=auditor, unsampled=True
    )
    event = AuditEvent.objects.create(
        audit=audit, by=auditor, kind="started", from_status="assigned", to_status="in_progress"
    )
    event.reason = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.create(audit=audit, by=auditor, kind="reopened")  # no reason


def test_a_form_version_with_audits_cannot_be_deleted(version, auditor):
    Audit.objects.create(
        ticket=TicketFactory(), form_version=version, auditor=auditor, unsampled=True
    )
    with pytest.raises(ProtectedError):
        FormVersion.objects.filter(pk=version.pk).delete()
