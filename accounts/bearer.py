"""``Authorization: Bearer <token>`` for service accounts, and the scope each request needs.

A token that does not authenticate (unknown, revoked, expired, its account deactivated, or
a malformed header) is a 401 with a ``WWW-Authenticate: Bearer`` header. DRF would turn an
AuthenticationFailed into a 403 here, since its first authentication class (sessions) names
no challenge, so the refusal is its own exception with status 401. A missing scope is a 403
naming the scope (``ServiceScope``). See accounts.service_accounts.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from .models import ServiceToken
from .service_accounts import TokenRefused, authenticate_token, scope_for

KEYWORD = "Bearer"
CHALLENGE = 'Bearer realm="api"'


class BearerTokenRejected(exceptions.APIException):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Invalid bearer token."
    default_code = "authentication_failed"

    def __init__(self, detail: str):
        super().__init__(detail)
        self.auth_header = f'{CHALLENGE}, error="invalid_token"'


class ServiceTokenAuthentication(BaseAuthentication):
    """A service account's bearer token; ``request.auth`` is its ServiceToken."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None  # not ours: sessions and per-user tokens are other classes
        if len(parts) != 2:
            raise BearerTokenRejected("Malformed Authorization header: send “Bearer <token>”.")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise BearerTokenRejected("Malformed token: it holds non-ASCII characters.") from None
        try:
            token = authenticate_token(raw)
        except TokenRefused as refused:
            raise BearerTokenRejected(str(refused)) from None
        return token.account.user, token

    def authenticate_header(self, request) -> str:
        return CHALLENGE


def is_service_request(request) -> bool:
    return isinstance(getattr(request, "auth", None), ServiceToken)


class ServiceScope(BasePermission):
    """A service account may call a route only with the scope for its resource and verb
    (accounts.service_accounts.SCOPES); people are not concerned."""

    def has_permission(self, request, view) -> bool:
        # Imported here: DRF loads this module while rest_framework.views is importing.
        from rest_framework.routers import APIRootView

        if not is_service_request(request) or isinstance(view, APIRootView):
            return True  # the API root lists the endpoints' addresses, no data
        needed = scope_for(getattr(view, "basename", None), request.method)
        if needed is None:
            self.message = "No scope opens this endpoint to service accounts."
            return False
        if needed not in request.auth.account.scopes:
            self.message = f"This token's service account lacks the scope {needed}."
            return False
        return True


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    """The bearer token in the OpenAPI schema (/api/schema/), so clients see how to send it."""

    target_class = "accounts.bearer.ServiceTokenAuthentication"
    name = "serviceAccountToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A service account's token: `Authorization: Bearer qat_…`."}
