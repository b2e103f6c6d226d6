"""Rollups of audit outcomes that scorecards and dashboards read.

A scorecard for a vendor, site, workflow or agent over a period is a *domain* estimate over
stratified sample runs (Cochran 1977 §5A.14; Lohr 2019 §3.3): for domain d,

    p̂_d = Σ_h (N_h / n_h) · x_hd  /  Σ_h (N_h / n_h) · m_hd

where h ranges over the (run, stratum) cells, N_h is the stratum's population, n_h its
completed sampled audits, m_hd those of them in the domain and x_hd those that passed. A
domain can cut across strata (a workflow scorecard over a vendor × site plan), so the rollup
keeps counts per stratum *and* per domain attribute: one ``AuditCell`` per (stratum, vendor,
site, agent, workflow, week). n_h is the sum of ``audited`` over the stratum's cells; m_hd
and x_hd are the sums over the cells of the stratum that fall in the domain.

Cells are derived data, rebuilt from ``audits.Audit`` by ``rollups.cells`` and never
edited by hand.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CellCounts(models.Model):
    """The counts an audit cell holds for its key (see ``AuditCell``), shared by the agent
    cells and the site cells."""

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
    """Completed sampled audits of one stratum, for one agent, site and workflow, in one week.

    ``week`` is the Monday (a date) of the ISO week, in UTC, in which the audited ticket was
    handled: the period a scorecard covers is when the vendor did the work, not when QA got to
    it, and UTC keeps one week the same for every site. ``audited`` counts audits of sampled
    tickets (``unsampled`` False) in a scored status (submitted, disputed, resolved, final);
    ad-hoc audits never count. ``error_categories`` maps each error category slug (every
    category known when the cell was computed) to how many of the cell's audits found at
    least one error of it — the numerator of a category rate, as on the run report; a slug
    missing from an older cell means 0. ``score_sum`` / ``scored`` is the average score
    (audits scored all N/A have no score and are left out of both).

    Site and vendor are part of the key because they are the ticket's, as imported: an
    agent's tickets can carry another site than the agent's current one.
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
    """``AuditCell`` without the agent: completed sampled audits of one stratum, for one site
    and workflow, in one week.

    Pages that do not look at agents read these instead of the agent cells: a large program
    has about as many agent cells as audits (each agent does few audits of a workflow a
    week), and several times fewer site cells. The counts mean exactly what they mean on
    ``AuditCell``; the site cells are kept by the same refresh and rebuild, and always equal
    the agent cells summed over agents (tested).
    """

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
    """``SiteCell`` without the site: completed sampled audits of one stratum, for one vendor
    and workflow, in one week.

    Pages that look at vendors, workflows or weeks but not at sites or agents (the overview,
    program-wide trends and error themes, a vendor's headlines) read these: about one row per
    stratum and week, several times fewer than the site cells. Kept by the same refresh and
    rebuild, and always equal to the agent cells summed over agents and sites (tested).
    """

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
    """What one auditor submitted with one audit form on one day (UTC): the overview's
    productivity figures, read without scanning the audits.

    Counts every audit in a scored status (submitted, disputed, resolved, final) by its
    ``submitted_at`` day, sampled or ad hoc, with the scoring time the workspace recorded.
    """

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
    """A stratum's completed sampled audits over all its cells (n_h), beside its population
    (N_h): the two numbers every estimate needs per stratum, read by primary key.

    A page's domain is a part of each stratum it touches, but the weights need the whole
    stratum's n_h; summing the stratum's cells for every stratum of a program-wide page costs
    a correlated aggregate per stratum (tens of thousands on a quarter). The overview also
    sums n_h per run (its runs' completed audits), and ``rollups.week_sums`` asks which
    strata span weeks. Kept by the same refresh and rebuild as the cells; a stratum with no
    completed audit has no row.
    """

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
            # Those whose cells span weeks: few or none when runs are weekly
            # (``rollups.week_sums`` asks whether a period has any).
            models.Index(fields=["last_week", "first_week"], name="stratum_total_across_weeks",
                         condition=models.Q(first_week__lt=models.F("last_week"))),
        ]

    def __str__(self) -> str:
        return f"stratum {self.stratum_id}: {self.audited} of {self.population}"


class FinalisedDay(models.Model):
    """How many audits one auditor had finalised on one day (UTC) at one vendor: the
    denominators of the dispute rates (``scorecards.dispute_rates.dispute_rates``), read without
    scanning the audits.

    Counts every audit with a ``finalised_at`` (final, or disputed or resolved since) by the
    UTC day of it and its ticket's vendor; an audit re-finalised after a dispute moves to the
    day of its latest finalisation. ``auditor`` is empty for audits without one (bulk loads),
    which the rates show as "unassigned". Kept beside ``AuditorDay`` by
    ``rollups.productivity``.
    """

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
    """The estimate sums of one week of one vendor (``vendor`` empty: of the whole program):
    ``stats.DomainSums``' per-stratum terms totalled over the strata of that vendor's (or the
    program's) cells of the week, as ``rollups.estimates`` totals them for a domain.

    A domain within one week (a trend's point, the p-chart's) is one row; a vendor's or the
    program's month or quarter is the sum of its weeks' rows when no stratum has audits in two
    of those weeks, which holds for weekly runs (``rollups.week_sums``). The sums are
    over every error category known when the row was computed.
    Kept by the same refresh and rebuild as the cells.
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


class PendingRefresh(models.Model):
    """An audit whose lifecycle changed since the last flush of the rollups
    (``rollups.writer``): written in the step's own transaction, deleted by the flush that
    refreshes it. A plain id, not a foreign key: a flush ignores audits that no longer exist."""

    vendor_path = None
    internal_only = True

    audit_id = models.BigIntegerField(primary_key=True)
    queued_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"audit {self.audit_id}, pending since {self.queued_at}"
