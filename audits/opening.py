"""Opening audits: a drawn run's assignments become audits in the auditors' queues (on
``sampling.events.run_drawn``), one assignment on demand, or an ad-hoc audit of a ticket found by
id. ``audits.lifecycle`` re-exports these. Events: docs/architecture.md#layers-and-events.
"""

from __future__ import annotations

from django.db import connection, transaction
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
        return _open(SampledTicket.objects.filter(run=run), run.plan, run.pk)


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


def _open(assignments, plan, run_pk: int) -> int:
    """Open audits for the assigned, not yet opened ``assignments``; returns how many. The run's
    row is locked first, so a second worker finds nothing left instead of colliding on the
    one-to-one link.

    Set-based: one ``INSERT … SELECT`` writes the audits from the assignments (the ORM's
    compiled query, its rows locked) and, on PostgreSQL, the same statement writes their
    ``assigned`` events: a draw's tens of thousands of audits never pass through Python.
    """
    SampleRun.objects.select_for_update().filter(pk=run_pk).exists()
    plan_version, versions = _published_versions(plan)
    if plan_version is None and not versions:
        return 0
    pending = assignments.select_for_update(of=("self",)).filter(
        auditor__isnull=False, audit__isnull=True
    )
    if plan_version is None:  # a workflow without a published version waits
        pending = pending.filter(ticket__workflow_id__in=sorted(versions))
    pending = pending.values(
        "pk", "ticket_id", "ticket__workflow_id", "auditor_id", "assigned_at", "due_at"
    ).order_by()
    source, source_params = pending.query.sql_with_params()
    qn = connection.ops.quote_name
    p = {name: f"p.{qn(name)}" for name in ("pk", "ticket_id", "auditor_id", "assigned_at",
                                            "due_at", "ticket__workflow_id")}
    if plan_version is not None:
        version = str(int(plan_version))
    else:  # each ticket's workflow's version
        whens = " ".join(f"WHEN {int(w)} THEN {int(v)}" for w, v in versions.items())
        version = f"CASE {p['ticket__workflow_id']} {whens} END"
    now = timezone.now()
    taken = {"ticket": p["ticket_id"], "form_version": version, "auditor": p["auditor_id"],
             "sampled_ticket": p["pk"], "due_at": p["due_at"]}
    columns, cells, params = [], [], []
    for field in Audit._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(qn(field.column))
        if field.name in taken:
            cells.append(taken[field.name])
            continue
        if field.name == "status":
            value = AuditStatus.ASSIGNED
        elif field.name == "assigned_at" or getattr(field, "auto_now", False) or getattr(
            field, "auto_now_add", False
        ):
            value = now
        else:  # every other column as a new Audit() has it
            value = field.get_default()
        cell = _cell(field)
        cells.append(f"COALESCE({p['assigned_at']}, {cell})" if field.name == "assigned_at"
                     else cell)
        params.append(field.get_db_prep_save(value, connection))
    insert = (
        f"INSERT INTO {qn(Audit._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(cells)} FROM ({source}) p ORDER BY {p['pk']}"
    )
    event = {
        "at": now, "by": None, "kind": AuditEvent.Kind.ASSIGNED, "from_status": "",
        "to_status": AuditStatus.ASSIGNED, "reason": "", "details": {"run": run_pk},
    }
    event_fields = [AuditEvent._meta.get_field(name) for name in event]
    event_columns = ", ".join(qn(field.column) for field in event_fields)
    event_cells = ", ".join(_cell(field) for field in event_fields)
    event_params = [field.get_db_prep_save(event[field.name], connection) for field in event_fields]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH opened AS ({insert} RETURNING {qn('id')}) "
                f"INSERT INTO {qn(AuditEvent._meta.db_table)} ({qn('audit_id')}, {event_columns}) "
                f"SELECT {qn('id')}, {event_cells} FROM opened",
                [*params, *source_params, *event_params],
            )
            return cursor.rowcount
        cursor.execute(f"{insert} RETURNING {qn('id')}", [*params, *source_params])
        opened = [row[0] for row in cursor.fetchall()]
    AuditEvent.objects.bulk_create(
        [AuditEvent(audit_id=pk, **event) for pk in opened], batch_size=500
    )
    return len(opened)


def _cell(field) -> str:
    """A parameter placeholder typed as ``field``'s column on PostgreSQL (an untyped parameter
    in a SELECT list would be text); SQLite's columns take the value as it comes."""
    if connection.vendor == "postgresql":
        return f"CAST(%s AS {field.db_type(connection)})"
    return "%s"


def _published_versions(plan) -> tuple[int | None, dict[int, int]]:
    """The published form version to score the plan's tickets with: the plan's own form's, for
    every ticket, else workflow id → the newest published version of a form used for it."""
    published = FormVersion.objects.published()
    # The plan's own form wins; the attribute is optional until plans carry one.
    form_id = getattr(plan, "form_id", None)
    if form_id:
        version_id = published.filter(form_id=form_id).values_list("pk", flat=True).first()
        return version_id, {}
    rows = (
        published.filter(form__workflows__isnull=False)
        .order_by("-published_at", "-pk")
        .values_list("form__workflows", "pk")
    )
    versions: dict[int, int] = {}
    for workflow_id, version_id in rows:
        versions.setdefault(workflow_id, version_id)
    return None, versions


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
