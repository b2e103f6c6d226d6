"""The demo's sampling program: two plans, their runs over past weeks, and how the audits of
those runs came out.

Runs are drawn with the real domain functions (``request_run`` + ``draw_sample``, in
process), so every number on a run page is what the engine would have drawn. The audits of
past runs are then scored in bulk: answers are generated per ticket, scored with the ONE
scoring function (``audits.scoring.score_audit``) and written with their lifecycle events
and a history row each. Going through ``audits.lifecycle.submit_audit`` one audit at a time
would cost a dozen queries per audit (row lock, form reload, event, history, assignment) —
tens of seconds for a few thousand audits — for the same stored result.

The error patterns are the ones a program manager should be able to find in the pages (the
truth is ``fail_rate``): Acme is the strong vendor (~2 % of audits fail, against ~4 % at
the others); Borealis is weak on hate speech (accuracy ~80 %); the Nairobi site improves
week on week (error rate ~20 % eight weeks ago, ~3 % now); and three weeks ago a guidelines
update was not rolled out at Kestrel's Kraków site, whose error rate jumped to ~35 % for that
week only (policy-label errors), an out-of-control week on the vendor's p-chart. About a
quarter of the other errors are critical (the wrong action).

Both plans cover all eight weeks of tickets with audits enough for weekly intervals (about
150 a week for a mid-sized vendor): a daily vendor × workflow draw, and a weekly site review
sized per site, so its audits weigh about as much as the daily ones. Every random choice is
seeded by the ticket and plan, and every step only adds what is missing, so seeding twice
changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from accounts.models import Role, User
from audits.lifecycle import save_draft
from audits.models import SCORED_STATUSES, Audit, AuditEvent, AuditStatus, FormVersion
from audits.scoring import score_audit
from scorecards.periods import monday

from .drawing import draw_sample, request_run
from .models import SampledTicket, SampleRun, SamplingPlan
from .population import resolve_window
from .scheduling import sync_plan_schedule

DAILY_RUNS = 56  # daily draws over the whole eight weeks of tickets
WEEKLY_RUNS = 8
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
PLANS = (
    {
        "name": "Daily vendor × workflow",
        "description": "Yesterday's tickets, every vendor and workflow, ±5 % overall.",
        "strata_keys": ["vendor", "workflow"], "window_kind": "yesterday",
        "margin_of_error": Decimal("0.05"), "expected_rate": Decimal("0.06"),
        "allocation": "proportional", "minimum_per_stratum": 2, "audit_due_days": 2,
        "schedule": "daily", "schedule_time": dt.time(6, 0),
    },
    {
        "name": "Weekly site review",
        "description": "Last week's tickets, each site on its own to ±6 %.",
        "strata_keys": ["site"], "window_kind": "last_week",
        "margin_of_error": Decimal("0.06"), "expected_rate": Decimal("0.06"),
        "margin_applies_to": "each_stratum",
        "allocation": "neyman", "minimum_per_stratum": 10, "audit_due_days": 5,
        "schedule": "weekly", "schedule_time": dt.time(7, 0), "schedule_weekday": 0,
    },
)


def weeks_back(handled_at: dt.datetime, now: dt.datetime) -> int:
    """How many scorecard weeks (Monday UTC) before the current one a ticket was handled."""
    return (monday(now.astimezone(dt.UTC).date())
            - monday(handled_at.astimezone(dt.UTC).date())).days // 7


def fail_rate(vendor: str, site: str, policy_area: str, age_days: float,
              weeks_ago: int | None = None) -> float:
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


def demo_answers(rng: random.Random, kind: str, decision: str, fails: bool,
                 policy_error: bool = False) -> dict[str, str]:
    """Answers to the demo scorecard of ``kind``; a failing set when ``fails``, whose error
    is a wrong policy label when ``policy_error`` (else drawn at random)."""
    escalation_applies = decision.startswith("escalat") or rng.random() < 0.15
    answers = {"correct_action": "yes", "policy_label": "pass", "evidence_documented": "yes",
               "escalation": "yes" if escalation_applies else "na"}
    if kind == "support":
        answers |= {"tone": rng.choice("45555"), "macro": rng.choice(["right"] * 4 + ["generic"])}
    if not fails:
        return answers
    roll = 0.5 if policy_error else rng.random()
    if roll < 0.25:
        answers["correct_action"] = "no"  # critical: the whole audit fails
    elif roll < 0.65:
        answers["policy_label"] = "fail"
        if kind == "support":
            answers["tone"] = "2"
    elif escalation_applies:
        answers["escalation"] = "no"
        if kind == "support":
            answers["macro"] = "wrong"
    else:
        answers["evidence_documented"] = "no"
        if kind == "support":
            answers["macro"] = "wrong"
    return answers


def seed_plans(auditors: list[User], by: User | None) -> list[SamplingPlan]:
    plans = []
    for spec in PLANS:
        plan, created = SamplingPlan.objects.get_or_create(
            name=spec["name"], defaults={**spec, "window_timezone": "UTC", "created_by": by}
        )
        if created:
            plan.auditors.set(auditors)
            sync_plan_schedule(plan)
        plans.append(plan)
    return plans


def draw_past_runs(plan: SamplingPlan, count: int, step: dt.timedelta, now) -> list[SampleRun]:
    """The plan's runs for its last ``count`` windows, oldest first, drawn in process; new
    runs are dated as if drawn when their window closed."""
    runs = []
    for back in range(count - 1, -1, -1):
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
    "form_version", "status", "answers", "score", "passed", "critical_failed", "section_scores",
    "error_categories", "errors", "error_count", "time_spent_seconds", "started_at",
    "submitted_at", "finalised_at",
]


def score_run(run: SampleRun, versions: dict[str, FormVersion], specs: dict, manager, now,
              keep_open: float = 0.0) -> int:
    """Score in bulk the audits the draw opened that are still only assigned (all of them, or
    when ``keep_open`` is set, all but that share and a few whole strata, chosen by seeded
    draws); returns how many audits were scored."""
    pending = (
        Audit.objects.filter(sampled_ticket__run=run, status=AuditStatus.ASSIGNED)
        .select_related("ticket__vendor", "ticket__site", "ticket__workflow",
                        "sampled_ticket__stratum")
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
        answers = demo_answers(rng, kind, ticket.decision, rng.random() < rate,
                               policy_error=in_spike(vendor, site, week))
        result = score_audit(specs[kind], answers)
        started = audit.assigned_at + dt.timedelta(hours=rng.uniform(1, 30))
        spent = int(rng.lognormvariate(5.0, 0.4))
        submitted = min(started + dt.timedelta(seconds=spent), now)
        final = submitted < now - FINAL_AFTER
        audit.form_version = versions[kind]
        audit.status = AuditStatus.FINAL if final else AuditStatus.SUBMITTED
        audit.answers = answers
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
    # One UPDATE per audit: Django's bulk_update builds a CASE per field and row, which costs
    # several times more than these plain updates (mostly in building the SQL). The history
    # rows are then written in bulk (no fields: history only).
    for audit in audits:
        Audit.objects.filter(pk=audit.pk).update(
            **{name: getattr(audit, name) for name in SCORED_FIELDS}
        )
    bulk_update_with_history(audits, Audit, [], batch_size=500,
                             default_change_reason="submitted")
    AuditEvent.objects.bulk_create(_events(audits, manager), batch_size=1000)
    SampledTicket.objects.filter(run=run, audit__status__in=SCORED_STATUSES).update(
        completed_at=Subquery(
            Audit.objects.filter(sampled_ticket=OuterRef("pk")).values("submitted_at")[:1]
        )
    )
    return len(audits)


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
            AuditEvent(audit=audit, at=audit.started_at, by_id=by, kind=AuditEvent.Kind.STARTED,
                       from_status=S.ASSIGNED, to_status=S.IN_PROGRESS),
            AuditEvent(audit=audit, at=audit.submitted_at, by_id=by,
                       kind=AuditEvent.Kind.SUBMITTED, from_status=S.IN_PROGRESS,
                       to_status=S.SUBMITTED,
                       details={"score": float(audit.score), "passed": audit.passed}),
        ]
        if audit.finalised_at:
            events.append(AuditEvent(audit=audit, at=audit.finalised_at, by=manager,
                                     kind=AuditEvent.Kind.FINALISED, from_status=S.SUBMITTED,
                                     to_status=S.FINAL))
    return events


def start_one_draft_each(auditors: list[User]) -> None:
    """Each demo auditor has one audit in progress (a half-answered draft), unless they
    already have one: that is what "Continue" on the queue page picks up."""
    for auditor in auditors:
        if Audit.objects.filter(auditor=auditor, status=AuditStatus.IN_PROGRESS).exists():
            continue
        audit = Audit.objects.filter(auditor=auditor, status=AuditStatus.ASSIGNED).order_by(
            "due_at", "pk").first()
        if audit is not None:
            save_draft(audit, auditor, answers={"correct_action": "yes"}, time_spent_seconds=40)


@transaction.atomic
def seed() -> dict[str, tuple[int, int]]:
    """Plans, past runs and their audits; needs vendors, accounts, tickets and forms seeded."""
    now = timezone.now()
    auditors = list(User.objects.filter(role=Role.QA_AUDITOR, email__endswith="@demo.qa")
                    .order_by("email"))
    manager = User.objects.filter(role=Role.PROGRAM_MANAGER, email__endswith="@demo.qa").first()
    versions = {
        version.form.workflows.values_list("kind", flat=True).first(): version
        for version in FormVersion.objects.published().filter(form__slug__in=(
            "moderation-scorecard", "support-scorecard")).select_related("form")
    }
    specs = {kind: version.to_spec() for kind, version in versions.items()}
    runs_before = SampleRun.objects.count()
    audits_before = Audit.objects.count()

    daily, weekly = seed_plans(auditors, manager)
    runs = draw_past_runs(daily, DAILY_RUNS, dt.timedelta(days=1), now)
    runs += draw_past_runs(weekly, WEEKLY_RUNS, dt.timedelta(weeks=1), now)
    newest = runs[DAILY_RUNS - 1]
    for run in runs:
        score_run(run, versions, specs, manager, now, OPEN_SHARE if run == newest else 0.0)
    start_one_draft_each(auditors)
    # The bulk scoring above bypasses the lifecycle's rollup refresh: seed_demo rebuilds the
    # scorecard cells once every app has seeded (scorecards.rollups.rebuild_all).

    return {
        "sample runs": (SampleRun.objects.count() - runs_before, SampleRun.objects.count()),
        "audits": (Audit.objects.count() - audits_before, Audit.objects.count()),
    }
