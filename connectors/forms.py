from django import forms

from .models import Connector


class ConnectorForm(forms.ModelForm):
    """A connector's settings; the model's checks (connectors.models.Connector.clean) apply."""

    base_url = forms.URLField(label="Base URL", assume_scheme="https",
                              help_text="e.g. https://acme.zendesk.com")

    class Meta:
        model = Connector
        fields = ["name", "base_url", "email", "token_env", "source", "vendor", "field_map",
                  "start_time", "cursor", "is_active"]
        labels = {"token_env": "Token environment variable",
                  "email": "E-mail"}
        widgets = {"field_map": forms.Textarea(attrs={"rows": 8, "cols": 80}),
                   "cursor": forms.TextInput(attrs={"size": 60})}
        help_texts = {"cursor": "Where the next pull resumes; empty it to pull everything "
                                "again from the start time (harmless: nothing is added twice)."}
