"""Opening audits: a drawn run's assignments become audits in the auditors' queues (on
``sampling.events.run_drawn``), one assignment on demand, or an ad-hoc audit of a ticket found by
id. ``audits.lifecycle`` re-exports these. Events: docs/architecture.md#layers-and-events.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit_forms.models import FormVersion
from sampling.models import SampledTicket, SampleRun
from tickets.models import Ticket

from .models import Audit, AuditEvent, AuditStatus
from .steps import LifecycleError, NotPermitted, is_lead, record_event, save_audit


def open_assigned_audits(run) -> int:
    """Open an assigned audit for every assigned ticket of ``run`` without one (idempotent), with
    the published version of the plan's form, else of a form used for the ticket's workflow;
    tickets without a published form wait. Returns how many were opened.
    """
    with transaction.atomic():
        return len(_open(SampledTicket.objects.filter(run=run), run.plan, run.pk))


def open_drawn_run(run, **signal) -> None:
    """On ``sampling.events.run_drawn``, sent once the draw has committed: open the run's audits."""
    open_assigned_audits(run)


def open_assignment(sampled_ticket, user) -> Audit:
    """The audit of one assignment, opened now if need be (the API's "create from an
    assignment"): only the assigned auditor or a lead may."""
    if not (sampled_ticket.auditor_id == getattr(user, "pk", None) or is_lead(user)):
        raise NotPermitted("Only the assigned auditor or a lead can open this assignment.")
    if sampled_ticket.auditor_id is None:
        raise LifecycleError("This sampled ticket has no auditor yet: assign it first.")
    with transaction.atomic():
        run = sampled_ticket.run
        _open(SampledTicket.objects.filter(pk=sampled_ticket.pk), run.plan, run.pk)
        audit = Audit.objects.filter(sampled_ticket=sampled_ticket).first()
    if audit is None:
        raise LifecycleError(
            f"No published form is used for the workflow of ticket {sampled_ticket.ticket}."
        )
    return audit


def _open(assignments, plan, run_pk: int) -> list[Audit]:
    """Open audits for the assigned, not yet opened ``assignments``. The run's row is locked first,
    so a second worker finds nothing left instead of colliding on the one-to-one link."""
    SampleRun.objects.select_for_update().filter(pk=run_pk).exists()
    pending = list(
        assignments.select_for_update(of=("self",))
        .filter(auditor__isnull=False, audit__isnull=True)
        .values("pk", "ticket_id", "ticket__workflow_id", "auditor_id", "assigned_at", "due_at")
        .order_by("pk")
    )
    if not pending:
        return []
    versions = _published_versions(plan, {row["ticket__workflow_id"] for row in pending})
    now = timezone.now()
    audits = [
        Audit(
            ticket_id=row["ticket_id"],
            form_version_id=versions[row["ticket__workflow_id"]],
            auditor_id=row["auditor_id"],
            sampled_ticket_id=row["pk"],
            status=AuditStatus.ASSIGNED,
            assigned_at=row["assigned_at"] or now,
            due_at=row["due_at"],
        )
        for row in pending
        if row["ticket__workflow_id"] in versions
    ]
    created = Audit.objects.bulk_create(audits, batch_size=500)
    if created and created[0].pk is None:  # backends that return no ids on bulk insert
        created = list(Audit.objects.filter(
            sampled_ticket_id__in=[audit.sampled_ticket_id for audit in audits]
        ))
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(audit=audit, at=now, kind=AuditEvent.Kind.ASSIGNED,
                       to_status=AuditStatus.ASSIGNED, details={"run": run_pk})
            for audit in created
        ],
        batch_size=500,
    )
    return created


def _published_versions(plan, workflow_ids: set[int]) -> dict[int, int]:
    """Workflow id → id of the published form version to score its tickets with."""
    published = FormVersion.objects.published()
    # The plan's own form wins; the attribute is optional until plans carry one.
    form_id = getattr(plan, "form_id", None)
    if form_id:
        version_id = published.filter(form_id=form_id).values_list("pk", flat=True).first()
        return dict.fromkeys(workflow_ids, version_id) if version_id else {}
    rows = (
        published.filter(form__workflows__in=workflow_ids)
        .order_by("-published_at", "-pk")
        .values_list("form__workflows", "pk")
    )
    versions: dict[int, int] = {}
    for workflow_id, version_id in rows:
        versions.setdefault(workflow_id, version_id)
    return versions


def start_adhoc_audit(ticket: Ticket, version: FormVersion, user) -> Audit:
    """Start an ad-hoc audit of a ticket found by id, flagged ``unsampled`` so estimates leave it
    out: a person chose the ticket, it was not drawn with a known probability."""
    if not (getattr(user, "is_authenticated", False) and user.is_internal):
        raise NotPermitted("Only QA staff can audit a ticket outside a sample.")
    if version.status != FormVersion.Status.PUBLISHED:
        raise LifecycleError(f"{version} is not published: pick the published version.")
    if not version.form.workflows.filter(pk=ticket.workflow_id).exists():
        raise LifecycleError(f"{version.form} is not used for the workflow {ticket.workflow}.")
    with transaction.atomic():
        existing = Audit.objects.filter(ticket=ticket, form_version=version, unsampled=True).first()
        if existing is not None:
            raise LifecycleError(
                f"Ticket {ticket} already has an ad-hoc audit with {version} (#{existing.pk})."
            )
        now = timezone.now()
        audit = Audit(
            ticket=ticket, form_version=version, auditor=user, unsampled=True,
            status=AuditStatus.IN_PROGRESS, assigned_at=now, started_at=now,
        )
        save_audit(audit, user)
        record_event(audit, user, AuditEvent.Kind.STARTED, "", AuditStatus.IN_PROGRESS,
               details={"ad_hoc": True})
    return audit
