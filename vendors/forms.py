"""The contract-target form managers fill in: the target as a percentage, dates in order,
no overlap with another target of the same vendor, workflow and metric."""

from decimal import Decimal

from django import forms

from .models import ContractTarget, Vendor, Workflow
from .targets import overlap_message, overlapping


class ContractTargetForm(forms.ModelForm):
    target_percent = forms.DecimalField(
        label="Target (%)", min_value=Decimal("0"), max_value=Decimal("100"),
        decimal_places=2, max_digits=5,
        help_text="A percentage between 0 and 100, e.g. 95 for accuracy or 2 for critical "
                  "errors.",
    )
    reason = forms.CharField(
        label="Why (kept in the history)", required=False, max_length=100,
        help_text="Optional, e.g. “contract amendment 3”.",
    )

    field_order = ["vendor", "workflow", "metric", "direction", "target_percent",
                   "effective_from", "effective_to", "reason"]

    class Meta:
        model = ContractTarget
        fields = ["vendor", "workflow", "metric", "direction", "effective_from", "effective_to"]
        widgets = {
            "effective_from": forms.DateInput(attrs={"type": "date"}),
            "effective_to": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {"effective_to": "Leave empty for a target with no end date."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vendor"].queryset = Vendor.objects.filter(active=True)
        self.fields["workflow"].queryset = Workflow.objects.all()
        self.fields["workflow"].empty_label = "All workflows"
        if self.instance.pk:
            # A target belongs to its vendor; another vendor gets a target of its own.
            self.fields["vendor"].disabled = True
            self.fields["vendor"].queryset = Vendor.objects.all()
            # 0.9500 → 95.00: the stored four decimals are the field's two.
            self.fields["target_percent"].initial = (self.instance.target * 100).quantize(
                Decimal("0.01"))

    def clean(self):
        data = super().clean()
        start, end = data.get("effective_from"), data.get("effective_to")
        if start and end and end < start:
            self.add_error("effective_to", f"The end date must be on or after the start "
                                           f"date ({start}).")
        if data.get("target_percent") is not None:
            self.instance.target = (data["target_percent"] / 100).quantize(Decimal("0.0001"))
        if not self.errors and data.get("vendor") and data.get("metric") and start:
            probe = ContractTarget(
                pk=self.instance.pk, vendor=data["vendor"], workflow=data.get("workflow"),
                metric=data["metric"], effective_from=start, effective_to=end,
            )
            clash = overlapping(probe).first()
            if clash is not None:
                self.add_error("effective_from", overlap_message(clash))
        return data

