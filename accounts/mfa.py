"""Multi-factor rules: TOTP is open to everyone and required of vendor users."""

from allauth.mfa.models import Authenticator

MFA_REQUIRED_MESSAGE = "Vendor users must enrol two-factor authentication before using the API."


def has_totp(user) -> bool:
    """Whether ``user`` has an authenticator app enrolled."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def must_enrol_totp(user) -> bool:
    """A vendor POC without TOTP may do nothing but enrol it. A service account bound to a
    vendor has no login to protect: its bearer token is its only credential."""
    return bool(getattr(user, "is_authenticated", False) and user.is_vendor_user
                and not user.is_service_account) and not has_totp(user)
