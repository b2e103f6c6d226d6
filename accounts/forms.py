from django import forms

from vendors.models import Vendor

from .models import Role, User


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=[c for c in Role.choices if c[0] != Role.ADMIN])
    vendor = forms.ModelChoiceField(
        queryset=Vendor.objects.filter(active=True),
        required=False,
        help_text="Required for vendor POCs, who see only this vendor's data.",
    )

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(f"{email} already has an account.")
        return email

    def clean(self):
        data = super().clean()
        if data.get("role") == Role.VENDOR_POC and not data.get("vendor"):
            self.add_error("vendor", "A vendor POC must be bound to one vendor.")
        if data.get("role") != Role.VENDOR_POC:
            data["vendor"] = None
        return data


class RoleForm(forms.Form):
    """A person's role, and their vendor when the role is a vendor role."""

    role = forms.ChoiceField(choices=[c for c in Role.choices if c[0] != Role.ADMIN])
    vendor = forms.ModelChoiceField(
        queryset=Vendor.objects.all(), required=False, empty_label="None (internal role)",
        help_text="Only for vendor POCs, who see only this vendor's data.",
    )

    def clean(self):
        data = super().clean()
        if data.get("role") == Role.VENDOR_POC and not data.get("vendor"):
            self.add_error("vendor", "A vendor POC must be bound to one vendor.")
        elif data.get("role") and data.get("role") != Role.VENDOR_POC and data.get("vendor"):
            self.add_error("vendor", "Only vendor POCs belong to a vendor; leave it empty for "
                                     "an internal role.")
        return data


class PeopleFilterForm(forms.Form):
    q = forms.CharField(label="Email contains", required=False, max_length=254)
    role = forms.ChoiceField(choices=[("", "All roles"), *Role.choices], required=False)
    active = forms.ChoiceField(
        choices=[("", "Active and deactivated"), ("yes", "Active"), ("no", "Deactivated")],
        required=False,
    )
