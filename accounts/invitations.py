"""Inviting people: the program has no open sign-up.

A program manager or admin invites someone by email with a role (and, for a vendor POC, the
one vendor they belong to). The account is created without a usable password and the
person receives a link to set one. The link is allauth's own password-reset link, so one
token generator and one page set every password in the program: the token embeds the
password hash and the last login, so it stops working once used, and it expires after
Django's PASSWORD_RESET_TIMEOUT (three days by default). Someone whose invitation expired
uses "Forgot your password?" on the login page, which sends the same kind of link.
"""

import logging

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from vendors.models import Vendor

from .models import User

logger = logging.getLogger(__name__)


def invite(request: HttpRequest, *, email: str, role: str, vendor: Vendor | None = None) -> User:
    """Create ``email``'s account with ``role`` and email them a link to set a password.

    The email goes out only once the account is committed, so a failed write never sends
    a link to an account that does not exist. Vendor POCs are then made to enrol TOTP
    (accounts.middleware) before they see any data.
    """
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=None, role=role, vendor=vendor)
        # allauth looks people up by their EmailAddress row; the invitation itself proves
        # the address, so it is verified from the start.
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
        invited_by = request.user
        transaction.on_commit(lambda: send_invitation(request, user, invited_by=invited_by))
    logger.info("%s invited %s as %s", request.user, user.email, user.role)
    return user


def set_password_url(request: HttpRequest, user: User) -> str:
    """The absolute URL of the page where ``user`` sets a password (allauth's reset link)."""
    path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    return request.build_absolute_uri(path)


def send_invitation(request: HttpRequest, user: User, *, invited_by: User) -> None:
    """Email ``user`` their invitation: who invited them, their role, and the link."""
    context = {
        "user": user,
        "invited_by": invited_by,
        "role": user.get_role_display(),
        "vendor": user.vendor,
        "set_password_url": set_password_url(request, user),
        "login_url": request.build_absolute_uri(reverse("account_login")),
    }
    subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
    body = render_to_string("accounts/email/invitation_message.txt", context)
    EmailMessage(subject=subject, body=body, to=[user.email]).send()
