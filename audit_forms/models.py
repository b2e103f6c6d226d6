"""Audit forms (scorecards): the error taxonomy and versioned forms.

An ``AuditForm`` is a form's identity across versions; each ``FormVersion`` holds its own
sections, questions and choices. A version is edited while it is a draft and frozen once
published: audits point at the version they were scored with, so changing a published
version would silently change what old scores mean. Editing a published form therefore
copies it into a new draft (``audit_forms.catalog.start_draft``).

Freezing is enforced three times: the domain functions in ``audit_forms.catalog`` refuse
to edit a non-draft version with a clear message; the ``save()``/``delete()`` of versions,
sections, questions and choices raise ``FrozenVersion`` as a last guard (bulk queryset
updates bypass them, so domain code never uses them on form parts); and database
constraints keep the lifecycle fields consistent (one draft and one published version per
form at most, published versions have a publication time, weights positive).

The tables keep the names they had in the ``audits`` app (``audits_formversion``, …).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .scoring import Choice, FormSpec, Question, Section


class FrozenVersion(Exception):
    """Raised when something tries to change a published or retired form version."""


class ErrorKind(models.TextChoices):
    POLICY = "policy", "Policy error"
    WRONG_ACTION = "wrong_action", "Wrong action"
    PROCEDURAL = "procedural", "Procedural"
    CUSTOMER_EXPERIENCE = "customer_experience", "Customer experience"
    OTHER = "other", "Other"


class ErrorCategory(models.Model):
    """One kind of mistake an answer can reveal (the managed error taxonomy).

    Questions and choices name a category; scored audits count their errors per category
    slug, which the rollups and coaching themes group by. Retired categories stay (old
    audits name them) but are not offered for new questions.
    """

    vendor_path = None  # shared reference data

    Kind = ErrorKind

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=24, choices=ErrorKind.choices, default=ErrorKind.OTHER)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        db_table = "audits_errorcategory"
        ordering = ["kind", "name"]
        verbose_name_plural = "error categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ErrorKind.values), name="error_category_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name


class AuditForm(models.Model):
    """A scorecard's identity across its versions, and the workflows it is used for."""

    vendor_path = None  # forms are shared; vendors see the questions of their own audits

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    workflows = models.ManyToManyField("vendors.Workflow", blank=True, related_name="audit_forms")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "audits_auditform"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FormVersionQuerySet(models.QuerySet):
    def published(self) -> FormVersionQuerySet:
        return self.filter(status=FormVersion.Status.PUBLISHED)

    def drafts(self) -> FormVersionQuerySet:
        return self.filter(status=FormVersion.Status.DRAFT)

    def for_workflow(self, workflow) -> FormVersionQuerySet:
        """Versions of the forms used for ``workflow`` (a Workflow or its pk)."""
        return self.filter(form__workflows=workflow)


class FormVersion(models.Model):
    """One numbered version of a form: a draft being built, published (frozen) or retired.

    At most one draft and at most one published version per form; publishing a draft
    retires the version it replaces. ``based_on`` records which version a draft copied.
    """

    vendor_path = None

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    # Fields a published version may still change: only its retirement.
    RETIREMENT_FIELDS = frozenset({"status", "retired_at", "retired_by"})

    form = models.ForeignKey(AuditForm, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pass_mark = models.DecimalField(max_digits=5, decimal_places=2, default=80)
    critical_zeroes_score = models.BooleanField(
        default=True, help_text="A failed critical question sets the score to 0, not only fail."
    )
    changelog = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = FormVersionQuerySet.as_manager()

    class Meta:
        db_table = "audits_formversion"
        ordering = ["form_id", "-number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="form_version_number_unique"),
            models.UniqueConstraint(
                fields=["form"], condition=Q(status="draft"), name="form_one_draft"
            ),
            models.UniqueConstraint(
                fields=["form"], condition=Q(status="published"), name="form_one_published"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="form_version_number_gte_1"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "retired"]),
                name="form_version_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(pass_mark__gte=0) & Q(pass_mark__lte=100),
                name="form_version_pass_mark_0_100",
            ),
            # A draft was never published; anything else was, and a retired one was retired.
            models.CheckConstraint(
                condition=(Q(status="draft") & Q(published_at__isnull=True))
                | (Q(status="published") & Q(published_at__isnull=False))
                | (
                    Q(status="retired")
                    & Q(published_at__isnull=False)
                    & Q(retired_at__isnull=False)
                ),
                name="form_version_lifecycle_times",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.form.name} v{self.number}"

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        retiring_only = update_fields is not None and set(update_fields) <= self.RETIREMENT_FIELDS
        if self.pk is not None and not self._state.adding and not retiring_only:
            stored = FormVersion.stored_status(self.pk)
            if stored in (self.Status.PUBLISHED, self.Status.RETIRED):
                raise FrozenVersion(
                    f"{self} is {stored}: only its retirement can change. "
                    "Create a new draft to edit it."
                )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status != self.Status.DRAFT:
            raise FrozenVersion(f"{self} is {self.status}: retire it instead of deleting it.")
        return super().delete(*args, **kwargs)

    @classmethod
    def stored_status(cls, pk: int) -> str | None:
        """The status in the database (None if gone): an in-memory copy may predate the
        publication, so every freezing check reads this."""
        return cls.objects.filter(pk=pk).values_list("status", flat=True).first()

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def to_spec(self) -> FormSpec:
        """This version as the plain ``FormSpec`` that ``audit_forms.scoring.score_audit`` takes.

        Error categories are named by slug. Uses prefetched parts when the caller loaded them
        with ``audit_forms.catalog.version_with_parts``.
        """
        sections = []
        for section in self.sections.all():
            questions = []
            for q in section.questions.all():
                choices = tuple(
                    Choice(
                        value=c.value, label=c.label, credit=float(c.credit), is_error=c.is_error,
                        error_category=c.error_category.slug if c.error_category else "",
                    )
                    for c in q.choices.all()
                ) if q.kind == FormQuestion.Kind.CHOICE else ()
                questions.append(Question(
                    key=q.key, kind=q.kind, weight=float(q.weight), critical=q.critical,
                    na_allowed=q.na_allowed, required=q.required,
                    error_category=q.error_category.slug if q.error_category else "",
                    scale_error_at_or_below=q.scale_error_at_or_below, choices=choices,
                ))
            sections.append(Section(key=section.key, questions=tuple(questions),
                                    weight=float(section.weight)))
        return FormSpec(
            sections=tuple(sections), pass_mark=float(self.pass_mark),
            critical_zeroes_score=self.critical_zeroes_score,
        )


class FrozenGuard(models.Model):
    """Refuses to save or delete a part of a form version that is no longer a draft."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self._refuse_if_frozen("changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_frozen("deleted")
        return super().delete(*args, **kwargs)

    def owning_version(self) -> FormVersion:  # pragma: no cover - overridden
        raise NotImplementedError

    def _refuse_if_frozen(self, verb: str) -> None:
        version = self.owning_version()
        status = FormVersion.stored_status(version.pk)
        if status is not None and status != FormVersion.Status.DRAFT:
            raise FrozenVersion(
                f"{version} is {status}: its {self._meta.verbose_name}s cannot be {verb}. "
                "Create a new draft to edit it."
            )


class FormSection(FrozenGuard):
    """A titled group of questions with a weight in the audit score."""

    vendor_path = None

    version = models.ForeignKey(FormVersion, on_delete=models.CASCADE, related_name="sections")
    key = models.SlugField(max_length=60)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    weight = models.DecimalField(max_digits=7, decimal_places=2, default=1)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "audits_formsection"
        ordering = ["version_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="form_section_key_unique"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="form_section_weight_gt_0"),
        ]

    def __str__(self) -> str:
        return self.title

    def owning_version(self) -> FormVersion:
        return self.version


class FormQuestion(FrozenGuard):
    """One question. ``key`` is unique in the whole version: answers are keyed by it.

    ``version`` repeats ``section.version`` so that uniqueness can be a database
    constraint; ``save()`` keeps the two in step.
    """

    vendor_path = None

    class Kind(models.TextChoices):
        YES_NO = "yes_no", "Yes / No"
        PASS_FAIL = "pass_fail", "Pass / Fail"
        SCALE = "scale", "Scale 1–5"
        CHOICE = "choice", "Single choice"

    version = models.ForeignKey(FormVersion, on_delete=models.CASCADE, related_name="questions")
    section = models.ForeignKey(FormSection, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=60)
    text = models.CharField(max_length=500)
    guidance = models.TextField(blank=True, help_text="Shown to the auditor beside the question.")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.YES_NO)
    weight = models.DecimalField(max_digits=7, decimal_places=2, default=1)
    critical = models.BooleanField(default=False, help_text="Failing it fails the whole audit.")
    na_allowed = models.BooleanField("N/A allowed", default=False)
    required = models.BooleanField(default=True)
    error_category = models.ForeignKey(
        ErrorCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scale_error_at_or_below = models.PositiveSmallIntegerField(
        default=2, help_text="Scale questions: answers at or below this count as errors (0 = none)."
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "audits_formquestion"
        ordering = ["section__position", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="form_question_key_unique"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="form_question_weight_gt_0"),
            models.CheckConstraint(
                condition=Q(kind__in=["yes_no", "pass_fail", "scale", "choice"]),
                name="form_question_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(scale_error_at_or_below__lte=5), name="form_question_scale_error_le_5"
            ),
        ]

    def __str__(self) -> str:
        return self.text

    def save(self, *args, **kwargs) -> None:
        self.version_id = self.section.version_id
        super().save(*args, **kwargs)

    def owning_version(self) -> FormVersion:
        return self.section.version


class FormChoice(FrozenGuard):
    """An option of a single-choice question, with its credit and whether it is an error."""

    vendor_path = None

    question = models.ForeignKey(FormQuestion, on_delete=models.CASCADE, related_name="choices")
    value = models.SlugField(max_length=60)
    label = models.CharField(max_length=200)
    credit = models.DecimalField(
        max_digits=4, decimal_places=3, default=1, help_text="0 to 1: the share of the weight."
    )
    is_error = models.BooleanField(default=False)
    error_category = models.ForeignKey(
        ErrorCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Overrides the question's category for this answer.",
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "audits_formchoice"
        ordering = ["question_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["question", "value"], name="form_choice_value_unique"),
            models.CheckConstraint(
                condition=Q(credit__gte=0) & Q(credit__lte=1), name="form_choice_credit_0_1"
            ),
            # "na" is the N/A answer of every question; an option may not shadow it.
            models.CheckConstraint(condition=~Q(value="na"), name="form_choice_value_not_na"),
        ]

    def __str__(self) -> str:
        return self.label

    def owning_version(self) -> FormVersion:
        return self.question.section.version
