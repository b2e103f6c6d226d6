"""The demo's sampling program: two plans, their runs over past weeks, and how the audits of
those runs came out.

Runs are drawn with the real domain functions (``request_run`` + ``draw_sample``, in
process), so every number on a run page is what the engine would have drawn. The audits of
past runs are then scored in bulk: answers are generated per ticket, scored with the ONE
scoring function (``audit_forms.scoring.score_audit``) and written with their lifecycle events
and a history row each. Going through ``audits.lifecycle.submit_audit`` one audit at a time
would cost a dozen queries per audit (row lock, form reload, event, history, assignment) —
tens of seconds for a few thousand audits — for the same stored result.

The error patterns are the ones a program manager should be able to find in the pages (the
truth is ``fail_rate``): Acme is the strong vendor (~2 % of audits fail, against ~4 % at
the others); Borealis is weak on hate speech (accuracy ~80 %); the Nairobi site improves
week on week (error rate ~20 % eight weeks ago, ~3 % now); and three weeks ago a guidelines
update was not rolled out at Kestrel's Kraków site, whose error rate jumped to ~35 % for that
week only (policy-label errors), an out-of-control week on the vendor's p-chart. About a
quarter of the other errors are critical (the wrong action); the rest spread over the demo's
error taxonomy with a few categories dominating (``FAILURES``), and every answer in error
carries the auditor's comment.

Both plans cover all eight weeks of tickets with audits enough for weekly intervals (about
150 a week for a mid-sized vendor): a daily vendor × workflow draw of the actioned tickets,
and a weekly site review of the "keep" decisions sized per site, so its audits weigh about as
much as the daily ones. Their populations are disjoint, so each plan's N is the whole of its
filter (the engine would leave out of one plan's population any ticket the other drew, so
no ticket is ever audited twice). Every random choice is seeded by the ticket and plan, and
every step only adds what is missing, so seeding twice changes nothing.

The newest runs (the last week's daily draws and the newest weekly one) are drawn by
``seed_recent``, after the built-in risk model has learned from the finalised audits and scored
every ticket: like a program that adopted the model a week ago, those draws keep the scores they
drew on, so the latest weeks' scorecards show the AI-assisted interval beside the classical one.
Their audits are not final yet, so the model learns from the same audits either way. A third,
risk-weighted plan (drawn on request, so it never competes with the other two) shows how a
plan spends its audits where the model expects errors.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from accounts.models import Role, User
from audit_forms.models import FormVersion
from audit_forms.scoring import score_audit
from audits.lifecycle import save_draft
from audits.models import SCORED_STATUSES, Audit, AuditEvent, AuditStatus
from demo.forms import ERROR_ANSWERS
from demo.taxonomy import auditor_comment
from demo.tickets import DECISIONS_BY_AREA, MODERATION_DECISIONS, POLICY_LABELS
from rollups.periods import monday
from sampling.drawing import draw_sample
from sampling.models import SampledTicket, SampleRun, SamplingPlan
from sampling.population import resolve_window
from sampling.scheduling import sync_plan_schedule
from sampling.tasks import request_run

DAILY_RUNS = 56  # daily draws over the whole eight weeks of tickets
WEEKLY_RUNS = 8
# Of those, the newest, drawn on the scored population (seed_recent): none of their audits is
# final (FINAL_AFTER), so none of them is training data for the model.
RECENT_DAILY_RUNS = 7
RECENT_WEEKLY_RUNS = 1
OPEN_SHARE = 0.4  # of the newest daily run, still waiting in the auditors' queues
FINAL_AFTER = dt.timedelta(days=7)  # older submitted audits have been finalised by a lead

# The demo's truth (see fail_rate): the chance that an audit finds a failing error.
BASE_FAIL_RATE = 0.04
VENDOR_FAIL_RATES = {"acme": 0.02}  # the strong vendor, comfortably above its targets
WEAK = ("borealis", "Hate speech", 0.20)  # vendor, policy area, fail rate
IMPROVING = ("nairobi", 0.20, 0.03)  # site, fail rate eight weeks ago, fail rate now
# Out of control: the site whose guidelines update was not rolled out, how many weeks before
# the current one (Monday UTC, the scorecards' week) and its fail rate that week.
SPIKE = ("kestrel", "krakow", 3, 0.35)
# The two plans sample disjoint populations (actions taken; "keep" decisions), so neither
# leaves anything out for the other: the engine never draws a ticket another run drew, so
# overlapping plans would share their tickets instead (docs/statistics.md).
KEEP = "keep"
ACTIONS = sorted(
    {decision for mix in (MODERATION_DECISIONS, *DECISIONS_BY_AREA.values()) for decision in mix}
    - {KEEP}
)
PLANS = (
    {
        "name": "Daily vendor × workflow",
        "description": "Yesterday's actioned tickets (removals, restrictions, escalations, "
        "support resolutions), every vendor and workflow, ±5 % overall.",
        "decision_types": ACTIONS,
        "strata_keys": ["vendor", "workflow"],
        "window_kind": "yesterday",
        "margin_of_error": Decimal("0.05"),
        "expected_rate": Decimal("0.06"),
        "allocation": "proportional",
        "minimum_per_stratum": 2,
        "audit_due_days": 2,
        "schedule": "daily",
        "schedule_time": dt.time(6, 0),
    },
    {
        "name": "Weekly site review",
        "description": "Last week's 'keep' decisions (no violation found), where missed harm "
        "hides: each site on its own to ±6 %.",
        "decision_types": [KEEP],
        "strata_keys": ["site"],
        "window_kind": "last_week",
        "margin_of_error": Decimal("0.06"),
        "expected_rate": Decimal("0.06"),
        "margin_applies_to": "each_stratum",
        "allocation": "neyman",
        "minimum_per_stratum": 10,
        "audit_due_days": 5,
        "schedule": "weekly",
        "schedule_time": dt.time(7, 0),
        "schedule_weekday": 0,
    },
)
RISK_WEIGHTED_PLAN = {
    "name": "Risk-weighted check",
    "description": "Yesterday's actioned tickets, each vendor on its own, drawn where the "
    "built-in risk model expects errors (estimates weighted back by each ticket's chance). "
    "Drawn on request.",
    "decision_types": ACTIONS,
    "strata_keys": ["vendor"],
    "window_kind": "yesterday",
    "margin_of_error": Decimal("0.08"),
    "expected_rate": Decimal("0.06"),
    "allocation": "proportional",
    "minimum_per_stratum": 5,
    "selection": "risk_weighted",
    "risk_floor": Decimal("0.05"),
    "audit_due_days": 2,
    "schedule": "manual",
}


def weeks_back(handled_at: dt.datetime, now: dt.datetime) -> int:
    """How many scorecard weeks (Monday UTC) before the current one a ticket was handled."""
    return (
        monday(now.astimezone(dt.UTC).date()) - monday(handled_at.astimezone(dt.UTC).date())
    ).days // 7


def fail_rate(
    vendor: str, site: str, policy_area: str, age_days: float, weeks_ago: int | None = None
) -> float:
    """The demo's truth: the chance that an audit of this ticket finds a failing error.

    ``age_days`` is how long ago the ticket was handled, ``weeks_ago`` its week counted back
    from the current one (``weeks_back``)."""
    if in_spike(vendor, site, weeks_ago):
        return SPIKE[3]
    weak_vendor, weak_area, weak_rate = WEAK
    if (vendor, policy_area) == (weak_vendor, weak_area):
        return weak_rate
    improving_site, then, now = IMPROVING
    if site == improving_site:
        return now + (then - now) * min(1.0, max(0.0, age_days / 56))
    return VENDOR_FAIL_RATES.get(vendor, BASE_FAIL_RATE)


def in_spike(vendor: str, site: str, weeks_ago: int | None) -> bool:
    """Whether the ticket was handled at the spike's site in its week (where the retired
    guidelines were still applied, so the errors are wrong policy labels)."""
    return (vendor, site, weeks_ago) == SPIKE[:3]


# How a failing audit's error is spread over the taxonomy, per kind of work: a few categories
# dominate, as in any program (about a quarter of the errors are the critical wrong action).
FAILURES = {
    "moderation": {
        "wrong-action": 0.25,
        "policy-error": 0.24,
        "missed-context": 0.14,
        "enforcement": 0.12,
        "missed-escalation": 0.07,
        "evidence-missing": 0.07,
        "procedural": 0.04,
        "sla-breach": 0.04,
        "wrong-language-routing": 0.03,
    },
    "support": {
        "wrong-action": 0.25,
        "incomplete-resolution": 0.16,
        "policy-error": 0.13,
        "tone": 0.09,
        "customer-experience": 0.08,
        "evidence-missing": 0.07,
        "missed-escalation": 0.06,
        "identity-verification": 0.05,
        "sla-breach": 0.05,
        "procedural": 0.04,
        "wrong-language-routing": 0.02,
    },
}
SECOND_ERROR = 0.15  # share of failing audits with a second, minor error


def _error_category(rng: random.Random, kind: str, decision: str, answers: dict) -> str:
    """One category of the kind's failure mix, among those its answers leave applicable."""
    mix = FAILURES[kind]
    for _ in range(10):  # drawn again when the question is N/A for this ticket
        category = rng.choices(list(mix), weights=list(mix.values()))[0]
        if category == "enforcement":  # a kept post is under-enforced, an actioned one over
            under = decision == KEEP or (decision == "escalate" and rng.random() < 0.5)
            category = "under-enforcement" if under else "over-enforcement"
        if answers.get(ERROR_ANSWERS[category][0], "na") != "na":
            return category
    return "policy-error"


def demo_answers(
    rng: random.Random,
    kind: str,
    decision: str,
    fails: bool,
    policy_error: bool = False,
    policy_area: str = "",
) -> dict[str, str]:
    """Answers to the demo scorecard of ``kind``; a failing set when ``fails``, whose error
    is a wrong policy label when ``policy_error`` (else drawn from ``FAILURES``)."""
    escalation_applies = decision.startswith("escalat") or rng.random() < 0.15
    answers = {
        "correct_action": "yes",
        "policy_label": "pass",
        "documentation": "complete",
        "handling": "on_time",
        "escalation": "yes" if escalation_applies else "na",
    }
    if kind == "support":
        identity_applies = policy_area == "Account recovery" or rng.random() < 0.1
        answers |= {
            "resolved": "yes",
            "identity": "yes" if identity_applies else "na",
            "tone": rng.choice("45555"),
            "macro": rng.choice(["right"] * 4 + ["generic"]),
        }
    else:
        answers |= {"enforcement": "proportionate", "context": "yes"}
    if not fails:
        return answers
    first = "policy-error" if policy_error else _error_category(rng, kind, decision, answers)
    errors = [first]
    if rng.random() < SECOND_ERROR:
        second = _error_category(rng, kind, decision, answers)
        if second != "wrong-action" and ERROR_ANSWERS[second][0] != ERROR_ANSWERS[first][0]:
            errors.append(second)
    for category in errors:
        key, value = ERROR_ANSWERS[category]
        answers[key] = value
    return answers


def demo_comments(rng: random.Random, ticket, answers: dict[str, str]) -> dict[str, str]:
    """The auditor's comment on each answer in error (question key → comment)."""
    area = ticket.workflow.policy_area
    return {
        key: auditor_comment(
            rng,
            category,
            policy_area=area,
            decision=ticket.decision,
            policy_label=ticket.policy_label,
            labels=POLICY_LABELS.get(area, ()),
        )
        for category, (key, value) in ERROR_ANSWERS.items()
        if answers.get(key) == value
    }


def seed_plans(auditors: list[User], by: User | None, specs=PLANS) -> list[SamplingPlan]:
    plans = []
    for spec in specs:
        plan, created = SamplingPlan.objects.get_or_create(
            name=spec["name"], defaults={**spec, "window_timezone": "UTC", "created_by": by}
        )
        if created:
            plan.auditors.set(auditors)
            sync_plan_schedule(plan)
        elif plan.decision_types != spec["decision_types"]:
            # A demo seeded before the plans' populations were made disjoint.
            plan.decision_types, plan.description = spec["decision_types"], spec["description"]
            plan.save(update_fields=["decision_types", "description"])
        plans.append(plan)
    return plans


def draw_past_runs(
    plan: SamplingPlan, count: int, step: dt.timedelta, now, skip_newest: int = 0
) -> list[SampleRun]:
    """The plan's runs for its last ``count`` windows but the ``skip_newest`` newest, oldest
    first, drawn in process; new runs are dated as if drawn when their window closed."""
    runs = []
    for back in range(count - 1, skip_newest - 1, -1):
        window = resolve_window(plan.window_kind, plan.window_timezone, now - back * step)
        run = request_run(plan, window=window, trigger=SampleRun.Trigger.SCHEDULE, enqueue=False)
        if run.status != SampleRun.Status.DONE:
            run = draw_sample(run.pk)
            drawn_at = window.end + dt.timedelta(hours=6)
            SampleRun.objects.filter(pk=run.pk).update(
                created_at=drawn_at, started_at=drawn_at, finished_at=drawn_at
            )
            due_at = drawn_at + dt.timedelta(days=plan.audit_due_days)
            SampledTicket.objects.filter(run=run, auditor__isnull=False).update(
                assigned_at=drawn_at, due_at=due_at
            )
            # The draw opened the assigned audits just now; date them as of the draw too.
            Audit.objects.filter(sampled_ticket__run=run).update(
                assigned_at=drawn_at, due_at=due_at
            )
            AuditEvent.objects.filter(
                audit__sampled_ticket__run=run, kind=AuditEvent.Kind.ASSIGNED
            ).update(at=drawn_at)
        runs.append(run)
    return runs


# What scoring an audit writes (the demo scores the audits a draw opened, in bulk).
SCORED_FIELDS = [
    "form_version",
    "status",
    "answers",
    "comments",
    "score",
    "passed",
    "critical_failed",
    "section_scores",
    "error_categories",
    "errors",
    "error_count",
    "time_spent_seconds",
    "started_at",
    "submitted_at",
    "finalised_at",
]


def score_run(
    run: SampleRun,
    versions: dict[str, FormVersion],
    specs: dict,
    manager,
    now,
    keep_open: float = 0.0,
) -> int:
    """Score in bulk the audits the draw opened that are still only assigned (all of them, or
    when ``keep_open`` is set, all but that share and a few whole strata, chosen by seeded
    draws); returns how many audits were scored."""
    pending = (
        Audit.objects.filter(sampled_ticket__run=run, status=AuditStatus.ASSIGNED)
        .select_related(
            "ticket__vendor", "ticket__site", "ticket__workflow", "sampled_ticket__stratum"
        )
        .order_by("pk")
    )
    audits = []
    for audit in pending:
        ticket = audit.ticket
        rng = random.Random(f"{run.plan.name}|{ticket.external_id}")
        stratum = audit.sampled_ticket.stratum.label
        if rng.random() < keep_open or (keep_open and _untouched(stratum)):
            continue
        kind = ticket.workflow.kind
        age = (now - ticket.handled_at).total_seconds() / 86400
        week = weeks_back(ticket.handled_at, now)
        vendor, site = ticket.vendor.slug, ticket.site.slug
        rate = fail_rate(vendor, site, ticket.workflow.policy_area, age, week)
        answers = demo_answers(
            rng,
            kind,
            ticket.decision,
            rng.random() < rate,
            policy_error=in_spike(vendor, site, week),
            policy_area=ticket.workflow.policy_area,
        )
        result = score_audit(specs[kind], answers)
        started = audit.assigned_at + dt.timedelta(hours=rng.uniform(1, 30))
        spent = int(rng.lognormvariate(5.0, 0.4))
        submitted = min(started + dt.timedelta(seconds=spent), now)
        final = submitted < now - FINAL_AFTER
        audit.form_version = versions[kind]
        audit.status = AuditStatus.FINAL if final else AuditStatus.SUBMITTED
        audit.answers = answers
        audit.comments = demo_comments(rng, ticket, answers)
        audit.score = Decimal(str(result.score)).quantize(Decimal("0.01"))
        audit.passed, audit.critical_failed = result.passed, result.critical_failed
        audit.section_scores = result.section_scores
        audit.error_categories = result.error_categories
        audit.errors, audit.error_count = list(result.errors), len(result.errors)
        audit.time_spent_seconds, audit.started_at, audit.submitted_at = spent, started, submitted
        audit.finalised_at = submitted + dt.timedelta(days=2) if final else None
        audit._history_user = User(pk=audit.auditor_id)
        audits.append(audit)
    if not audits:
        return 0
    _store_scored(audits)
    # The history rows are written in bulk (no fields: history only).
    bulk_update_with_history(audits, Audit, [], batch_size=500, default_change_reason="submitted")
    AuditEvent.objects.bulk_create(_events(audits, manager), batch_size=1000)
    SampledTicket.objects.filter(run=run, audit__status__in=SCORED_STATUSES).update(
        completed_at=Subquery(
            Audit.objects.filter(sampled_ticket=OuterRef("pk")).values("submitted_at")[:1]
        ),
        passed=Subquery(Audit.objects.filter(sampled_ticket=OuterRef("pk")).values("passed")[:1]),
    )
    return len(audits)


def _store_scored(audits: list[Audit]) -> None:
    """Write each audit's ``SCORED_FIELDS``: on PostgreSQL one ``UPDATE … FROM (VALUES …)``
    per thousand audits, elsewhere one parameterised UPDATE sent for every audit at once
    (``executemany``, which PostgreSQL would run as one statement per audit). Django's
    ``bulk_update`` builds a CASE per field and row, and an ORM ``update()`` per audit compiles
    its SQL each time; both cost more than the writes."""
    fields = [Audit._meta.get_field(name) for name in SCORED_FIELDS]
    quote = connection.ops.quote_name
    table = quote(Audit._meta.db_table)
    rows = [
        [audit.pk]
        + [field.get_db_prep_save(getattr(audit, field.attname), connection) for field in fields]
        for audit in audits
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            names = ", ".join(quote(field.column) for field in fields)
            assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}"
                                    for field in fields)
            casts = ", ".join(f"%s::{field.db_type(connection)}" for field in fields)
            execute_values(
                cursor.cursor,
                f"UPDATE {table} SET {assignments} FROM (VALUES %s) AS v (id, {names}) "
                f"WHERE {table}.{quote('id')} = v.id",
                rows, template=f"(%s, {casts})", page_size=1000,
            )
            return
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {quote('id')} = %s",
                           [row[1:] + row[:1] for row in rows])


def _untouched(stratum_label: str) -> bool:
    """About one stratum in eight of the newest run has no audit done yet, so its report
    shows what an uncovered stratum looks like."""
    return random.Random(f"untouched|{stratum_label}").random() < 0.125


def _events(audits: list[Audit], manager) -> list[AuditEvent]:
    """The rest of the trail each scored audit would have had after the draw assigned it:
    started, submitted, finalised."""
    S = AuditStatus
    events = []
    for audit in audits:
        by = audit.auditor_id
        events += [
            AuditEvent(
                audit=audit,
                at=audit.started_at,
                by_id=by,
                kind=AuditEvent.Kind.STARTED,
                from_status=S.ASSIGNED,
                to_status=S.IN_PROGRESS,
            ),
            AuditEvent(
                audit=audit,
                at=audit.submitted_at,
                by_id=by,
                kind=AuditEvent.Kind.SUBMITTED,
                from_status=S.IN_PROGRESS,
                to_status=S.SUBMITTED,
                details={"score": float(audit.score), "passed": audit.passed},
            ),
        ]
        if audit.finalised_at:
            events.append(
                AuditEvent(
                    audit=audit,
                    at=audit.finalised_at,
                    by=manager,
                    kind=AuditEvent.Kind.FINALISED,
                    from_status=S.SUBMITTED,
                    to_status=S.FINAL,
                )
            )
    return events


def start_one_draft_each(auditors: list[User]) -> None:
    """Each demo auditor has one audit in progress (a half-answered draft), unless they
    already have one: that is what "Continue" on the queue page picks up."""
    for auditor in auditors:
        if Audit.objects.filter(auditor=auditor, status=AuditStatus.IN_PROGRESS).exists():
            continue
        audit = (
            Audit.objects.filter(auditor=auditor, status=AuditStatus.ASSIGNED)
            .order_by("due_at", "pk")
            .first()
        )
        if audit is not None:
            save_draft(audit, auditor, answers={"correct_action": "yes"}, time_spent_seconds=40)


@dataclass(frozen=True)
class _Program:
    """What drawing and scoring the demo's runs needs: the auditors, the manager, the demo
    scorecards' published versions and their specs, per kind of work."""

    auditors: list[User]
    manager: User | None
    versions: dict[str, FormVersion]
    specs: dict

    @classmethod
    def load(cls) -> _Program:
        versions = {
            version.form.workflows.values_list("kind", flat=True).first(): version
            for version in FormVersion.objects.published()
            .filter(form__slug__in=("moderation-scorecard", "support-scorecard"))
            .select_related("form")
        }
        return cls(
            auditors=list(
                User.objects.filter(role=Role.QA_AUDITOR, email__endswith="@demo.qa").order_by(
                    "email"
                )
            ),
            manager=User.objects.filter(
                role=Role.PROGRAM_MANAGER, email__endswith="@demo.qa"
            ).first(),
            versions=versions,
            specs={kind: version.to_spec() for kind, version in versions.items()},
        )


def _counted(seed_part):
    """Wrap a seeding step to return the sample runs and audits it added."""

    @functools.wraps(seed_part)
    def counted(*args, **kwargs) -> dict[str, tuple[int, int]]:
        runs_before, audits_before = SampleRun.objects.count(), Audit.objects.count()
        seed_part(*args, **kwargs)
        runs, audits = SampleRun.objects.count(), Audit.objects.count()
        return {
            "sample runs": (runs - runs_before, runs),
            "audits": (audits - audits_before, audits),
        }

    return counted


@_counted
@transaction.atomic
def seed() -> None:
    """Plans, past runs but the newest (``seed_recent``) and their audits; needs vendors,
    accounts, tickets and forms seeded."""
    now = timezone.now()
    program = _Program.load()
    daily, weekly = seed_plans(program.auditors, program.manager)
    runs = draw_past_runs(daily, DAILY_RUNS, dt.timedelta(days=1), now, RECENT_DAILY_RUNS)
    runs += draw_past_runs(weekly, WEEKLY_RUNS, dt.timedelta(weeks=1), now, RECENT_WEEKLY_RUNS)
    for run in runs:
        score_run(run, program.versions, program.specs, program.manager, now)
    # The bulk scoring bypasses the lifecycle's rollup refresh: seed_demo rebuilds the
    # scorecard cells once every app has seeded (rollups.writer.rebuild_rollups).


@_counted
@transaction.atomic
def seed_recent() -> None:
    """The newest runs and their audits (the newest daily run partly still open), drawn after
    ``demo.risk_model`` scored the tickets so each keeps the scores it drew on; the
    risk-weighted plan; one draft per auditor."""
    now = timezone.now()
    program = _Program.load()
    daily, weekly = seed_plans(program.auditors, program.manager)
    seed_plans(program.auditors, program.manager, specs=(RISK_WEIGHTED_PLAN,))
    runs = draw_past_runs(daily, RECENT_DAILY_RUNS, dt.timedelta(days=1), now)
    newest = runs[-1]
    runs += draw_past_runs(weekly, RECENT_WEEKLY_RUNS, dt.timedelta(weeks=1), now)
    for run in runs:
        keep_open = OPEN_SHARE if run == newest else 0.0
        score_run(run, program.versions, program.specs, program.manager, now, keep_open)
    start_one_draft_each(program.auditors)
