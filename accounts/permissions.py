from rest_framework.permissions import BasePermission

from .mfa import must_enrol_totp


class ProgramMember(BasePermission):
    """The API's default: an active user with a role, and vendor users only once they have
    enrolled TOTP (token auth must not be a way around MFA)."""

    message = "Vendor users must enrol two-factor authentication before using the API."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if not (user.is_internal or user.is_vendor_user):
            return False
        return not must_enrol_totp(user)


class IsManager(BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_manager)
