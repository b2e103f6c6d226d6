from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from .mfa import MFA_REQUIRED_MESSAGE, must_enrol_totp

# Paths a vendor user without TOTP may still reach: the account pages (to enrol TOTP or
# log out), static files and the health check.
OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz")
API_PREFIX = "/api/"


class RequireVendorMFAMiddleware:
    """Send vendor users to TOTP enrolment until they have it. Vendor data is external
    data leaving the company, so a password alone is not enough for them.

    API clients get a 403 with a JSON reason instead of a redirect to an HTML page; token
    authenticated requests are refused the same way by accounts.permissions.ProgramMember,
    since DRF authenticates tokens after middleware has run.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(OPEN_PREFIXES) and must_enrol_totp(request.user, request):
            if request.path.startswith(API_PREFIX):
                return JsonResponse({"detail": MFA_REQUIRED_MESSAGE}, status=403)
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


class NoSessionForServiceAccounts:
    """A service account is not a login: it has no password, and should it ever hold a
    session (a password set by hand, a forged login) the session ends here, so it cannot
    use the HTML pages or call the API without its scoped bearer token."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if getattr(request.user, "is_service_account", False):
            logout(request)
            request.user = AnonymousUser()
        return self.get_response(request)
