"""Sampling plans, the runs that draw from them, and the tickets each run selected.

A plan says *what* to audit (a population filter and a time window), *how precisely*
(confidence, margin of error, expected error rate) and *how to split* the audits across
strata. A run is one reproducible draw of a plan over one concrete window with one seed;
it records the population and sample size of every stratum and each ticket's inclusion
probability, so every later estimate can be weighted (Horvitz & Thompson 1952).

These are internal QA planning data: vendors never see plans, runs or strata
(``internal_only``). A sampled ticket belongs to its ticket's vendor (``vendor_path``), so a
vendor may later be shown which of its own tickets were audited, never anyone else's.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse

from accounts.formats import moment
from accounts.progress import Progress, job_status, read_progress

from .validators import (  # noqa: F401 — re-exported: migrations and forms import them here
    STRATUM_FIELDS,
    STRATUM_KEY_LABELS,
    validate_cron,
    validate_decision_types,
    validate_strata_keys,
    validate_stratum_costs,
    validate_timezone,
)

PROGRESS_KIND = "sample-run"  # accounts.progress key of a run's draw


def default_strata_keys() -> list[str]:
    return ["vendor", "workflow"]


def _proportion(field: str) -> Q:
    return Q(**{f"{field}__gt": 0}) & Q(**{f"{field}__lt": 1})


class SamplingPlan(models.Model):
    """How a slice of the ticket population is audited: filter, window, precision, strata,
    allocation, auditors and schedule.

    ``form`` is the audit form drawn tickets are scored with (its published version at the
    time the audit opens); without one, each ticket uses the published form of its workflow.

    Empty vendor/site/workflow sets and an empty decision list mean "all". The window is
    resolved in ``window_timezone`` relative to the moment a run is requested (see
    ``sampling.population.resolve_window``); the schedule's clock time is in the same zone.
    Change the schedule only through ``sampling.scheduling.save_plan_schedule`` so the
    celery-beat entry follows.
    """

    internal_only = True

    class Kind(models.TextChoices):
        TICKETS = "tickets", "Ticket sample (audit vendor work)"
        REAUDIT = "reaudit", "Re-audit (grade the graders)"

    class Automation(models.TextChoices):
        ANY = "any", "Manual and automated"
        MANUAL = "manual", "Manual decisions only"
        AUTOMATED = "automated", "Automated decisions only"

    class WindowKind(models.TextChoices):
        YESTERDAY = "yesterday", "Yesterday"
        LAST_7_DAYS = "last_7_days", "Last 7 days (ending yesterday)"
        LAST_WEEK = "last_week", "Last week (Monday to Sunday)"
        LAST_30_DAYS = "last_30_days", "Last 30 days (ending yesterday)"
        LAST_MONTH = "last_month", "Last calendar month"

    class Allocation(models.TextChoices):
        PROPORTIONAL = "proportional", "Proportional to stratum size"
        NEYMAN = "neyman", "Neyman (size × expected variability)"
        OPTIMAL = "optimal", "Optimal (Neyman adjusted for audit cost)"
        EQUAL = "equal", "Equal per stratum"

    class MarginScope(models.TextChoices):
        OVERALL = "overall", "The whole population (stratified estimate)"
        EACH_STRATUM = "each_stratum", "Each stratum on its own"

    class Selection(models.TextChoices):
        EQUAL = "equal", "Equal probability (simple random sample per stratum)"
        RISK_WEIGHTED = "risk_weighted", "Risk-weighted (more audits where the AI score is high)"

    class Schedule(models.TextChoices):
        MANUAL = "manual", "Manual (draw on request)"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        CRON = "cron", "Cron expression"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    kind = models.CharField(
        max_length=10,
        choices=Kind.choices,
        default=Kind.TICKETS,
        help_text="A ticket sample draws tickets to audit; a re-audit plan draws finalised "
        "audits, one stratum per auditor, to be scored again blind by someone else "
        "(docs/statistics.md, Re-audits).",
    )
    active = models.BooleanField(
        default=True, help_text="Inactive plans keep their runs but are not drawn on schedule."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sampling_plans_created",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Population filter.
    vendors = models.ManyToManyField(
        "vendors.Vendor", blank=True, related_name="sampling_plans", help_text="Empty = all."
    )
    sites = models.ManyToManyField(
        "vendors.Site", blank=True, related_name="sampling_plans", help_text="Empty = all."
    )
    workflows = models.ManyToManyField(
        "vendors.Workflow", blank=True, related_name="sampling_plans", help_text="Empty = all."
    )
    decision_types = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_decision_types],
        help_text="Ticket decisions to include, e.g. [\"remove\", \"keep\"]. Empty = all.",
    )
    automation = models.CharField(
        max_length=10, choices=Automation.choices, default=Automation.ANY
    )
    window_kind = models.CharField(
        max_length=20, choices=WindowKind.choices, default=WindowKind.YESTERDAY
    )
    window_timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="IANA name; the window's days and the schedule's clock are in this zone.",
    )

    # Design.
    strata_keys = models.JSONField(
        default=default_strata_keys,
        blank=True,
        validators=[validate_strata_keys],
        help_text="Any of vendor, site, workflow, agent, language, decision. Empty = no strata.",
    )
    confidence = models.DecimalField(max_digits=5, decimal_places=4, default="0.9500")
    margin_of_error = models.DecimalField(max_digits=5, decimal_places=4, default="0.0500")
    expected_rate = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default="0.1000",
        help_text="Expected error rate; 0.5 is the conservative choice.",
    )
    margin_applies_to = models.CharField(
        max_length=20, choices=MarginScope.choices, default=MarginScope.OVERALL
    )
    allocation = models.CharField(
        max_length=20, choices=Allocation.choices, default=Allocation.PROPORTIONAL
    )
    stratum_costs = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_stratum_costs],
        help_text='Relative audit cost for optimal allocation, e.g. {"workflow=12": 2.5}; '
        "a stratum's cost is the product of its matching entries (1 when none).",
    )
    minimum_per_stratum = models.PositiveIntegerField(default=0)
    selection = models.CharField(
        max_length=20,
        choices=Selection.choices,
        default=Selection.EQUAL,
        help_text="How tickets are chosen inside a stratum. Risk-weighted draws each ticket with "
        "probability proportional to the floor plus its AI score (Poisson sampling), keeps "
        "every ticket's probability and weights estimates by it; a ticket without a score "
        "counts at its stratum's mean score (docs/statistics.md, Risk-weighted samples).",
    )
    risk_floor = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default="0.0500",
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("1"))],
        help_text="Added to every ticket's AI score before drawing, so a ticket the model "
        "calls safe keeps a chance: with 0.05 a ticket scored 0 weighs 0.05 against 1.05 for "
        "one scored 1. A higher floor draws closer to equal probability (fewer errors found "
        "per audit); the planner shows the trade. Risk-weighted plans only.",
    )
    max_sample_size = models.PositiveIntegerField(
        null=True, blank=True, help_text="Optional cap on the total sample of one run."
    )

    # Who audits, with what, and by when.
    form = models.ForeignKey(
        "audit_forms.AuditForm",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sampling_plans",
        verbose_name="audit form",
        help_text="Scorecard for this plan's audits; empty uses each workflow's published form.",
    )
    auditors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="sampling_plans",
        limit_choices_to={"role": "auditor", "is_active": True},
        help_text="The auditor pool drawn tickets are spread across.",
    )
    audit_due_days = models.PositiveSmallIntegerField(
        default=3, help_text="Days after the draw by which each audit is due."
    )

    # Schedule (mirrored into a django_celery_beat PeriodicTask by sampling.scheduling).
    schedule = models.CharField(max_length=10, choices=Schedule.choices, default=Schedule.MANUAL)
    schedule_time = models.TimeField(
        null=True, blank=True, help_text="Clock time in the plan's timezone (daily, weekly)."
    )
    schedule_weekday = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=Weekday.choices
    )
    schedule_cron = models.CharField(
        max_length=120, blank=True, validators=[validate_cron], help_text="e.g. 30 6 * * 1-5"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=_proportion("confidence"), name="plan_confidence_in_0_1"
            ),
            models.CheckConstraint(
                condition=_proportion("margin_of_error"), name="plan_margin_in_0_1"
            ),
            models.CheckConstraint(
                condition=_proportion("expected_rate"), name="plan_expected_rate_in_0_1"
            ),
            models.CheckConstraint(
                condition=Q(risk_floor__gt=0) & Q(risk_floor__lte=1), name="plan_risk_floor_0_1"
            ),
            models.CheckConstraint(
                condition=Q(max_sample_size__isnull=True) | Q(max_sample_size__gte=1),
                name="plan_cap_positive",
            ),
            models.CheckConstraint(
                condition=Q(schedule_weekday__isnull=True) | Q(schedule_weekday__lte=6),
                name="plan_weekday_0_6",
            ),
            models.CheckConstraint(
                condition=Q(schedule="manual")
                | Q(schedule="daily", schedule_time__isnull=False)
                | Q(schedule="weekly", schedule_time__isnull=False, schedule_weekday__isnull=False)
                | (Q(schedule="cron") & ~Q(schedule_cron="")),
                name="plan_schedule_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        try:
            return reverse("sampling:plan_detail", args=[self.pk])
        except NoReverseMatch:  # the pages arrive with their own change
            return ""

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.schedule in (self.Schedule.DAILY, self.Schedule.WEEKLY) and not self.schedule_time:
            errors["schedule_time"] = "Give the time of day to draw at."
        if self.schedule == self.Schedule.WEEKLY and self.schedule_weekday is None:
            errors["schedule_weekday"] = "Give the weekday to draw on."
        if self.schedule == self.Schedule.CRON and not self.schedule_cron.strip():
            errors["schedule_cron"] = "Give a cron expression."
        if (
            self.max_sample_size is not None
            and self.max_sample_size < self.minimum_per_stratum
        ):
            errors["max_sample_size"] = "The cap is below the minimum for a single stratum."
        if errors:
            raise ValidationError(errors)

    @property
    def is_reaudit(self) -> bool:
        return self.kind == self.Kind.REAUDIT


class SampleRun(models.Model):
    """One draw of a plan over one window with one seed.

    (plan, window, seed) is unique: the same triple always means the same tickets, so a
    scheduler firing twice or a retried task finds the run instead of drawing again; a new
    seed over the same window is a new, additional run whose tickets exclude those already
    drawn. A run never draws a ticket that any earlier run, of this plan or another, drew: the
    population N is the window's tickets less those, and ``excluded_same_plan`` and
    ``excluded_other_plans`` say how many were left out, so N + both is the window.
    ``parameters`` freezes the plan's design as it was at the draw.

    A run of a re-audit plan draws finalised *audits* instead (``audits.reaudits``): its
    sampled tickets are the tickets of the audits it drew, which the original run drew before
    by design, so re-audit runs are neither counted by nor subject to the rule above
    (``sampling.population.drawn_in_window``); an audit is re-audited at most once instead.
    """

    internal_only = True

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Requested in the app"
        SCHEDULE = "schedule", "Schedule"
        COMMAND = "command", "Command line"

    plan = models.ForeignKey(SamplingPlan, on_delete=models.PROTECT, related_name="runs")
    seed = models.BigIntegerField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField(help_text="Exclusive.")
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    failure_reason = models.TextField(blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    population_size = models.PositiveIntegerField(null=True, blank=True)
    excluded_same_plan = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Tickets of the window left out because an earlier run of this plan drew them "
        "(empty for runs drawn before this was recorded).",
    )
    excluded_other_plans = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Tickets of the window left out because a run of another plan drew them "
        "(empty for runs drawn before this was recorded).",
    )
    sample_size = models.PositiveIntegerField(null=True, blank=True)
    strata_count = models.PositiveIntegerField(null=True, blank=True)
    planned_margin = models.FloatField(null=True, blank=True)
    achieved_margin = models.FloatField(
        null=True,
        blank=True,
        help_text="Margin the drawn design achieves at the expected rates; None if a stratum "
        "with tickets got no audits.",
    )
    unassigned_count = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sample_runs_requested",
    )
    celery_task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "window_start", "window_end", "seed"],
                name="run_unique_per_plan_window_seed",
            ),
            models.CheckConstraint(
                condition=Q(window_end__gt=F("window_start")), name="run_window_is_ordered"
            ),
            models.CheckConstraint(condition=Q(seed__gte=0), name="run_seed_non_negative"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="run_progress_0_100"),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(failure_reason=""),
                name="run_failure_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["plan", "-created_at"], name="run_plan_recent")]

    def __str__(self) -> str:
        window = f"{moment(self.window_start)} → {moment(self.window_end)}"
        return f"{self.plan} · {window} · seed {self.seed}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def live_record(self) -> Progress | None:
        """The running draw's progress record (its database writes are one transaction,
        invisible until done, so its steps travel through the cache); None otherwise."""
        if self.status != self.Status.RUNNING:
            return None
        return read_progress(PROGRESS_KIND, self.pk)

    @property
    def live_progress(self) -> tuple[int, str]:
        """(percent, message) to show while polling: the running draw's record, otherwise
        the row's own progress fields."""
        record = self.live_record
        if record is not None:
            return record.done, record.phase
        return self.progress, self.progress_message

    def job_status(self) -> dict:
        """The status page's and the status endpoint's progress (``accounts.progress``)."""
        record = self.live_record
        percent, message = self.live_progress
        job = job_status(
            status=self.status,
            status_label=self.get_status_display(),
            finished=self.is_finished,
            record=record,
            waiting="Waiting for a worker…",
        )
        if record is None and percent:  # the row's own step: the start, or the end
            job.update(percent=percent, phase=message, text=f"{percent}% done")
        return job


class SampleStratum(models.Model):
    """One stratum of a run: its population N_h, the audits allocated n_h and drawn.

    The stratum's key is stored as columns (only the plan's strata keys are set) so the draw
    can join tickets to their stratum in SQL; ``key`` and ``label`` give it back readably.
    A re-audit run has one stratum per auditor (``auditor``): its population is that auditor's
    finalised audits, not tickets.
    """

    internal_only = True

    run = models.ForeignKey(SampleRun, on_delete=models.CASCADE, related_name="strata")
    position = models.PositiveIntegerField(help_text="Order in the run (by label).")
    label = models.CharField(max_length=400)
    vendor = models.ForeignKey(
        "vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey(
        "vendors.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    workflow = models.ForeignKey(
        "vendors.Workflow", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agent = models.ForeignKey(
        "vendors.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    language = models.CharField(max_length=16, blank=True)
    decision = models.CharField(max_length=64, blank=True)
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Re-audit runs: the auditor whose finalised audits the stratum holds.",
    )
    population = models.PositiveIntegerField(help_text="N_h: tickets in the stratum.")
    allocated = models.PositiveIntegerField(
        help_text="n_h: audits allocated (risk-weighted: the expected sample size)."
    )
    drawn = models.PositiveIntegerField(default=0, help_text="Tickets actually drawn.")
    risk_weighted = models.BooleanField(
        default=False,
        help_text="Drawn with unequal probabilities (a risk-weighted plan's Poisson sample): "
        "each sampled ticket's own inclusion probability, not n_h / N_h, weights it.",
    )
    expected_rate = models.FloatField(help_text="p_h used to plan (past audits or the plan's).")
    stddev = models.FloatField(help_text="sqrt(p_h (1 - p_h)).")
    cost = models.FloatField(default=1.0)
    # The model's scores on the stratum's population at draw (ŷ = Ticket.ai_score), kept so the
    # run's AI-assisted estimates never change with a later rescoring (sampling.ai_snapshot).
    # Empty for strata drawn before they were kept: those get no AI-assisted estimate.
    ai_scored = models.PositiveIntegerField(
        null=True, blank=True, help_text="Tickets of N_h with a model score at draw."
    )
    ai_score_sum = models.FloatField(null=True, blank=True, help_text="Σ ŷ over N_h at draw.")
    ai_score_sq_sum = models.FloatField(null=True, blank=True, help_text="Σ ŷ² over N_h.")
    ai_model = models.CharField(
        max_length=100, blank=True,
        help_text="The one model that scored every ticket of the stratum; empty when some "
        "ticket was unscored or several models scored them (no AI-assisted estimate).",
    )

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="stratum_position_unique"),
            models.CheckConstraint(
                condition=Q(allocated__lte=F("population")), name="stratum_allocated_le_population"
            ),
            # A Poisson sample's size is random: it may exceed the expected n_h.
            models.CheckConstraint(
                condition=Q(drawn__lte=F("allocated"))
                | Q(risk_weighted=True, drawn__lte=F("population")),
                name="stratum_drawn_le_allocated",
            ),
            models.CheckConstraint(condition=Q(cost__gt=0), name="stratum_cost_positive"),
        ]
        # A run's audits planned (the overview's runs): an index-only scan of its strata.
        indexes = [models.Index(fields=["run", "allocated", "drawn"], name="stratum_run_planned")]

    def __str__(self) -> str:
        return self.label

    @property
    def key(self) -> dict[str, object]:
        """The stratum's value for each of the run's strata keys, e.g. {"vendor": 3}."""
        keys = self.run.parameters.get("strata_keys", [])
        return {name: getattr(self, STRATUM_FIELDS[name]) for name in keys}

    def key_values(self, keys: list[str]) -> list[object]:
        """The stratum's column values for ``keys`` (ids, not objects), in that order."""
        return [getattr(self, STRATUM_FIELDS[name]) for name in keys]

    @property
    def inclusion_probability(self) -> float:
        """n_h / N_h: the chance each ticket of the stratum had of being drawn (risk-weighted:
        their mean; each sampled ticket keeps its own)."""
        return self.allocated / self.population if self.population else 0.0

    @property
    def weight(self) -> float:
        """N_h / n_h: how many population tickets each audited ticket stands for."""
        return self.population / self.drawn if self.drawn else 0.0


class SampledTicket(models.Model):
    """A ticket a run drew, and the audit assignment it becomes.

    ``inclusion_probability`` is n_h / N_h of its stratum (a risk-weighted stratum: the
    ticket's own π_i, ``sampling.risk_selection``), kept per ticket so estimates can be
    weighted without joining back. An auditor may be missing when no one in the pool is free
    of a conflict with the ticket's vendor; the run counts those. ``completed_at`` is set when
    the audit is finished (issue 4), which is what "open load" counts against. ``passed`` is
    the verdict of the ticket's audit while it carries a score (None before, and after a
    reopening): the audit lifecycle keeps both, so the next draws' allocation reads past error
    rates from sampling's own table.
    """

    vendor_path = "ticket__vendor"

    # The run, stratum and auditor foreign keys are served by the composite indexes below
    # (unique run+ticket, stratum+rank, the auditor's queue); one index less per column
    # matters when a draw writes tens of thousands of rows in one go.
    run = models.ForeignKey(
        SampleRun, on_delete=models.CASCADE, related_name="sampled_tickets", db_index=False
    )
    stratum = models.ForeignKey(
        SampleStratum, on_delete=models.CASCADE, related_name="sampled_tickets", db_index=False
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.PROTECT, related_name="samplings"
    )
    draw_rank = models.PositiveIntegerField(help_text="1 = first drawn in its stratum.")
    inclusion_probability = models.FloatField()
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sample_assignments",
        db_index=False,
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    passed = models.BooleanField(
        null=True, blank=True, help_text="The scored audit's verdict; empty until it is scored."
    )
    ai_score = models.FloatField(
        null=True, blank=True, help_text="The ticket's model score ŷ at draw (empty: unscored)."
    )

    class Meta:
        ordering = ["run", "stratum__position", "draw_rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "ticket"], name="sampled_ticket_once_per_run"),
            models.CheckConstraint(
                condition=Q(inclusion_probability__gt=0) & Q(inclusion_probability__lte=1),
                name="sampled_ticket_probability_0_1",
            ),
        ]
        indexes = [
            models.Index(fields=["auditor", "completed_at", "due_at"], name="assignment_queue"),
            models.Index(fields=["stratum", "draw_rank"], name="sampled_ticket_stratum_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.ticket_id}"


class PopulationScoreCell(models.Model):
    """A stratum's population at draw in one rollup cell key (vendor, site, agent, workflow, UTC
    handling week): its tickets, those with a model score and Σ ŷ, Σ ŷ² over them. A domain's
    AI-assisted estimate adds the model's scores over its cells (docs/statistics.md
    #ai-assisted-domain-estimates); written once by the draw (``sampling.ai_snapshot``)."""

    vendor_path = "vendor"
    internal_only = True

    stratum = models.ForeignKey(
        SampleStratum, on_delete=models.CASCADE, related_name="population_cells",
        db_index=False,
    )
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    site = models.ForeignKey(
        "vendors.Site", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    agent = models.ForeignKey(
        "vendors.Agent", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    workflow = models.ForeignKey(
        "vendors.Workflow", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    week = models.DateField(help_text="Monday of the tickets' handling week (UTC).")
    tickets = models.PositiveIntegerField()
    scored = models.PositiveIntegerField(help_text="Tickets with a model score at draw.")
    score_sum = models.FloatField(default=0, help_text="Σ ŷ.")
    score_sq_sum = models.FloatField(default=0, help_text="Σ ŷ².")

    class Meta:
        ordering = ["stratum_id", "week", "agent_id", "workflow_id", "site_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["stratum", "agent", "workflow", "week", "site", "vendor"],
                name="population_cell_key_unique",
            ),
            models.CheckConstraint(condition=Q(tickets__gt=0) & Q(scored__lte=F("tickets")),
                                   name="population_cell_counts_consistent"),
        ]
        indexes = [
            models.Index(fields=["vendor", "week"], name="population_cell_vendor_week"),
            models.Index(fields=["week"], name="population_cell_week"),
        ]

    def __str__(self) -> str:
        return f"{self.tickets} tickets of stratum {self.stratum_id}, week of {self.week}"
