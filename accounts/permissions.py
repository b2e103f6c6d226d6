from rest_framework.permissions import BasePermission

from .bearer import is_service_request
from .mfa import MFA_REQUIRED_MESSAGE, must_enrol_totp


class ProgramMember(BasePermission):
    """The API's default: an active user with a role, and vendor users only once they have
    enrolled TOTP (token auth must not be a way around MFA)."""

    message = "Your account has no role in the program."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if not (user.is_internal or user.is_vendor_user):
            return False
        if user.is_service_account and not is_service_request(request):
            # A service account authenticates by bearer token only (never a session or a
            # per-user DRF token), so its scopes are always checked.
            self.message = "A service account calls the API with its bearer token only."
            return False
        if must_enrol_totp(user, request):
            self.message = MFA_REQUIRED_MESSAGE
            return False
        return True


class IsManager(BasePermission):
    """Program managers and admins only (designing plans, importing, inviting)."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_manager)
