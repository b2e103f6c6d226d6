"""Service accounts: machine clients of the API with scoped, expiring bearer tokens.

A service account is a ``ServiceAccount`` row (name, scopes) with a ``User`` row of role
``service`` behind it: no password, no session, no two-factor. Bound to a vendor, that user
is a vendor user to the one scoping function (``visible_to``) and sees exactly what the
vendor's own users see; bound to none, it is program-wide like internal staff. What it may
*call* is narrower: one scope per API resource and verb (``SCOPES``), checked by
accounts.bearer.ServiceScope on every request.

A token is ``qat_`` and 43 URL-safe characters (256 random bits). Only its SHA-256 digest is
stored, with its first 12 characters as a visible prefix; the token itself is shown once.
See docs/architecture.md ("Service accounts and tokens").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify

from .models import Role, ServiceAccount, ServiceToken, User

TOKEN_PREFIX = "qat_"
PREFIX_LENGTH = 12  # "qat_" and 8 random characters: enough to tell tokens apart in a list
DEFAULT_EXPIRY_DAYS = 90
MAX_EXPIRY_DAYS = 366
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)

# The API's resources, each with the DRF router basenames it covers. A new endpoint needs an
# entry here before a service account can call it (tests/accounts/test_service_accounts.py
# checks every registered route has one).
RESOURCES: dict[str, tuple[str, ...]] = {
    "vendors": ("vendor", "site", "agent", "workflow", "contracttarget"),
    "tickets": ("ticket",),
    "forms": ("form",),
    "audits": ("audit",),
    "disputes": ("dispute",),
    "coaching": ("coaching-action",),
    "calibration": ("calibration-session",),
    "vendor-qa": ("vendor-qa-ticket-result", "vendor-qa-rate"),
}
VERBS = ("read", "write")
SCOPES: tuple[str, ...] = tuple(f"{resource}:{verb}" for resource in RESOURCES for verb in VERBS)
RESOURCE_OF_BASENAME = {
    basename: resource for resource, basenames in RESOURCES.items() for basename in basenames
}


class ServiceAccountError(ValueError):
    """Bad input for a service account or token; the message names what is wrong."""


class TokenRefused(Exception):
    """A bearer token that does not authenticate; the message says why (for a 401)."""


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: ``raw`` is shown once and never stored."""

    token: ServiceToken
    raw: str


def scope_for(basename: str | None, method: str) -> str | None:
    """The scope a request to the router route ``basename`` with ``method`` needs (reading
    methods need ``:read``, all others ``:write``); None for a route no scope opens."""
    resource = RESOURCE_OF_BASENAME.get(basename or "")
    if resource is None:
        return None
    verb = "read" if method.upper() in ("GET", "HEAD", "OPTIONS") else "write"
    return f"{resource}:{verb}"


def parse_scopes(text_or_list: str | list[str]) -> list[str]:
    """Scopes from ``"tickets:write,audits:read"`` or a list; unknown ones are an error
    naming them and the valid list. Order kept, duplicates dropped."""
    items = text_or_list.split(",") if isinstance(text_or_list, str) else list(text_or_list)
    scopes = list(dict.fromkeys(item.strip() for item in items if item.strip()))
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise ServiceAccountError(
            f"Unknown scope{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"valid scopes: {', '.join(SCOPES)}.")
    if not scopes:
        raise ServiceAccountError(f"Give at least one scope; valid scopes: {', '.join(SCOPES)}.")
    return scopes


def digest_of(raw: str) -> str:
    """The stored form of a token: its SHA-256, hex. A token holds 256 random bits, so a fast
    hash is enough (no salt or key stretching, which protect guessable passwords)."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def service_accounts() -> QuerySet[ServiceAccount]:
    """Every service account with its user (vendor, active) and tokens, newest token first."""
    return ServiceAccount.objects.select_related("user__vendor", "created_by").prefetch_related(
        "tokens")


@transaction.atomic
def create_service_account(name: str, scopes: list[str] | str, *, vendor=None,
                           by: User | None = None) -> ServiceAccount:
    """A new service account named ``name`` with ``scopes``, bound to ``vendor`` if given.
    Its user row has an unusable password and an address that cannot receive mail."""
    name = (name or "").strip()
    if not name:
        raise ServiceAccountError("A service account needs a name.")
    if len(name) > ServiceAccount._meta.get_field("name").max_length:
        raise ServiceAccountError("A service account's name is at most 100 characters.")
    if ServiceAccount.objects.filter(name__iexact=name).exists():
        raise ServiceAccountError(f"A service account named “{name}” already exists.")
    scopes = parse_scopes(scopes)
    handle = slugify(name)[:40] or "account"
    user = User(email=f"{handle}-{secrets.token_hex(4)}@service-accounts.invalid",
                role=Role.SERVICE_ACCOUNT, vendor=vendor, is_staff=False, is_superuser=False)
    user.set_unusable_password()
    user.save()
    return ServiceAccount.objects.create(name=name, user=user, scopes=scopes, created_by=by)


def issue_token(account: ServiceAccount, *, by: User | None = None,
                expires_days: int = DEFAULT_EXPIRY_DAYS, now: dt.datetime | None = None
                ) -> IssuedToken:
    """A new token for ``account``, valid for ``expires_days`` days; earlier tokens stay
    valid (rotate by issuing, switching the client over, then revoking the old one)."""
    if not account.user.is_active:
        raise ServiceAccountError(f"{account} is deactivated; it gets no new tokens.")
    if isinstance(expires_days, bool) or not isinstance(expires_days, int) or not (
            1 <= expires_days <= MAX_EXPIRY_DAYS):
        raise ServiceAccountError(
            f"Expires in days: a whole number from 1 to {MAX_EXPIRY_DAYS}.")
    now = now or timezone.now()
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ServiceToken.objects.create(
        account=account, prefix=raw[:PREFIX_LENGTH], digest=digest_of(raw), created_by=by,
        created_at=now, expires_at=now + dt.timedelta(days=expires_days))
    return IssuedToken(token=token, raw=raw)


def revoke_token(token: ServiceToken, *, by: User | None = None) -> ServiceToken:
    """Revoke ``token`` now (its next request is a 401); revoking twice changes nothing."""
    if token.revoked_at is None:
        token.revoked_at, token.revoked_by = timezone.now(), by
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def deactivate(account: ServiceAccount) -> ServiceAccount:
    """Deactivate ``account``: every one of its tokens stops working at once."""
    user = account.user
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return account


def authenticate_token(raw: str, now: dt.datetime | None = None) -> ServiceToken:
    """The live token ``raw`` names, with its account and user loaded; ``TokenRefused``
    (saying why) for an unknown, revoked or expired token or a deactivated account. Marks
    the token used, writing at most once a minute per token."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        raise TokenRefused("Unknown token.")
    token = ServiceToken.objects.select_related("account__user__vendor").filter(
        digest=digest_of(raw)).first()
    if token is None:
        raise TokenRefused("Unknown token.")
    now = now or timezone.now()
    if token.revoked_at is not None:
        raise TokenRefused(f"Token {token.prefix}… was revoked.")
    if token.expires_at <= now:
        raise TokenRefused(f"Token {token.prefix}… has expired.")
    if not token.account.user.is_active:
        raise TokenRefused(f"Service account “{token.account}” is deactivated.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        ServiceToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
