from django import forms
from django.core.exceptions import ValidationError

from accounts.input_checks import UnreadableInput, load_json

from .models import Connector, default_field_map


class FieldMapField(forms.JSONField):
    """A JSON object typed in a text box: too deep a nesting or a NUL character (which the
    database's jsonb refuses) is a form error, not a 500."""

    def to_python(self, value):
        if self.disabled or not isinstance(value, str):
            return super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return load_json(value)
        except UnreadableInput as refused:
            raise ValidationError(refused.problem.replace("body", "the field map")) from None

    def bound_data(self, data, initial):
        # Re-shown after an error: what was typed, as typed, when it cannot be read.
        try:
            return super().bound_data(data, initial)
        except RecursionError:
            return forms.fields.InvalidJSONInput(data)


class ConnectorForm(forms.ModelForm):
    """A connector's settings; the model's checks (connectors.models.Connector.clean) apply."""

    field_map = FieldMapField(initial=default_field_map,
                              widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
                              help_text=Connector._meta.get_field("field_map").help_text)
    base_url = forms.URLField(label="Base URL", assume_scheme="https",
                              help_text="e.g. https://acme.zendesk.com")

    class Meta:
        model = Connector
        fields = ["name", "base_url", "email", "token_env", "source", "vendor", "field_map",
                  "statuses", "start_time", "cursor", "is_active"]
        labels = {"token_env": "Token environment variable",
                  "email": "E-mail"}
        widgets = {"cursor": forms.TextInput(attrs={"size": 60})}
        help_texts = {"cursor": "Where the next pull resumes; empty it to pull everything "
                                "again from the start time (no ticket is added twice)."}
