"""What a vendor's own QA team reports under contract, kept beside our audits to compare.

Two shapes, as vendors report them: a verdict per ticket (``VendorTicketResult``: the ticket,
passed or not, optionally a 0–100 score) and weekly rates (``VendorRate``: per workflow and
ISO week, how many tickets their QA audited and how many passed). Each value is the latest
one reported: uploading the same ticket or the same workflow and week again replaces it, and
``upload`` says which file (or API call) it came from and who sent it (``VendorQAUpload``).

Every row belongs to one vendor (``vendor_path``), so vendor users read it through
``accounts.scoping.visible_to`` like any other vendor data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class UploadKind(models.TextChoices):
    TICKETS = "tickets", "Per-ticket results"
    RATES = "rates", "Weekly rates"


class VendorQAUpload(models.Model):
    """One file (or API call) of vendor-reported QA that was imported: who sent what."""

    vendor_path = "vendor"

    class Channel(models.TextChoices):
        FILE = "file", "CSV upload"
        API = "api", "API"

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT,
                               related_name="qa_uploads")
    kind = models.CharField(max_length=10, choices=UploadKind.choices)
    channel = models.CharField(max_length=4, choices=Channel.choices, default=Channel.FILE)
    file_name = models.CharField(max_length=255, blank=True)
    rows = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["vendor", "-uploaded_at"], name="vqa_upload_vendor")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.vendor_id}: {self.file_name or self.channel}"


class VendorTicketResult(models.Model):
    """The vendor's own verdict on one of its tickets (the latest reported)."""

    vendor_path = "vendor"

    # The ticket's vendor, kept here so a vendor's results are read by index, never by a
    # join through the ticket population; the import only ever sets it to the ticket's.
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE,
                                  related_name="vendor_qa_result")
    passed = models.BooleanField()
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    upload = models.ForeignKey(VendorQAUpload, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField()

    class Meta:
        ordering = ["ticket_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                name="vqa_result_score_0_100",
            ),
        ]
        indexes = [models.Index(fields=["vendor", "ticket"], name="vqa_result_vendor")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {'passed' if self.passed else 'failed'}"


class VendorRate(models.Model):
    """The vendor's own QA over one workflow and ISO week (``week`` is its Monday): how many
    tickets they audited and how many passed (the latest reported)."""

    vendor_path = "vendor"

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    workflow = models.ForeignKey("vendors.Workflow", on_delete=models.PROTECT, related_name="+")
    week = models.DateField(help_text="The Monday of the ISO week.")
    audited = models.PositiveIntegerField()
    passed = models.PositiveIntegerField()
    upload = models.ForeignKey(VendorQAUpload, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField()

    class Meta:
        ordering = ["vendor", "workflow", "week"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "workflow", "week"],
                                    name="vqa_rate_one_per_week"),
            models.CheckConstraint(condition=Q(passed__lte=F("audited")),
                                   name="vqa_rate_passed_within_audited"),
        ]

    def __str__(self) -> str:
        return f"{self.vendor_id} {self.workflow_id} {self.week}: {self.passed}/{self.audited}"
