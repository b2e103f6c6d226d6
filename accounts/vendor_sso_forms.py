"""The forms of a vendor's own sign-in: the manager's IdP settings, and the email a person
types to be sent to their company's IdP."""

from django import forms

from . import vendor_sso
from .models import VendorIdentityProvider
from .outbound import secret_may_travel_to


class VendorIdentityProviderForm(forms.ModelForm):
    issuer_url = forms.URLField(
        label="Issuer URL",
        max_length=300,
        assume_scheme="https",
        help_text="e.g. https://login.acme-bpo.example/realms/staff (its "
        "/.well-known/openid-configuration is read).",
    )
    client_secret = forms.CharField(
        label="Client secret",
        required=False,
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "size": 60}),
        help_text="Stored encrypted and never shown again. Leave empty to keep the stored one.",
    )
    domains = forms.CharField(
        label="Allowed email domains",
        max_length=1000,
        help_text="Comma-separated, e.g. acme-bpo.example, ops.acme-bpo.example. Only "
        "addresses at these domains sign in through this IdP, and the login page "
        "sends them to it.",
    )
    reason = forms.CharField(label="Why (kept in the history)", required=False, max_length=100)

    field_order = [
        "issuer_url",
        "client_id",
        "client_secret",
        "domains",
        "enabled",
        "required",
        "create_users",
        "trusted_for_mfa",
        "reason",
    ]

    class Meta:
        model = VendorIdentityProvider
        fields = [
            "issuer_url",
            "client_id",
            "enabled",
            "required",
            "create_users",
            "trusted_for_mfa",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("issuer_url", "client_id", "domains", "reason"):
            self.fields[name].widget.attrs["size"] = 60
        if self.instance.pk:
            self.fields["domains"].initial = ", ".join(self.instance.email_domains)
        else:
            self.fields["client_secret"].required = True
            self.fields["client_secret"].help_text = "Stored encrypted and never shown again."

    def clean_issuer_url(self):
        url = self.cleaned_data["issuer_url"].rstrip("/")
        if not secret_may_travel_to(url):
            raise forms.ValidationError(
                "Use https: the client secret and the person's tokens travel over it."
            )
        return url

    def clean_domains(self):
        try:
            domains = vendor_sso.parse_domains(self.cleaned_data["domains"])
        except ValueError as bad:
            raise forms.ValidationError(str(bad)) from None
        if not domains:
            raise forms.ValidationError("Name at least one email domain.")
        clashes = vendor_sso.domain_clashes(domains, self.instance.vendor_id)
        if clashes:
            raise forms.ValidationError(
                [
                    f"{domain} already signs in through {vendor}'s IdP."
                    for domain, vendor in clashes.items()
                ]
            )
        return domains

    def clean(self):
        data = super().clean()
        if data.get("required") and not data.get("enabled"):
            self.add_error("required", "A sign-in that is turned off cannot be required.")
        if "domains" in data:
            self.instance.email_domains = data["domains"]
        return data


class CompanySignInForm(forms.Form):
    email = forms.EmailField(
        label="Work email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
