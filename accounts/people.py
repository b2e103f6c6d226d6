"""Managing the program's people: a program manager changes someone's role (and vendor),
deactivates or reactivates an account, or sends an invitation again.

Each change is refused when it would break a rule the database also keeps (a vendor POC
belongs to exactly one vendor, an internal role to none; a vendor POC is never staff), when
it is about the manager's own account (nobody locks themselves out), or when it touches an
admin (admins are managed in the Django admin). Each change is written to Django's admin
log, so the People page and the admin's history of that user tell the same story.
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest

from vendors.models import Vendor

from .invitations import send_invitation
from .models import PEOPLE_ROLES, VENDOR_ROLES, Role, User, vendor_required_message

# Roles a program manager may give; admins are made in the Django admin.
ASSIGNABLE_ROLES = [choice for choice in PEOPLE_ROLES if choice[0] != Role.ADMIN]


class PeopleError(ValueError):
    """A change a manager may not make; the message says why."""


def people() -> QuerySet[User]:
    """Everyone, with their vendor and whether they have an authenticator app (``mfa``).
    Service accounts are not people: they have their own page."""
    totp = Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
    return User.objects.exclude(role=Role.SERVICE_ACCOUNT).select_related("vendor").annotate(
        mfa=Exists(totp)).order_by("-is_active", "role", "email")


def _check_may_manage(person: User, by: User) -> None:
    if person.pk == by.pk:
        raise PeopleError("You cannot change your own account here; ask another manager.")
    if person.role == Role.ADMIN or person.is_superuser:
        raise PeopleError(f"{person} is an admin; admins are managed in the Django admin.")


def _log(person: User, by: User, message: str) -> None:
    LogEntry.objects.log_actions(
        by.pk, [person], CHANGE, change_message=message, single_object=True)


def change_role(person: User, by: User, role: str, vendor: Vendor | None) -> User:
    """Give ``person`` ``role``: a vendor role (POC, QA analyst) needs ``vendor``, an internal
    role none."""
    _check_may_manage(person, by)
    if role not in dict(ASSIGNABLE_ROLES):
        raise PeopleError(f"“{role}” is not a role a manager can give.")
    if role in VENDOR_ROLES and vendor is None:
        raise PeopleError(vendor_required_message(role))
    if role not in VENDOR_ROLES:
        vendor = None
    before = _role_label(person)
    with transaction.atomic():
        person.role, person.vendor = role, vendor
        if role in VENDOR_ROLES:
            person.is_staff = False  # the admin is not scoped by vendor
        person.save(update_fields=["role", "vendor", "is_staff"])
        after = _role_label(person)
        if before != after:
            _log(person, by, f"Role: {before} → {after}")
    return person


def _role_label(person: User) -> str:
    label = person.get_role_display()
    return f"{label} ({person.vendor})" if person.vendor_id else label


def set_active(person: User, by: User, active: bool) -> User:
    """Deactivate (the person can no longer log in; sessions end on their next request)
    or reactivate ``person``."""
    _check_may_manage(person, by)
    if person.is_active != active:
        with transaction.atomic():
            person.is_active = active
            person.save(update_fields=["is_active"])
            _log(person, by, "Reactivated" if active else "Deactivated")
    return person


def resend_invitation(request: HttpRequest, person: User) -> None:
    """Email ``person`` a fresh invitation link, while they have never logged in."""
    by = request.user
    _check_may_manage(person, by)
    if not person.is_active:
        raise PeopleError(f"{person} is deactivated; reactivate them first.")
    if person.last_login is not None:
        raise PeopleError(f"{person} has already logged in; a forgotten password is reset "
                          "with “Forgot your password?” on the login page.")
    with transaction.atomic():
        _log(person, by, "Invitation sent again")
        transaction.on_commit(lambda: send_invitation(request, person, invited_by=by))


def recent_changes(limit: int = 20) -> QuerySet[LogEntry]:
    """The latest changes to people, from this page and from the admin alike."""
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User)
    ).select_related("user").order_by("-action_time")[:limit]


def changes_of(person: User) -> QuerySet[LogEntry]:
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(person.pk)
    ).select_related("user").order_by("-action_time")
