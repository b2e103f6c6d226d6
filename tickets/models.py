"""The ticket population: the vendor work that can be audited, and the files it came in.

The tables keep the names they had in the ``audits`` app (``audits_ticket``,
``audits_ticketimport``); docs/architecture.md says why.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

# The longest name of an outside model that scored a ticket (``Ticket.ai_model``).
AI_MODEL_MAX_LENGTH = 64


class Ticket(models.Model):
    """One unit of vendor work: a moderation decision or a support contact.

    ``sample_key`` is a stable pseudo-random number derived from (source, external_id) at
    import; sample draws order by a seeded hash of it so that the same plan and seed pick
    the same tickets on any database.
    """

    vendor_path = "vendor"

    source = models.CharField(max_length=40, default="", blank=True)
    external_id = models.CharField(max_length=128)
    # No single-column index on the foreign keys: each leads one of the (…, handled_at)
    # indexes below, which serve the same lookups, and every index is written for every
    # imported ticket (docs/benchmarks.md, the import).
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    site = models.ForeignKey(
        "vendors.Site", on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    agent = models.ForeignKey(
        "vendors.Agent", on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    workflow = models.ForeignKey(
        "vendors.Workflow", on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    handled_at = models.DateTimeField()
    decision = models.CharField(max_length=64)
    policy_label = models.CharField(max_length=120, blank=True)
    language = models.CharField(max_length=16, blank=True)
    channel = models.CharField(max_length=32, blank=True)
    automated = models.BooleanField(default=False)
    content_url = models.URLField(max_length=500, blank=True)
    excerpt = models.TextField(blank=True)
    extra = models.JSONField(default=dict, blank=True)
    sample_key = models.BigIntegerField(default=0)
    ai_score = models.FloatField(
        null=True, blank=True,
        help_text="An outside model's probability (0 to 1) that the ticket fails QA.",
    )
    # db_default: inserts by raw SQL that predate the column (benches, the demo) stay valid.
    ai_model = models.CharField(
        max_length=AI_MODEL_MAX_LENGTH, blank=True, default="", db_default="",
        help_text="The model that gave ai_score, e.g. llm-grader-v3.",
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    content_purged_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When retention removed the excerpt, link and extra fields (audits.retention).",
    )

    class Meta:
        db_table = "audits_ticket"
        ordering = ["-handled_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="ticket_external_id_unique_per_source"
            ),
            # NaN fails the range test too (PostgreSQL orders NaN above every number); the
            # isnull=False keeps a NULL score from passing as "unknown", which CHECK accepts.
            models.CheckConstraint(
                condition=Q(ai_score__isnull=True, ai_model="")
                | Q(ai_score__isnull=False, ai_score__gte=0, ai_score__lte=1) & ~Q(ai_model=""),
                name="ticket_ai_score_is_a_probability_with_its_model",
                violation_error_message=(
                    "An AI score is a probability from 0 to 1 and needs the name of its "
                    "model; give both or neither."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["vendor", "handled_at"], name="ticket_vendor_time"),
            models.Index(fields=["site", "handled_at"], name="ticket_site_time"),
            models.Index(fields=["workflow", "handled_at"], name="ticket_workflow_time"),
            models.Index(fields=["agent", "handled_at"], name="ticket_agent_time"),
            models.Index(fields=["handled_at"], name="ticket_time"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}" if self.source else self.external_id

    @property
    def content_removed_note(self) -> str:
        """What pages show instead of content that retention removed ("" while kept)."""
        if self.content_purged_at is None:
            return ""
        return f"Content removed after {settings.QA_CONTENT_RETENTION_DAYS} days (retention)."


class TicketImport(models.Model):
    """One uploaded ticket file and what importing it did.

    The upload page saves the file and queues a Celery task; the task fills in the status,
    the counts and ``report`` (an ``ImportReport`` as JSON, the same report the
    ``import_tickets`` command prints), which the page then shows.
    """

    vendor_path = None
    internal_only = True  # program managers' tooling; vendors never see uploads

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Imported"
        REJECTED = "rejected", "Rejected (bad rows, nothing imported)"
        ERROR = "error", "Stopped by an error"

    FINISHED = (Status.SUCCEEDED, Status.REJECTED, Status.ERROR)

    file = models.FileField(upload_to="ticket_imports/%Y/%m/%d/")
    original_name = models.CharField(max_length=255)
    source = models.CharField(
        max_length=40,
        blank=True,
        help_text="Used for rows whose source column is absent or empty.",
    )
    uploaded_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    existing_count = models.PositiveIntegerField(default=0)
    agents_created = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "audits_ticketimport"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED


class TicketPush(models.Model):
    """One batch pushed to ``POST /api/v1/tickets/bulk/`` and the answer it got.

    With an ``Idempotency-Key`` header the key, a digest of the request and the response are
    kept, so a retry with the same key gets the first answer back instead of a second write;
    after ``tickets.pushing.IDEMPOTENCY_KEY_TTL`` the key and the stored response are cleared
    and the row stays as a record of the push. See docs/integrations.md.
    """

    vendor_path = None
    internal_only = True  # the program's integration log; vendors see their tickets, not this

    pushed_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    pushed_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_digest = models.CharField(max_length=64, blank=True)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-pushed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pushed_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="ticket_push_idempotency_key_unique_per_account",
            ),
        ]
        indexes = [models.Index(fields=["pushed_at"], name="ticket_push_time")]

    def __str__(self) -> str:
        return f"push {self.pk} ({self.rows} rows, HTTP {self.status_code})"


class TicketChange(models.Model):
    """What a push changed on a ticket that was already present: ``fields`` maps each
    changed field to ``[before, after]`` (JSON values; times as ISO 8601)."""

    vendor_path = "ticket__vendor"
    internal_only = True

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="changes")
    push = models.ForeignKey(TicketPush, on_delete=models.CASCADE, related_name="changes")
    changed_at = models.DateTimeField()
    fields = models.JSONField()

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {', '.join(self.fields)}"
