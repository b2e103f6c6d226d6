from django import forms

from vendors.models import Vendor

from .models import PEOPLE_ROLES, VENDOR_ROLES, Role, User, vendor_required_message


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=[c for c in PEOPLE_ROLES if c[0] != Role.ADMIN])
    vendor = forms.ModelChoiceField(
        queryset=Vendor.objects.filter(active=True),
        required=False,
        help_text="Required for vendor POCs and QA analysts, who see only this vendor's data.",
    )

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(f"{email} already has an account.")
        return email

    def clean(self):
        data = super().clean()
        if data.get("role") in VENDOR_ROLES and not data.get("vendor"):
            self.add_error("vendor", vendor_required_message(data["role"]))
        if data.get("role") not in VENDOR_ROLES:
            data["vendor"] = None
        return data


class RoleForm(forms.Form):
    """A person's role, and their vendor when the role is a vendor role."""

    role = forms.ChoiceField(choices=[c for c in PEOPLE_ROLES if c[0] != Role.ADMIN])
    vendor = forms.ModelChoiceField(
        queryset=Vendor.objects.all(), required=False, empty_label="None (internal role)",
        help_text="Only for vendor POCs and QA analysts, who see only this vendor's data.",
    )

    def clean(self):
        data = super().clean()
        if data.get("role") in VENDOR_ROLES and not data.get("vendor"):
            self.add_error("vendor", vendor_required_message(data["role"]))
        elif data.get("role") and data.get("role") not in VENDOR_ROLES and data.get("vendor"):
            self.add_error("vendor", "Only vendor POCs belong to a vendor (and vendor QA "
                                     "analysts); leave it empty for an internal role.")
        return data


class PeopleFilterForm(forms.Form):
    q = forms.CharField(label="Email contains", required=False, max_length=254)
    role = forms.ChoiceField(choices=[("", "All roles"), *PEOPLE_ROLES], required=False)
    active = forms.ChoiceField(
        choices=[("", "Active and deactivated"), ("yes", "Active"), ("no", "Deactivated")],
        required=False,
    )
