"""The derived tables scorecards and dashboards read instead of the audits, kept by
``rollups.writer`` and never edited by hand. What each counts and why:
docs/architecture.md#the-rollups; how the estimates use them: docs/statistics.md#domain-estimates.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CellCounts(models.Model):
    """The counts every cell table holds for its key (see ``AuditCell``)."""

    week = models.DateField(help_text="Monday of the ticket's handling week (UTC).")
    audited = models.PositiveIntegerField(default=0)
    passed = models.PositiveIntegerField(default=0)
    critical_failed = models.PositiveIntegerField(default=0)
    error_categories = models.JSONField(
        default=dict, blank=True,
        help_text="Error category slug → audits that found at least one error of it.",
    )
    scored = models.PositiveIntegerField(default=0, help_text="Audits with a score.")
    score_sum = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # A risk-weighted stratum's audits each carry their own π_i: the cell keeps the sums of
    # 1/π_i ("weight") and of (1 − π_i)/π_i² ("spread") its domain estimates need
    # (docs/statistics.md#domain-estimates). Zero in an equal-probability stratum's cells (its
    # audits weigh N_h / n_h), which is how the estimates know to skip them.
    weight_sum = models.FloatField(default=0, help_text="Σ 1/π over the cell's audits.")
    weight_sq_sum = models.FloatField(default=0, help_text="Σ 1/π².")
    spread_sum = models.FloatField(default=0, help_text="Σ (1 − π)/π².")
    passed_weight = models.FloatField(default=0, help_text="Σ 1/π over passed audits.")
    passed_spread = models.FloatField(default=0, help_text="Σ (1 − π)/π² over passed audits.")
    critical_weight = models.FloatField(default=0, help_text="Σ 1/π over critical fails.")
    critical_spread = models.FloatField(default=0, help_text="Σ (1 − π)/π² over critical fails.")
    scored_weight = models.FloatField(default=0, help_text="Σ 1/π over scored audits.")
    score_weight = models.FloatField(default=0, help_text="Σ score/π.")
    category_weights = models.JSONField(
        default=dict, blank=True,
        help_text="Error category slug → {'weight': Σ 1/π, 'spread': Σ (1 − π)/π²} over the "
                  "audits that found an error of it.",
    )
    # The model's score ŷ of each audited ticket at draw (SampledTicket.ai_score), summed for
    # the AI-assisted estimates: powers of ŷ, and ŷ's powers over the passed and the critical
    # fails (docs/statistics.md#ai-assisted-domain-estimates). Unscored audits add nothing.
    ai_scored = models.PositiveIntegerField(default=0, help_text="Audits with ŷ at draw.")
    ai_score_sum = models.FloatField(default=0, help_text="Σ ŷ.")
    ai_score2_sum = models.FloatField(default=0, help_text="Σ ŷ².")
    ai_score3_sum = models.FloatField(default=0, help_text="Σ ŷ³.")
    ai_score4_sum = models.FloatField(default=0, help_text="Σ ŷ⁴.")
    passed_ai_score_sum = models.FloatField(default=0, help_text="Σ ŷ over passed audits.")
    passed_ai_score2_sum = models.FloatField(default=0, help_text="Σ ŷ² over passed audits.")
    passed_ai_score3_sum = models.FloatField(default=0, help_text="Σ ŷ³ over passed audits.")
    critical_ai_score_sum = models.FloatField(default=0, help_text="Σ ŷ over critical fails.")
    critical_ai_score2_sum = models.FloatField(default=0, help_text="Σ ŷ² over critical fails.")
    critical_ai_score3_sum = models.FloatField(default=0, help_text="Σ ŷ³ over critical fails.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def consistent_counts(name: str) -> models.CheckConstraint:
    """A cell holds at least one audit, and no count exceeds its audits."""
    return models.CheckConstraint(
        condition=models.Q(audited__gt=0)
        & models.Q(passed__lte=models.F("audited"))
        & models.Q(critical_failed__lte=models.F("audited"))
        & models.Q(scored__lte=models.F("audited")),
        name=name,
    )


class AuditCell(CellCounts):
    """Completed sampled audits of one stratum, for one agent, site and workflow, in the UTC week
    the ticket was handled; vendor and site are the ticket's, as imported.
    """

    vendor_path = "vendor"
    internal_only = True

    # No single-column FK indexes: the unique key leads with stratum and the (x, week)
    # indexes below lead with the others; each extra index slows the nightly rebuild.
    stratum = models.ForeignKey(
        "sampling.SampleStratum", on_delete=models.CASCADE, related_name="audit_cells",
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

    class Meta:
        db_table = "scorecards_auditcell"
        ordering = ["stratum_id", "week", "agent_id", "workflow_id", "site_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["stratum", "agent", "workflow", "week", "site", "vendor"],
                name="audit_cell_key_unique",
            ),
            consistent_counts("audit_cell_counts_consistent"),
        ]
        indexes = [
            models.Index(fields=["vendor", "week"], name="audit_cell_vendor_week"),
            models.Index(fields=["site", "week"], name="audit_cell_site_week"),
            models.Index(fields=["workflow", "week"], name="audit_cell_workflow_week"),
            models.Index(fields=["agent", "week"], name="audit_cell_agent_week"),
        ]

    def __str__(self) -> str:
        return f"{self.audited} audits of stratum {self.stratum_id}, week of {self.week}"


class SiteCell(CellCounts):
    """``AuditCell`` without the agent, for pages that do not look at agents (several times fewer
    rows); always equal to the agent cells summed over agents."""

    vendor_path = "vendor"
    internal_only = True

    stratum = models.ForeignKey(
        "sampling.SampleStratum", on_delete=models.CASCADE, related_name="site_cells",
        db_index=False,
    )
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    site = models.ForeignKey(
        "vendors.Site", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    workflow = models.ForeignKey(
        "vendors.Workflow", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        db_table = "scorecards_sitecell"
        ordering = ["stratum_id", "week", "workflow_id", "site_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["stratum", "workflow", "week", "site", "vendor"],
                name="site_cell_key_unique",
            ),
            consistent_counts("site_cell_counts_consistent"),
        ]
        indexes = [
            models.Index(fields=["vendor", "week"], name="site_cell_vendor_week"),
            models.Index(fields=["site", "week"], name="site_cell_site_week"),
            models.Index(fields=["workflow", "week"], name="site_cell_workflow_week"),
            models.Index(fields=["week"], name="site_cell_week"),
        ]

    def __str__(self) -> str:
        return f"{self.audited} audits of stratum {self.stratum_id} at site {self.site_id}"


class VendorCell(CellCounts):
    """``SiteCell`` without the site, for pages that look at neither sites nor agents (about one
    row per stratum and week); always equal to the agent cells summed over agents and sites."""

    vendor_path = "vendor"
    internal_only = True

    stratum = models.ForeignKey(
        "sampling.SampleStratum", on_delete=models.CASCADE, related_name="vendor_cells",
        db_index=False,
    )
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    workflow = models.ForeignKey(
        "vendors.Workflow", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        db_table = "scorecards_vendorcell"
        ordering = ["stratum_id", "week", "workflow_id"]
        constraints = [
            models.UniqueConstraint(fields=["stratum", "workflow", "week", "vendor"],
                                    name="vendor_cell_key_unique"),
            consistent_counts("vendor_cell_counts_consistent"),
        ]
        indexes = [
            models.Index(fields=["vendor", "week"], name="vendor_cell_vendor_week"),
            models.Index(fields=["workflow", "week"], name="vendor_cell_workflow_week"),
            models.Index(fields=["week"], name="vendor_cell_week"),
        ]

    def __str__(self) -> str:
        return f"{self.audited} audits of stratum {self.stratum_id} at vendor {self.vendor_id}"


class AuditorDay(models.Model):
    """What one auditor submitted with one audit form on one UTC day, sampled or ad hoc, with its
    scoring time: the overview's productivity (``rollups.productivity``)."""

    vendor_path = None
    internal_only = True

    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    form = models.ForeignKey(
        "audit_forms.AuditForm", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    audits = models.PositiveIntegerField()
    seconds = models.PositiveBigIntegerField(help_text="Scoring time of those audits.")

    class Meta:
        db_table = "scorecards_auditorday"
        ordering = ["day", "auditor_id", "form_id"]
        constraints = [
            models.UniqueConstraint(fields=["auditor", "day", "form"],
                                    name="auditor_day_key_unique"),
            models.CheckConstraint(condition=models.Q(audits__gt=0),
                                   name="auditor_day_has_audits"),
        ]
        indexes = [models.Index(fields=["day"], name="auditor_day_day")]

    def __str__(self) -> str:
        return f"{self.audits} audits by auditor {self.auditor_id} on {self.day}"


class StratumTotal(models.Model):
    """A stratum's n_h (completed sampled audits over all its cells) beside its N_h, read by primary
    key instead of summing cells per stratum; no row until the stratum has a completed audit."""

    vendor_path = None
    internal_only = True

    stratum = models.OneToOneField(
        "sampling.SampleStratum", primary_key=True, on_delete=models.CASCADE,
        related_name="audit_total",
    )
    run = models.ForeignKey("sampling.SampleRun", on_delete=models.CASCADE, related_name="+",
                            db_index=False, help_text="The stratum's run.")
    population = models.PositiveIntegerField(help_text="N_h, as drawn.")
    audited = models.PositiveIntegerField(help_text="n_h: completed sampled audits.")
    risk_weighted = models.BooleanField(
        default=False, help_text="A risk-weighted stratum: its audits weigh 1/π_i each."
    )
    weight_total = models.FloatField(
        default=0, help_text="Σ 1/π_i over the completed audits (risk-weighted strata)."
    )
    first_week = models.DateField(help_text="The earliest week of the stratum's cells.")
    last_week = models.DateField(help_text="The latest week of the stratum's cells.")

    class Meta:
        db_table = "scorecards_stratumtotal"
        constraints = [
            models.CheckConstraint(condition=models.Q(audited__gt=0)
                                   & models.Q(audited__lte=models.F("population"))
                                   & models.Q(first_week__lte=models.F("last_week")),
                                   name="stratum_total_counts_consistent"),
        ]
        indexes = [
            # The overview's completed audits per run (an index-only scan).
            models.Index(fields=["run", "audited"], name="stratum_total_run"),
            # The strata with cells in a period's weeks: the estimates read only their totals.
            models.Index(fields=["last_week", "first_week"], name="stratum_total_weeks"),
            # Strata spanning weeks (few or none with weekly runs), for ``rollups.week_sums``.
            models.Index(fields=["last_week", "first_week"], name="stratum_total_across_weeks",
                         condition=models.Q(first_week__lt=models.F("last_week"))),
        ]

    def __str__(self) -> str:
        return f"stratum {self.stratum_id}: {self.audited} of {self.population}"


class FinalisedDay(models.Model):
    """Audits one auditor (empty: none, shown as "unassigned") had finalised at one vendor on one
    UTC day, by their latest finalisation: the dispute rates' denominators."""

    vendor_path = "vendor"
    internal_only = True

    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="+", db_index=False,
    )
    day = models.DateField()
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    audits = models.PositiveIntegerField()

    class Meta:
        db_table = "scorecards_finalisedday"
        ordering = ["day", "auditor_id", "vendor_id"]
        constraints = [
            # Two partial keys, because NULL auditors are distinct in a plain unique key.
            models.UniqueConstraint(fields=["auditor", "day", "vendor"],
                                    condition=models.Q(auditor__isnull=False),
                                    name="finalised_day_key_unique"),
            models.UniqueConstraint(fields=["day", "vendor"],
                                    condition=models.Q(auditor__isnull=True),
                                    name="finalised_day_unassigned_unique"),
            models.CheckConstraint(condition=models.Q(audits__gt=0),
                                   name="finalised_day_has_audits"),
        ]
        # Covers the dispute rates' sums per vendor and per auditor (index-only scans).
        indexes = [models.Index(fields=["day", "vendor", "auditor", "audits"],
                                name="finalised_day_totals")]

    def __str__(self) -> str:
        return f"{self.audits} audits finalised by auditor {self.auditor_id} on {self.day}"


class WeekSums(models.Model):
    """``stats.DomainSums`` of one vendor's week (``vendor`` empty: the whole program's), over
    every error category known when computed; longer periods add weeks (``rollups.week_sums``).
    """

    vendor_path = "vendor"
    internal_only = True

    vendor = models.ForeignKey(
        "vendors.Vendor", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        db_index=False,
    )
    week = models.DateField(help_text="Monday of the handling week (UTC).")
    audits = models.PositiveIntegerField()
    sums = models.JSONField(help_text="The domain sums by name: estimates.SHARED_SUMS, and "
                                      "estimates.COLUMN_SUMS under 'passed', "
                                      "'critical_failed' and each category slug of "
                                      "'categories'.")

    class Meta:
        db_table = "scorecards_weeksums"
        ordering = ["week", "vendor_id"]
        constraints = [
            # Two partial keys, because NULL vendors are distinct in a plain unique key.
            models.UniqueConstraint(fields=["week", "vendor"],
                                    condition=models.Q(vendor__isnull=False),
                                    name="week_sums_vendor_unique"),
            models.UniqueConstraint(fields=["week"], condition=models.Q(vendor__isnull=True),
                                    name="week_sums_program_unique"),
            models.CheckConstraint(condition=models.Q(audits__gt=0),
                                   name="week_sums_has_audits"),
        ]

    def __str__(self) -> str:
        return f"week of {self.week}, vendor {self.vendor_id or 'all'}: {self.audits} audits"


class RunWeekSums(models.Model):
    """One sample run's part of a ``WeekSums`` row: the same sums over the run's strata only.
    A week's row is the sum of its runs' parts, so a refresh recomputes only the runs it
    touched (``rollups.week_sums``). The writer's intermediate: pages read ``WeekSums``."""

    vendor_path = "vendor"
    internal_only = True

    run = models.ForeignKey("sampling.SampleRun", on_delete=models.CASCADE, related_name="+")
    vendor = models.ForeignKey(
        "vendors.Vendor", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        db_index=False,
    )
    week = models.DateField(help_text="Monday of the handling week (UTC).")
    audits = models.PositiveIntegerField()
    sums = models.JSONField(help_text="As WeekSums.sums, over the run's strata.")

    class Meta:
        ordering = ["week", "vendor_id", "run_id"]
        constraints = [
            # Two partial keys, because NULL vendors are distinct in a plain unique key.
            models.UniqueConstraint(fields=["week", "vendor", "run"],
                                    condition=models.Q(vendor__isnull=False),
                                    name="run_week_sums_vendor_unique"),
            models.UniqueConstraint(fields=["week", "run"],
                                    condition=models.Q(vendor__isnull=True),
                                    name="run_week_sums_program_unique"),
            models.CheckConstraint(condition=models.Q(audits__gt=0),
                                   name="run_week_sums_has_audits"),
        ]

    def __str__(self) -> str:
        return (f"run {self.run_id}, week of {self.week}, vendor {self.vendor_id or 'all'}: "
                f"{self.audits} audits")


class PendingRefresh(models.Model):
    """An audit changed since the last flush of the rollups, noted in the step's transaction.
    A plain id, not a foreign key: a flush ignores audits that no longer exist."""

    vendor_path = None
    internal_only = True

    audit_id = models.BigIntegerField(primary_key=True)
    queued_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"audit {self.audit_id}, pending since {self.queued_at}"
