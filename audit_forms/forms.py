"""Django forms of the audit-form builder: input checking only, the edits are forms_catalog's."""

from django import forms

from vendors.models import Workflow

from .models import AuditForm, ErrorCategory, FormChoice, FormQuestion, FormSection, FormVersion


def category_options() -> list[tuple]:
    """The select options for error categories, read once per page (not once per form)."""
    return [("", "(none)"), *ErrorCategory.objects.filter(active=True).values_list("pk", "name")]


def category_field(current: ErrorCategory | None, options: list[tuple] | None):
    """Active categories, plus the one already chosen (a retired category stays readable)."""
    queryset = ErrorCategory.objects.filter(active=True)
    if current is not None:
        queryset = ErrorCategory.objects.filter(pk=current.pk) | queryset
    field = forms.ModelChoiceField(
        queryset=queryset.distinct(), required=False, empty_label="(none)",
        label="Error category",
    )
    if options is not None:
        if current is not None and current.pk not in {pk for pk, _ in options}:
            options = [*options, (current.pk, f"{current.name} (retired)")]
        field.widget.choices = options
    return field


class CategoryChoiceMixin:
    """Takes ``category_options`` (see ``category_options()``) to render without a query."""

    def __init__(self, *args, category_options: list[tuple] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.error_category if self.instance.error_category_id else None
        self.fields["error_category"] = category_field(current, category_options)


class NewFormForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    workflows = forms.ModelMultipleChoiceField(
        queryset=Workflow.objects.filter(active=True), required=False,
        widget=forms.CheckboxSelectMultiple, help_text="The workflows this form audits.",
    )


class FormWorkflowsForm(forms.ModelForm):
    class Meta:
        model = AuditForm
        fields = ["description", "workflows"]
        widgets = {
            "workflows": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 2}),
        }


class VersionSettingsForm(forms.ModelForm):
    class Meta:
        model = FormVersion
        fields = ["pass_mark", "critical_zeroes_score", "changelog"]
        widgets = {"changelog": forms.Textarea(attrs={"rows": 2})}
        labels = {"critical_zeroes_score": "A failed critical question sets the score to 0"}


class SectionForm(forms.ModelForm):
    class Meta:
        model = FormSection
        fields = ["title", "key", "weight", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 1})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].required = False
        self.fields["key"].help_text = "Leave empty to derive it from the title."
        self.fields["weight"].min_value = 0.01


class QuestionForm(CategoryChoiceMixin, forms.ModelForm):
    class Meta:
        model = FormQuestion
        fields = [
            "text", "key", "kind", "weight", "critical", "na_allowed", "required",
            "error_category", "scale_error_at_or_below", "guidance",
        ]
        widgets = {"guidance": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].required = False
        self.fields["key"].help_text = "Answers are stored under this key; empty = from the text."
        self.fields["scale_error_at_or_below"].widget.attrs["max"] = 5


class ChoiceForm(CategoryChoiceMixin, forms.ModelForm):
    class Meta:
        model = FormChoice
        fields = ["label", "value", "credit", "is_error", "error_category"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value"].required = False
        self.fields["credit"].widget.attrs.update(min=0, max=1, step="0.05")


class FormImportForm(forms.Form):
    file = forms.FileField(help_text="A JSON file exported from this program.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = "application/json,.json"


class ErrorCategoryForm(forms.ModelForm):
    class Meta:
        model = ErrorCategory
        fields = ["name", "slug", "kind", "description"]
