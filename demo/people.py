"""The demo program's people: one login per role, all with the same published password.

Only ``seed_demo`` calls this. The password is printed on the console by design, which is
why the command refuses to run with DEBUG off unless told otherwise.
"""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction

from accounts.models import Role, User
from demo.vendors import VENDORS, upsert
from vendors.models import Vendor

DEMO_PASSWORD = "demo-password-2026"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    vendor_slug: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def demo_logins() -> list[DemoLogin]:
    """Every demo login: an admin, a program manager, three auditors, one POC per vendor and
    the first vendor's QA analyst."""
    logins = [
        DemoLogin("admin@demo.qa", Role.ADMIN),
        DemoLogin("manager@demo.qa", Role.PROGRAM_MANAGER),
    ]
    logins += [DemoLogin(f"auditor{n}@demo.qa", Role.QA_AUDITOR) for n in (1, 2, 3)]
    logins += [DemoLogin(f"poc@{v.slug}.demo.qa", Role.VENDOR_POC, v.slug) for v in VENDORS]
    # The first vendor's QA analyst, who took part in a calibration session (demo.calibration).
    logins.append(DemoLogin(f"qa@{VENDORS[0].slug}.demo.qa", Role.VENDOR_QA_ANALYST,
                            VENDORS[0].slug))
    return logins


def demo_password_hash(stored: list[str]) -> str:
    """The hash every demo login gets: one already stored that matches the demo password
    (so a re-seed writes nothing), else a fresh one.

    One hash for all the logins, because hashing is deliberately slow (about a second per
    password with Django's default PBKDF2) and the password is published anyway: a salt per
    login would only protect it from an attacker who can read it on the console.
    """
    for encoded in dict.fromkeys(stored):  # distinct, in order: usually one check
        if encoded and check_password(DEMO_PASSWORD, encoded):
            return encoded
    return make_password(DEMO_PASSWORD)


@transaction.atomic
def seed() -> list[tuple[User, DemoLogin]]:
    """Create or refresh the demo logins, each with a verified primary email address so
    allauth's email login accepts it. Vendor POCs get no authenticator: the middleware
    has them enrol TOTP at first login, which is part of what the demo shows.

    Returns the users with their login description, in display order.
    """
    vendors = {vendor.slug: vendor for vendor in Vendor.objects.all()}
    emails = [login.email for login in demo_logins()]
    hashed = demo_password_hash(
        list(User.objects.filter(email__in=emails).values_list("password", flat=True))
    )
    seeded = []
    for login in demo_logins():
        user, _ = upsert(
            User,
            {"email": login.email},
            {
                "role": login.role,
                "vendor": vendors[login.vendor_slug] if login.vendor_slug else None,
                "is_staff": login.is_admin,
                "is_superuser": login.is_admin,
                "is_active": True,
            },
        )
        # Only write when needed: a fresh hash on every run would rewrite every user row.
        if user.password != hashed:
            user.password = hashed
            user.save(update_fields=["password"])
        upsert(
            EmailAddress,
            {"user": user, "email": login.email},
            {"verified": True, "primary": True},
        )
        seeded.append((user, login))
    return seeded
