"""The ticket population (vendor work that can be audited) and, later, its audits."""

from django.db import models


class Ticket(models.Model):
    """One unit of vendor work: a moderation decision or a support contact.

    ``sample_key`` is a stable pseudo-random number derived from (source, external_id) at
    import; sample draws order by a seeded hash of it so that the same plan and seed pick
    the same tickets on any database.
    """

    vendor_path = "vendor"

    source = models.CharField(max_length=40, default="", blank=True)
    external_id = models.CharField(max_length=128)
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="tickets")
    site = models.ForeignKey("vendors.Site", on_delete=models.PROTECT, related_name="tickets")
    agent = models.ForeignKey("vendors.Agent", on_delete=models.PROTECT, related_name="tickets")
    workflow = models.ForeignKey(
        "vendors.Workflow", on_delete=models.PROTECT, related_name="tickets"
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
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-handled_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="ticket_external_id_unique_per_source"
            )
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
