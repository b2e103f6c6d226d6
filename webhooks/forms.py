from django import forms
from django.core.validators import URLValidator

from vendors.models import Vendor

from .events import EVENTS
from .models import EndpointKind


class EndpointForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What receives it, e.g. “#qa-alerts”.")
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https",
                         validators=[URLValidator(schemes=["http", "https"])])
    events = forms.MultipleChoiceField(
        choices=[(e.name, f"{e.label} ({e.name})") for e in EVENTS],
        widget=forms.CheckboxSelectMultiple)
    vendor = forms.ModelChoiceField(
        queryset=Vendor.objects.all(), required=False, empty_label="None (internal)",
        help_text="Bound to a vendor, the endpoint receives only that vendor's audits, "
                  "disputes and coaching, without internal fields.")
    is_active = forms.BooleanField(label="Active", required=False, initial=True)


class NewEndpointForm(EndpointForm):
    field_order = ["name", "kind", "url"]

    kind = forms.ChoiceField(
        choices=EndpointKind.choices, initial=EndpointKind.JSON,
        help_text="JSON is signed with the secret; Slack gets a line of text (its URL is "
                  "its secret).")
    secret = forms.CharField(
        required=False, max_length=100, widget=forms.PasswordInput(render_value=False),
        help_text="The HMAC key the receiver checks signatures with (at least 16 "
                  "characters). Leave empty to have one generated; it is shown once.")
