"""A vendor's own identity provider: that vendor's people sign in through their company's
OpenID Connect IdP (docs/integrations.md, "A vendor's own sign-in").

Each configured vendor is one allauth ``openid_connect`` app, built here from its
VendorIdentityProvider row with the provider id ``vendor-<vendor pk>`` (a primary key, not
the slug: linked IdP accounts are stored under it and must survive a rename). The rules:

- An identity from vendor A's IdP signs in only a vendor user of vendor A: never staff,
  never a service account, never another vendor's user; its verified email must be at one
  of the domains the manager allowed.
- With no account for that email, a just-in-time account (when the manager allowed them)
  is a vendor QA analyst of vendor A: the vendor role that may do least.
- A vendor whose IdP is *required* has no password logins.
- Local TOTP is still asked after the IdP unless the manager trusts the IdP for two-factor.
"""

from __future__ import annotations

import base64
import re

from allauth.socialaccount.models import SocialApp
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from vendors.models import Vendor

from .models import VENDOR_ROLES, Role, User, VendorIdentityProvider

PROVIDER_PREFIX = "vendor-"
# The role of a just-in-time vendor user: sees their vendor's data, disputes nothing,
# acknowledges nothing, joins only calibration sessions they are invited to.
JIT_ROLE = Role.VENDOR_QA_ANALYST
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class SignInRefused(Exception):
    """An IdP login this program will not accept; the message says why, for the person."""


def provider_id_of(vendor_id: int) -> str:
    return f"{PROVIDER_PREFIX}{vendor_id}"


def vendor_id_of(provider_id: str) -> int | None:
    """The vendor of a ``vendor-<pk>`` provider id; None for the staff IdP or anything else."""
    rest = provider_id.removeprefix(PROVIDER_PREFIX)
    return int(rest) if provider_id.startswith(PROVIDER_PREFIX) and rest.isdigit() else None


# --- The client secret, encrypted at rest ---------------------------------------------------


def _keys() -> MultiFernet:
    """Fernet keys derived from SECRET_KEY (first, used to encrypt) and its fallbacks, so a
    key rotated with SECRET_KEY_FALLBACKS still opens secrets sealed before."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    salted_hmac(
                        "accounts.vendor_sso", "client secret", secret=secret, algorithm="sha256"
                    ).digest()
                )
            )
            for secret in secrets
        ]
    )


def seal(secret: str) -> str:
    return _keys().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The secret, or None when no key opens it (SECRET_KEY changed without fallback: the
    manager enters the secret again)."""
    try:
        return _keys().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


# --- Configuration --------------------------------------------------------------------------


def parse_domains(text: str) -> list[str]:
    """``"Acme.example, @ops.acme.example"`` → ``["acme.example", "ops.acme.example"]``;
    ValueError naming the first entry that is not a domain."""
    domains: list[str] = []
    for entry in re.split(r"[\s,;]+", text.strip()):
        domain = entry.lower().removeprefix("@")
        if not domain:
            continue
        if not _DOMAIN.match(domain):
            raise ValueError(f"“{entry}” is not an email domain (e.g. acme-bpo.example).")
        if domain not in domains:
            domains.append(domain)
    return domains


def domain_clashes(domains: list[str], vendor_id: int) -> dict[str, str]:
    """Domains another vendor's IdP already signs in, with that vendor's name: one domain
    routes to one vendor's IdP."""
    clashes = {}
    for other in VendorIdentityProvider.objects.exclude(vendor_id=vendor_id).select_related(
        "vendor"
    ):
        for domain in set(domains) & set(other.email_domains):
            clashes[domain] = other.vendor.name
    return clashes


def save_identity_provider(
    idp: VendorIdentityProvider, by: User, secret: str = "", reason: str = ""
) -> VendorIdentityProvider:
    """Save a new or changed vendor IdP made by ``by``; a non-empty ``secret`` replaces the
    stored one. Refuses a domain another vendor's IdP has (checked under a lock, so two
    managers cannot both take it)."""
    with transaction.atomic():
        # Every vendor row, not the IdP rows: the first two IdPs have no row to lock yet.
        list(Vendor.objects.select_for_update().order_by("pk").values_list("pk"))
        clashes = domain_clashes(idp.email_domains, idp.vendor_id)
        if clashes:
            domain, vendor = next(iter(clashes.items()))
            raise ValueError(f"{domain} already signs in through {vendor}'s IdP.")
        if secret:
            idp.client_secret, idp.secret_changed_at = seal(secret), timezone.now()
        if not idp.client_secret:
            raise ValueError("The IdP needs its client secret.")
        idp._history_user = by
        if reason:
            idp._change_reason = reason[:100]
        idp.save()
    return idp


def changes(idp: VendorIdentityProvider) -> list[dict]:
    """The IdP's recorded changes, newest first: who, when, why, and each field's
    old → new (the secret only as the time it was changed)."""
    records = list(
        idp.history.select_related("history_user").order_by("history_date", "history_id")
    )
    labels = {f.name: f.verbose_name for f in VendorIdentityProvider._meta.fields}
    labels["secret_changed_at"] = "client secret changed"
    entries, previous = [], None
    for record in records:
        if previous is None:
            fields = [
                (labels[name], "", _shown(getattr(record, name)))
                for name in labels
                if hasattr(record, name)
                and name not in {"id", "vendor", "client_secret", "updated_at"}
            ]
        else:
            fields = [
                (labels[change.field], _shown(change.old), _shown(change.new))
                for change in record.diff_against(previous).changes
            ]
        if fields:
            entries.append(
                {
                    "when": record.history_date,
                    "who": record.history_user,
                    "kind": record.get_history_type_display(),
                    "reason": record.history_change_reason or "",
                    "fields": fields,
                }
            )
        previous = record
    return entries[::-1]


def _shown(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value) or "none"
    if hasattr(value, "strftime"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


# --- allauth apps ---------------------------------------------------------------------------


def social_apps(provider: str | None, client_id: str | None = None) -> list[SocialApp]:
    """allauth apps (unsaved, like the ones it builds from settings) of the enabled vendor
    IdPs that ``provider`` names: ``openid_connect`` (all) or ``vendor-<pk>`` (that one).
    Hidden: the login page's provider buttons are the staff IdP's only."""
    rows = VendorIdentityProvider.objects.filter(enabled=True).select_related("vendor")
    if provider != "openid_connect":
        vendor_id = vendor_id_of(provider or "")
        if vendor_id is None:
            return []
        rows = rows.filter(vendor_id=vendor_id)
    if client_id:
        rows = rows.filter(client_id=client_id)
    apps = []
    for idp in rows:
        secret = unseal(idp.client_secret)
        if secret is None:
            continue  # no key opens it: this sign-in is off until the secret is entered again
        apps.append(
            SocialApp(
                provider="openid_connect",
                provider_id=provider_id_of(idp.vendor_id),
                name=idp.vendor.name,
                client_id=idp.client_id,
                secret=secret,
                settings={
                    "server_url": idp.issuer_url,
                    "token_auth_method": "client_secret_post",
                    "hidden": True,
                },
            )
        )
    return apps


def provider_for_email(email: str) -> VendorIdentityProvider | None:
    """The enabled vendor IdP whose allowed domains hold ``email``'s domain. Routing by
    domain only (not by looking the account up) tells a visitor nothing about who has an
    account. A handful of rows: filtered here, since SQLite has no JSON containment."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    for idp in VendorIdentityProvider.objects.filter(enabled=True).select_related("vendor"):
        if domain in idp.email_domains:
            return idp
    return None


# --- Who an IdP login may reach --------------------------------------------------------------


def check_vendor_login(
    provider_id: str, email: str, email_verified: bool, reached: list[User]
) -> VendorIdentityProvider:
    """Accept a login through vendor IdP ``provider_id`` for ``email`` that would reach the
    accounts ``reached`` (its linked account and those with its email), or raise
    SignInRefused saying why."""
    idp = (
        VendorIdentityProvider.objects.select_related("vendor")
        .filter(vendor_id=vendor_id_of(provider_id), enabled=True)
        .first()
    )
    if idp is None:
        raise SignInRefused("This company sign-in is turned off.")
    vendor = idp.vendor
    if not email or not email_verified:
        raise SignInRefused(f"{vendor}'s sign-in did not vouch for a verified email address.")
    if email.rpartition("@")[2].lower() not in idp.email_domains:
        raise SignInRefused(
            f"{vendor}'s sign-in may only sign in addresses at "
            f"{', '.join(idp.email_domains)}; it sent {email}."
        )
    for user in reached:
        if user.role not in VENDOR_ROLES or user.vendor_id != idp.vendor_id:
            raise SignInRefused(f"{vendor}'s sign-in cannot sign in the account of {email}.")
    if not reached and not idp.create_users:
        raise SignInRefused(
            f"{email} has no account here yet: ask your program manager for an invitation."
        )
    return idp


def password_login_refusal(user: User, provider_id: str | None) -> VendorIdentityProvider | None:
    """The IdP that must sign ``user`` in, when this login (through ``provider_id``, or a
    password when None) is not through it."""
    if user.role not in VENDOR_ROLES or provider_id == provider_id_of(user.vendor_id):
        return None
    return (
        VendorIdentityProvider.objects.filter(vendor_id=user.vendor_id, enabled=True, required=True)
        .select_related("vendor")
        .first()
    )


def idp_vouches_for_mfa(user, provider_id: str | None) -> bool:
    """Whether a login of ``user`` through ``provider_id`` counts as two-factor: their own
    vendor's IdP, enabled and trusted for it by a manager."""
    return bool(
        provider_id
        and getattr(user, "role", None) in VENDOR_ROLES
        and provider_id == provider_id_of(user.vendor_id)
        and VendorIdentityProvider.objects.filter(
            vendor_id=user.vendor_id, enabled=True, trusted_for_mfa=True
        ).exists()
    )
