"""The built-in risk model: each trained version with its model card, the cross-fitted scores of
the audited tickets it learned from, and the training and scoring jobs managers queue.

A version's estimator is stored in the row (``estimator``: joblib bytes, a few hundred KB at
most, ``MAX_ESTIMATOR_BYTES``), so it commits with its card in one transaction and every web
process and worker reads the same bytes from the database, with no shared media volume.
docs/risk-model.md explains the model, the cross-fitting and why the estimates stay unbiased.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

# Every score the built-in model writes names it "qa-risk-v<version>"; a score whose model does
# not start so came from an outside model and is left alone unless a manager asks.
BUILT_IN_PREFIX = "qa-risk-v"
# The stored estimator's bound: hashing keeps the text features at a fixed width and the
# categories are capped, so a version is far below this; a bigger one is refused, not stored.
MAX_ESTIMATOR_BYTES = 5_000_000


class RiskModel(models.Model):
    """One trained version of the built-in model and its card: what it learned from, how well
    its cross-fitted (out-of-fold) scores foretold those audits, and the estimator."""

    vendor_path = None
    internal_only = True  # QA's tooling; vendors never see the model or its scores

    version = models.PositiveIntegerField(unique=True)
    trained_at = models.DateTimeField()
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    audits = models.PositiveIntegerField(help_text="Audited tickets it learned from.")
    failures = models.PositiveIntegerField(help_text="Of those, tickets that failed QA.")
    folds = models.PositiveSmallIntegerField(help_text="K of the K-fold cross-fitting.")
    seed = models.PositiveIntegerField(help_text="Seed of the folds and the bootstrap.")
    finalised_from = models.DateTimeField(help_text="Earliest finalisation it learned from.")
    finalised_to = models.DateTimeField(help_text="Latest finalisation it learned from.")
    auc = models.FloatField(help_text="Area under the ROC curve of the out-of-fold scores.")
    auc_low = models.FloatField()
    auc_high = models.FloatField()
    brier = models.FloatField(help_text="Brier score of the out-of-fold scores.")
    brier_low = models.FloatField()
    brier_high = models.FloatField()
    confidence = models.FloatField(default=0.95)
    estimator_name = models.CharField(max_length=200)
    features = models.JSONField(help_text="Each feature's name and how it is encoded.")
    estimator = models.BinaryField(help_text="The fitted pipeline and agent rates (joblib).")
    estimator_bytes = models.PositiveIntegerField()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(auc__gte=0, auc__lte=1)
                & Q(auc_low__lte=models.F("auc"))
                & Q(auc_high__gte=models.F("auc")),
                name="risk_model_auc_in_its_interval",
            ),
            models.CheckConstraint(
                condition=Q(brier__gte=0, brier__lte=1)
                & Q(brier_low__lte=models.F("brier"))
                & Q(brier_high__gte=models.F("brier")),
                name="risk_model_brier_in_its_interval",
            ),
            models.CheckConstraint(
                condition=Q(failures__lte=models.F("audits")), name="risk_model_failures_le_audits"
            ),
            models.CheckConstraint(
                condition=Q(estimator_bytes__lte=MAX_ESTIMATOR_BYTES),
                name="risk_model_estimator_bounded",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """What ``Ticket.ai_model`` says for this version's scores."""
        return f"{BUILT_IN_PREFIX}{self.version}"

    @property
    def failure_rate(self) -> float:
        return self.failures / self.audits if self.audits else 0.0


class CalibrationBin(models.Model):
    """One bin of a version's calibration plot: out-of-fold scores in [low, high), how many
    audited tickets, their mean score and the share that failed, with its Wilson interval."""

    vendor_path = None
    internal_only = True

    model = models.ForeignKey(RiskModel, on_delete=models.CASCADE, related_name="bins")
    low = models.FloatField()
    high = models.FloatField()
    count = models.PositiveIntegerField()
    mean_score = models.FloatField()
    observed = models.FloatField()
    observed_low = models.FloatField()
    observed_high = models.FloatField()

    class Meta:
        ordering = ["model", "low"]
        constraints = [
            models.UniqueConstraint(fields=["model", "low"], name="calibration_bin_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.model} [{self.low:.1f}, {self.high:.1f})"


class OutOfFoldScore(models.Model):
    """An audited ticket's cross-fitted score: predicted by the model of the fold that left it
    out (``fold``), never by one that learned from it. Scoring writes it to the ticket."""

    vendor_path = "ticket__vendor"
    internal_only = True

    model = models.ForeignKey(RiskModel, on_delete=models.CASCADE, related_name="out_of_fold")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    fold = models.PositiveSmallIntegerField()
    score = models.FloatField()
    failed = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "ticket"], name="out_of_fold_once"),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=1), name="out_of_fold_is_a_probability"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model} · ticket {self.ticket_id}: {self.score:.3f}"


class RiskJob(models.Model):
    """One training or scoring queued from the model card (or a command): its outcome, so the
    page can say what happened, refusals included."""

    vendor_path = None
    internal_only = True

    class Kind(models.TextChoices):
        TRAIN = "train", "Training"
        SCORE = "score", "Scoring"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    overwrite_outside = models.BooleanField(
        default=False, help_text="Scoring only: replace outside models' scores too."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    model = models.ForeignKey(
        RiskModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    tickets_scored = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} ({self.get_status_display()})"
