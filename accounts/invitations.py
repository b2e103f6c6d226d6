"""Inviting people: the program has no open sign-up."""

from allauth.account.forms import ResetPasswordForm
from allauth.account.models import EmailAddress
from django.db import transaction

from .models import User


@transaction.atomic
def invite(request, *, email: str, role: str, vendor=None) -> User:
    """Create an account with no usable password and email a link to set one. Vendor
    POCs are then made to enrol TOTP before they see any data."""
    user = User.objects.create_user(email=email, password=None, role=role, vendor=vendor)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    form = ResetPasswordForm(data={"email": email})
    form.is_valid()
    transaction.on_commit(lambda: form.save(request))
    return user
