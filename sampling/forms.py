"""Forms for the planner and for sampling plans.

Proportions (confidence, margin, expected rate) are stored as 0–1 decimals but shown and typed
as percentages, because "± 3 %" is how a program manager says it. Every error message names
the field and what a valid value looks like.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from accounts.models import Role
from audit_forms.models import AuditForm, FormVersion
from vendors.models import Site, Vendor, Workflow

from .models import (
    STRATUM_KEY_LABELS,
    SamplingPlan,
    default_strata_keys,
    validate_stratum_costs,
    validate_timezone,
)

HUNDRED = Decimal(100)
CONFIDENCE_SUGGESTIONS = (90, 95, 99)


class PercentField(forms.DecimalField):
    """A proportion typed as a percentage: shows 0.0500 as 5, cleans 5 back to 0.0500.

    ``low``/``high`` bound the percentage strictly (a margin of 0 % or 100 % means nothing).
    """

    def __init__(self, *, low: float = 0, high: float = 100, **kwargs) -> None:
        kwargs.setdefault("max_digits", 6)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)
        self.low, self.high = Decimal(str(low)), Decimal(str(high))
        self.widget.attrs.update({"step": "any", "min": str(low), "max": str(high)})

    def prepare_value(self, value):
        # Initial values come from the model as proportions; submitted data stay as typed.
        if isinstance(value, Decimal | float | int) and not isinstance(value, bool):
            return f"{(Decimal(str(value)) * HUNDRED).normalize():f}"
        return value

    def clean(self, value):
        percent = super().clean(value)
        if percent is None:
            return None
        if not self.low < percent < self.high:
            raise ValidationError(
                f"Enter a percentage strictly between {self.low:g} and {self.high:g} "
                f"(you entered {percent:g})."
            )
        return (percent / HUNDRED).quantize(Decimal("0.0001"))


def _strata_choices() -> list[tuple[str, str]]:
    return list(STRATUM_KEY_LABELS.items())


def _decision_list(text: str) -> list[str]:
    return sorted({item.strip() for item in text.replace("\n", ",").split(",") if item.strip()})


class StratumCostsField(forms.CharField):
    """Per-stratum audit costs, one "key=value: cost" per line, stored as a JSON object."""

    widget = forms.Textarea(attrs={"rows": 3, "placeholder": "workflow=12: 2.5\nlanguage=ja: 1.5"})

    def prepare_value(self, value):
        if isinstance(value, dict):
            return "\n".join(f"{token}: {cost:g}" for token, cost in value.items())
        return value

    def clean(self, value) -> dict:
        text = super().clean(value) or ""
        costs: dict[str, float] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            token, sep, cost = line.rpartition(":")
            try:
                if not sep:
                    raise InvalidOperation
                costs[token.strip()] = float(Decimal(cost.strip()))
            except InvalidOperation:
                raise ValidationError(
                    f"Line {number} ({line.strip()!r}): write a stratum and its cost as "
                    "'workflow=12: 2.5'."
                ) from None
        validate_stratum_costs(costs)
        return costs


class PopulationFilterForm(forms.Form):
    """Which tickets make up the population, and how they are split into strata."""

    vendors = forms.ModelMultipleChoiceField(
        Vendor.objects.all(), required=False, help_text="None selected = all vendors."
    )
    sites = forms.ModelMultipleChoiceField(
        Site.objects.select_related("vendor"), required=False, help_text="None = all sites."
    )
    workflows = forms.ModelMultipleChoiceField(
        Workflow.objects.all(), required=False, help_text="None = all workflows."
    )
    decisions = forms.CharField(
        required=False, help_text="Comma-separated, e.g. remove, keep. Empty = all."
    )
    automation = forms.ChoiceField(
        choices=SamplingPlan.Automation.choices, initial=SamplingPlan.Automation.ANY
    )
    window_kind = forms.ChoiceField(
        label="Time window",
        choices=SamplingPlan.WindowKind.choices,
        initial=SamplingPlan.WindowKind.LAST_7_DAYS,
    )
    window_timezone = forms.CharField(
        label="Timezone", initial="UTC", help_text="IANA name, e.g. Europe/Madrid."
    )
    strata_keys = forms.MultipleChoiceField(
        label="Strata",
        choices=_strata_choices,
        required=False,
        initial=["vendor", "workflow"],
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_window_timezone(self) -> str:
        value = self.cleaned_data["window_timezone"].strip()
        validate_timezone(value)
        return value

    def clean_decisions(self) -> list[str]:
        return _decision_list(self.cleaned_data["decisions"])


class PrecisionForm(forms.Form):
    """What precision the sample must give: the planner's live inputs."""

    confidence = PercentField(
        label="Confidence (%)", initial=Decimal("0.95"),
        help_text="Usually 90, 95 or 99; any level is allowed.",
        widget=forms.NumberInput(attrs={"list": "confidence-levels"}),
    )
    margin = PercentField(
        label="Margin of error (± %)", initial=Decimal("0.05"),
        help_text="Half-width of the interval, e.g. 3 for ± 3 points.",
    )
    expected_rate = PercentField(
        label="Expected error rate (%)", initial=Decimal("0.10"),
        help_text="50 is the conservative choice when you have no history.",
    )
    minimum = forms.IntegerField(
        label="Minimum per stratum", min_value=0, initial=0, required=False
    )
    cap = forms.IntegerField(
        label="Cap on the sample", min_value=1, required=False,
        help_text="Optional budget: at most this many audits per run.",
    )
    costs = StratumCostsField(
        required=False,
        label="Audit cost per stratum",
        help_text="For optimal allocation: 'key=value: cost' per line. Default cost 1.",
    )

    def clean_minimum(self) -> int:
        return self.cleaned_data.get("minimum") or 0

    def planner_inputs(self) -> dict:
        """The cleaned inputs as planning.plan_sample takes them."""
        data = self.cleaned_data
        return {
            "confidence": float(data["confidence"]),
            "margin": float(data["margin"]),
            "expected_rate": float(data["expected_rate"]),
            "minimum": data["minimum"],
            "cap": data.get("cap"),
            "costs": data.get("costs") or {},
        }


class PlannerForm(PrecisionForm, PopulationFilterForm):
    """The sample-size planner page: precision first, then the population it applies to."""

    @classmethod
    def default_query(cls) -> dict:
        """The form's initial values as submitted data, so a first visit shows a plan."""
        form = cls()
        data: dict = {}
        for name, field in form.fields.items():
            value = form.get_initial_for_field(field, name)
            if value is None or value == "":
                continue
            value = field.prepare_value(value)
            data[name] = [str(v) for v in value] if isinstance(value, list) else str(value)
        return data


def population_filter(data: dict) -> dict:
    """A cleaned PopulationFilterForm's filter as filtered_tickets' keyword arguments."""
    return {
        "vendor_ids": [v.pk for v in data["vendors"]],
        "site_ids": [s.pk for s in data["sites"]],
        "workflow_ids": [w.pk for w in data["workflows"]],
        "decisions": data["decisions"],
        "automation": data["automation"],
    }


def initial_from_planner(query) -> dict:
    """Initial values for a new plan from the planner's query string (its "Save as plan")."""
    form = PlannerForm(query)
    if not form.is_valid():
        return {}
    data = form.cleaned_data
    return {
        "vendors": data["vendors"],
        "sites": data["sites"],
        "workflows": data["workflows"],
        "decision_types": ", ".join(data["decisions"]),
        "automation": data["automation"],
        "window_kind": data["window_kind"],
        "window_timezone": data["window_timezone"],
        "strata_keys": data["strata_keys"],
        "confidence": data["confidence"],
        "margin_of_error": data["margin"],
        "expected_rate": data["expected_rate"],
        "minimum_per_stratum": data["minimum"],
        "max_sample_size": data.get("cap"),
        "stratum_costs": data.get("costs") or {},
    }


class SamplingPlanForm(forms.ModelForm):
    """Create or edit a sampling plan; the model's own validators and clean() run too."""

    confidence = PercentField(label="Confidence (%)", help_text="e.g. 90, 95 or 99.")
    margin_of_error = PercentField(label="Margin of error (± %)", help_text="e.g. 3.")
    expected_rate = PercentField(
        label="Expected error rate (%)", help_text="50 is the conservative choice."
    )
    decision_types = forms.CharField(
        required=False, help_text="Comma-separated, e.g. remove, keep. Empty = all."
    )
    strata_keys = forms.MultipleChoiceField(
        label="Strata", choices=_strata_choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text="None = the population is one stratum.",
    )
    stratum_costs = StratumCostsField(
        required=False,
        label="Audit cost per stratum (optimal allocation)",
        help_text="One per line, 'key=value: cost', e.g. 'workflow=12: 2.5'. Default cost 1.",
    )

    class Meta:
        model = SamplingPlan
        fields = [
            "name", "description", "active", "kind",
            "vendors", "sites", "workflows", "decision_types", "automation",
            "window_kind", "window_timezone",
            "strata_keys", "confidence", "margin_of_error", "expected_rate",
            "margin_applies_to", "allocation", "stratum_costs", "minimum_per_stratum",
            "max_sample_size", "selection", "risk_floor",
            "form", "auditors", "audit_due_days",
            "schedule", "schedule_time", "schedule_weekday", "schedule_cron",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "schedule_time": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sites"].queryset = Site.objects.select_related("vendor")
        # Only forms with a published version can score anything.
        self.fields["form"].queryset = AuditForm.objects.filter(
            versions__status=FormVersion.Status.PUBLISHED
        ).distinct()
        for name in ("confidence", "margin_of_error", "expected_rate"):
            # Declared fields do not inherit the model's default as their initial value.
            self.fields[name].initial = Decimal(SamplingPlan._meta.get_field(name).default)
        self.fields["strata_keys"].initial = default_strata_keys()
        if self.instance.pk and not self.is_bound:
            self.initial["decision_types"] = ", ".join(self.instance.decision_types or [])
        for name in ("vendors", "sites", "workflows", "auditors"):
            self.fields[name].widget.attrs["size"] = 6
        self.fields["kind"].required = False
        self.fields["selection"].required = False
        self.fields["risk_floor"].required = False
        # A re-audit may go to a lead as well as an auditor (clean() keeps leads out of the
        # pool of a ticket sample).
        self.fields["auditors"].queryset = get_user_model().objects.filter(
            is_active=True, role__in=(Role.QA_AUDITOR, Role.PROGRAM_MANAGER)
        ).order_by("role", "email")
        self.fields["auditors"].help_text = (
            "Who scores the drawn audits: QA auditors; a re-audit plan may add leads."
        )

    def clean_decision_types(self) -> list[str]:
        return _decision_list(self.cleaned_data["decision_types"])

    def clean_window_timezone(self) -> str:
        return self.cleaned_data["window_timezone"].strip()

    def clean_kind(self) -> str:
        # Not given (an older client, the API of a script): the plan keeps its kind.
        return self.cleaned_data.get("kind") or self.instance.kind

    def clean_selection(self) -> str:
        return self.cleaned_data.get("selection") or self.instance.selection

    def clean_risk_floor(self) -> Decimal:
        floor = self.cleaned_data.get("risk_floor")
        return self.instance.risk_floor if floor is None else floor

    def clean(self):
        data = super().clean()
        vendors, sites = data.get("vendors"), data.get("sites")
        if vendors and sites:
            strays = [site for site in sites if site.vendor not in vendors]
            if strays:
                self.add_error(
                    "sites",
                    "These sites belong to vendors not in the plan, so they would match no "
                    f"tickets: {', '.join(str(site) for site in strays)}.",
                )
        if data.get("kind") == SamplingPlan.Kind.REAUDIT:
            # A re-audit plan is stratified by auditor, always, and each auditor is sized
            # on their own: the ticket strata, their costs and the allocation do not apply.
            data["strata_keys"] = []
            data["stratum_costs"] = {}
            data["margin_applies_to"] = SamplingPlan.MarginScope.EACH_STRATUM
        else:
            leads = [user for user in data.get("auditors") or [] if user.role != Role.QA_AUDITOR]
            if leads:
                self.add_error(
                    "auditors",
                    "Only a re-audit plan may send audits to leads: "
                    f"{', '.join(user.email for user in leads)} "
                    "would never be given one. Choose QA auditors, or make the plan a re-audit.",
                )
        keys = set(data.get("strata_keys") or [])
        costs = data.get("stratum_costs") or {}
        unused = [token for token in costs if token.partition("=")[0] not in keys]
        if costs and not self.has_error("stratum_costs") and unused:
            self.add_error(
                "stratum_costs",
                f"Costs for {', '.join(unused)} name a key the plan does not stratify by.",
            )
        return data
