"""The form QA fills to open an action; the target (audits, or site/vendor) comes from the
link that led here (the audit page's selection or a thematic gap)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from accounts.models import Role, User
from audits.models import ErrorCategory
from vendors.models import Workflow

DEFAULT_DAYS = 14


class ActionForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    category = forms.ModelChoiceField(ErrorCategory.objects.all(), to_field_name="slug",
                                      label="Theme (error category)")
    workflow = forms.ModelChoiceField(Workflow.objects.all(), to_field_name="slug",
                                      required=False, empty_label="All workflows")
    owner = forms.ModelChoiceField(User.objects.none(), required=False,
                                   empty_label="No owner yet", label="Owner (vendor POC)")
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, vendor=None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "due_date", timezone.localdate() + dt.timedelta(days=DEFAULT_DAYS))
        super().__init__(*args, **kwargs)
        if vendor is not None:
            self.fields["owner"].queryset = User.objects.filter(
                role=Role.VENDOR_POC, vendor=vendor, is_active=True)


class CompleteForm(forms.Form):
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}),
                            label="Coaching done")
