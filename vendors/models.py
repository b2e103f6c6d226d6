"""The vendor side of the program: who does the work, where, and on which line of work."""

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords


class Vendor(models.Model):
    """A BPO company the program outsources ticket and moderation work to."""

    vendor_path = "pk"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("vendors:vendor_detail", args=[self.slug])


class Site(models.Model):
    """A vendor's delivery centre, in one country and timezone."""

    vendor_path = "vendor"

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code, e.g. PH.")
    timezone = models.CharField(max_length=64, default="UTC", help_text="IANA name.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["vendor__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "slug"], name="site_slug_unique_per_vendor")
        ]

    def __str__(self) -> str:
        return f"{self.vendor} · {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("vendors:site_detail", args=[self.vendor.slug, self.slug])


class Agent(models.Model):
    """A vendor's agent, known only by a pseudonymous external id."""

    vendor_path = "vendor"

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="agents")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="agents")
    external_id = models.CharField(max_length=64)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "external_id"], name="agent_id_unique_per_vendor"
            )
        ]

    def __str__(self) -> str:
        return self.external_id

    def get_absolute_url(self) -> str:
        return reverse("vendors:agent_detail", args=[self.vendor.slug, self.pk])


class Workflow(models.Model):
    """A line of work shared across vendors: a policy area, a support queue, a language."""

    vendor_path = None  # reference data every user may see

    class Kind(models.TextChoices):
        MODERATION = "moderation", "Content moderation"
        SUPPORT = "support", "Customer support"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MODERATION)
    policy_area = models.CharField(max_length=120, blank=True)
    language = models.CharField(max_length=16, blank=True, help_text="BCP 47 tag, e.g. es.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("vendors:workflow_detail", args=[self.slug])


class ContractTarget(models.Model):
    """A quality level a vendor has contracted to on a workflow, for a period."""

    vendor_path = "vendor"

    class Metric(models.TextChoices):
        ACCURACY = "accuracy", "Accuracy (share of audits passed)"
        CRITICAL_ERROR_RATE = "critical_error_rate", "Critical error rate"
        POLICY_ACCURACY = "policy_accuracy", "Policy decision accuracy"

    class Direction(models.TextChoices):
        AT_LEAST = "at_least", "at least"
        AT_MOST = "at_most", "at most"

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="targets")
    workflow = models.ForeignKey(
        Workflow,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="targets",
        help_text="Empty means the target applies to all of the vendor's work.",
    )
    metric = models.CharField(max_length=32, choices=Metric.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    target = models.DecimalField(
        max_digits=6, decimal_places=4, help_text="A proportion between 0 and 1, e.g. 0.95."
    )
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)

    # A target is what a vendor is held to: who changed it, when, from what, is evidence.
    history = HistoricalRecords()

    class Meta:
        ordering = ["vendor__name", "workflow__name", "metric", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target__gte=0) & Q(target__lte=1), name="target_is_a_proportion"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="target_period_is_ordered",
            ),
        ]

    def __str__(self) -> str:
        scope = self.workflow or "all workflows"
        metric = self.get_metric_display()
        return f"{self.vendor} · {scope}: {metric} {self.get_direction_display()} {self.target}"
