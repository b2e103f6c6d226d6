"""Disputes and coaching actions written straight into the tables, as bulk loads do, for the
overview tests that only count queries (the lifecycle's own rules are tested in tests/audits
and tests/coaching)."""

import datetime as dt

from audit_forms.models import ErrorCategory
from audits.models import Audit, AuditStatus, Dispute, DisputedQuestion
from coaching.models import CoachingAction, Level


def open_dispute(audit: Audit, raised_by, at: dt.datetime) -> Dispute:
    """Finalise ``audit`` at ``at`` and open a dispute of its tone question then."""
    Audit.objects.filter(pk=audit.pk).update(status=AuditStatus.DISPUTED, finalised_at=at)
    dispute = Dispute.objects.create(
        audit=audit, raised_by=raised_by, raised_at=at, due_at=at + dt.timedelta(days=3)
    )
    DisputedQuestion.objects.create(dispute=dispute, question_key="tone", reason="Polite.")
    return dispute


def vendor_action(vendor, opened_by, due: dt.date) -> CoachingAction:
    """An open vendor-level coaching action on policy errors, due on ``due``."""
    category, _ = ErrorCategory.objects.get_or_create(
        slug="policy-error", defaults={"name": "Policy error", "kind": "policy"}
    )
    return CoachingAction.objects.create(
        vendor=vendor,
        level=Level.VENDOR,
        category=category,
        title=f"Policy errors at {vendor.name}",
        opened_by=opened_by,
        due_date=due,
    )
