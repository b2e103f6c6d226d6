from django import forms

from accounts.models import Role, User
from audit_forms.models import FormVersion
from vendors.models import Vendor, Workflow

from .models import ItemSource

SOURCES = [(ItemSource.RANDOM, "At random from recent finalised audits"),
           (ItemSource.PICKED, "Hand-picked ticket ids"),
           (ItemSource.DISPUTES, "From overturned disputes")]


class SessionForm(forms.Form):
    name = forms.CharField(max_length=200)
    form_version = forms.ModelChoiceField(
        queryset=FormVersion.objects.published().select_related("form"), label="Form version")
    vendor = forms.ModelChoiceField(
        queryset=Vendor.objects.filter(active=True), required=False,
        empty_label="Any vendor (internal participants only)",
        help_text="Needed to invite the vendor's QA analysts: every ticket is then theirs.")


class ItemsForm(forms.Form):
    source = forms.ChoiceField(choices=SOURCES, widget=forms.RadioSelect, initial="random")
    count = forms.IntegerField(min_value=1, max_value=200, initial=10, required=False,
                               help_text="Random and disputes: how many tickets.")
    vendors = forms.ModelMultipleChoiceField(
        queryset=Vendor.objects.filter(active=True), required=False,
        help_text="Random and disputes: only these vendors (a vendor session: its own).")
    workflows = forms.ModelMultipleChoiceField(queryset=Workflow.objects.all(), required=False)
    days = forms.IntegerField(min_value=1, max_value=365, initial=30, required=False)
    external_ids = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Ticket ids",
        help_text="Hand-picked: external ids, one per line or separated by commas.")


class InviteForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=User.objects.filter(
            is_active=True,
            role__in=[Role.PROGRAM_MANAGER, Role.QA_AUDITOR, Role.ADMIN, Role.VENDOR_QA_ANALYST],
        ).select_related("vendor"),
        label="Person")
