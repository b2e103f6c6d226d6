"""The weekly digest: one email per program manager and per vendor POC, once per ISO week.

The numbers are the pages' own: a manager's digest is the program overview of the week
(``scorecards.overview.program_overview``: its red flags, contract targets missed and the
overdue disputes and coaching of ``scorecards.follow_ups``), a POC's is their vendor's
scorecard of the week (``scorecards.scorecard.vendor_scorecard``: headlines with intervals,
verdicts against contract targets) and their open disputes and coaching actions. A POC's
vendor, disputes and actions are read through ``accounts.scoping.visible_to`` (the coaching
actions through ``coaching.actions.actions_visible_to``, which uses it), as the portal does,
so a digest holds nothing of another vendor.

Once per person and week: a ``WeeklyDigest`` row per (recipient, week), unique in the
database, whose ``sent_at`` is claimed by one atomic UPDATE before sending (the pattern of
``notifications.sending``); a refused email gives the claim back, so a later run sends it.
What the digest says and how to opt out: docs/user-guide.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.formats import percent
from accounts.models import Role, User
from accounts.scoping import visible_to
from audits.models import Dispute, DisputeStatus
from coaching.actions import actions_visible_to
from coaching.models import PENDING_STATUSES
from rollups.periods import Period, monday, period_of
from sampling.stats import Estimate
from scorecards.follow_ups import FollowUps, coaching_url
from scorecards.overview import Overview, program_overview
from scorecards.query import PageQuery
from scorecards.scorecard import Scorecard, too_few, vendor_scorecard
from vendors.models import Vendor

from .models import DigestKind, WeeklyDigest

DIGEST_ROLES = {Role.PROGRAM_MANAGER: DigestKind.MANAGER, Role.VENDOR_POC: DigestKind.VENDOR_POC}
# Red flags of these kinds have their own section of the manager's digest.
TARGET_KIND = "target"
OVERDUE_KINDS = ("dispute_overdue", "coaching_overdue")


class WeekInvalid(ValueError):
    """A ``--week`` that is not an ISO week such as 2026-W10 (the message names it)."""


def parse_week(text: str) -> dt.date:
    """"2026-W10" -> the Monday of ISO week 10 of 2026."""
    try:
        year, week = text.strip().upper().split("-W")
        return dt.date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        raise WeekInvalid(f"week: {text[:20]!r} is not an ISO week such as 2026-W10") from None


def week_label(week: dt.date) -> str:
    year, number, _ = week.isocalendar()
    return f"{year}-W{number:02d}"


def last_complete_week(now: dt.datetime | None = None) -> dt.date:
    """The Monday of the ISO week before the current one (UTC): the last complete week."""
    today = (now or timezone.now()).astimezone(dt.UTC).date()
    return monday(today) - dt.timedelta(weeks=1)


def absolute(path: str) -> str:
    """``path`` with ``settings.QA_SITE_URL`` in front (relative when the setting is empty)."""
    return f"{settings.QA_SITE_URL.rstrip('/')}{path}"


def rate_text(estimate: Estimate | None, audits: int) -> str:
    """A rate as the pages write it: "93.4% (90.1% – 95.2%), n 120", or "too few audits"."""
    if estimate is None:
        return too_few(audits)
    return (f"{percent(estimate.p, 1)} ({percent(estimate.low, 1)} – "
            f"{percent(estimate.high, 1)}), n {audits}")


# ----- who gets one ------------------------------------------------------------------------


def digest_recipients() -> QuerySet:
    """Active program managers and vendor POCs (bound to a vendor) with an email address who
    have not turned the digest off, in a stable order."""
    return (User.objects.filter(is_active=True, role__in=list(DIGEST_ROLES))
            .exclude(email="")
            .exclude(role=Role.VENDOR_POC, vendor__isnull=True)
            .exclude(email_preference__weekly_digest=False)
            .order_by("role", "email"))


# ----- what it says ------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    text: str
    url: str = ""


@dataclass
class Digest:
    """One person's digest: a subject and the context its templates show."""

    kind: str
    subject: str
    context: dict = field(default_factory=dict)

    def render(self) -> tuple[str, str]:
        name = f"notifications/email/digest_{self.kind}"
        return (render_to_string(f"{name}.txt", self.context),
                render_to_string(f"{name}.html", self.context))


def _common(week: dt.date, period: Period) -> dict:
    return {"week": week_label(week), "period": period, "period_label": period.label,
            "first": period.first, "end": period.end,
            "preferences_url": absolute(reverse("notifications:preferences"))}


def _week_query(period: Period) -> str:
    return urlencode(period.query())


def manager_digest(week: dt.date, overview: Overview | None = None) -> Digest:
    """The program managers' digest of ``week`` (the same for every manager)."""
    period = period_of("week", week)
    overview = overview or program_overview(PageQuery(period=period))
    below = [Line(flag.text, absolute(flag.url)) for flag in overview.red_flags
             if flag.kind == TARGET_KIND]
    others = [Line(flag.text, absolute(flag.url)) for flag in overview.red_flags
              if flag.kind != TARGET_KIND and flag.kind not in OVERDUE_KINDS]
    context = {
        **_common(week, period),
        "below_target": below,
        "overdue": overdue_lines(overview.follow_ups),
        "red_flags": others,
        "overview_url": absolute(f"{reverse('scorecards:overview')}?{_week_query(period)}"),
        "queue_url": absolute(reverse("audits:dispute_queue")),
    }
    return Digest(DigestKind.MANAGER, f"QA program digest, {period.label}", context)


def overdue_lines(follow_ups: FollowUps | None) -> list[Line]:
    """Per vendor with overdue disputes or coaching: the counts of the overview's table."""
    lines = []
    for row in follow_ups.vendors if follow_ups else []:
        if row.disputes.overdue:
            lines.append(Line(f"{row.vendor.name}: {row.disputes.overdue} of "
                              f"{row.disputes.open} open disputes overdue",
                              absolute(row.disputes_url)))
        if row.coaching_overdue:
            lines.append(Line(f"{row.vendor.name}: {row.coaching_overdue} of "
                              f"{row.coaching_open} coaching actions overdue",
                              absolute(coaching_url(row.vendor, overdue=True))))
    return lines


def poc_vendor(user: User) -> Vendor | None:
    """The one vendor a POC speaks for, through ``visible_to`` (None if not exactly one)."""
    vendors = list(visible_to(user, Vendor.objects.all())[:2])
    return vendors[0] if len(vendors) == 1 else None


def poc_digest(user: User, week: dt.date, now: dt.datetime | None = None) -> Digest | None:
    """A vendor POC's digest of ``week``: their vendor's scorecard of the week and what is
    open for them. None when the user speaks for no vendor."""
    vendor = poc_vendor(user)
    if vendor is None:
        return None
    now = now or timezone.now()
    period = period_of("week", week)
    card = vendor_scorecard(PageQuery(period=period, vendor=vendor), viewer=user)
    disputes = (visible_to(user, Dispute.objects.filter(status=DisputeStatus.OPEN))
                .select_related("audit__ticket").order_by("due_at", "pk"))
    actions = (actions_visible_to(user).filter(status__in=PENDING_STATUSES)
               .order_by("due_date", "pk"))
    today = timezone.localdate(now)
    portal = reverse("portal:home")
    context = {
        **_common(week, period),
        "vendor": vendor,
        "headlines": headline_lines(card),
        "targets": target_lines(card),
        "disputes": [Line(
            f"Dispute #{d.pk} of ticket {d.audit.ticket.external_id}: awaiting a QA decision, "
            f"due {d.due_at:%Y-%m-%d}{' (overdue)' if d.is_overdue(now) else ''}",
            absolute(reverse("audits:dispute_detail", args=[d.pk]))) for d in disputes],
        "actions": [Line(
            f"{a.title}: {a.get_status_display().lower()}, due {a.due_date:%Y-%m-%d}"
            f"{' (overdue)' if a.is_overdue(today) else ''}",
            absolute(reverse("coaching:action_detail", args=[a.pk]))) for a in actions],
        "scorecard_url": absolute(f"{portal}?{_week_query(period)}"),
        "disputes_url": absolute(reverse("portal:disputes")),
        "coaching_url": absolute(reverse("portal:coaching")),
    }
    return Digest(DigestKind.VENDOR_POC, f"{vendor.name}: QA digest, {period.label}", context)


def headline_lines(card: Scorecard) -> list[Line]:
    return [Line(f"{h.label}: {rate_text(h.estimate, h.audits)}") for h in card.headlines]


def target_lines(card: Scorecard) -> list[Line]:
    """One line per contract target in effect: the rate on its domain and the verdict."""
    return [Line(f"{row.label} on {row.workflow_label}: {rate_text(row.estimate, row.audits)}"
                 f"; target {row.target.get_direction_display().lower()} {percent(row.value)}"
                 f": {row.text}") for row in card.targets]


# ----- sending -----------------------------------------------------------------------------


@dataclass
class DigestRun:
    week: dt.date
    sent: list[str] = field(default_factory=list)  # email addresses
    would_send: list[str] = field(default_factory=list)  # a dry run's
    already: int = 0  # sent before for this week


def send_digests(week: dt.date | None = None, *, dry_run: bool = False,
                 now: dt.datetime | None = None) -> DigestRun:
    """Email the digest of ``week`` (a Monday; default the last complete week) to everyone of
    ``digest_recipients`` who has not had it. ``dry_run`` writes and sends nothing."""
    now = now or timezone.now()
    week = monday(week) if week else last_complete_week(now)
    run = DigestRun(week=week)
    done = set(WeeklyDigest.objects.filter(week=week, sent_at__isnull=False)
               .values_list("recipient_id", flat=True))
    managers_digest = None
    for user in digest_recipients():
        if user.pk in done:
            run.already += 1
            continue
        if dry_run:
            run.would_send.append(user.email)
            continue
        if user.role == Role.PROGRAM_MANAGER:
            # Every manager reads the same program: the overview is computed once a run.
            managers_digest = managers_digest or manager_digest(week)
            digest = managers_digest
        else:
            digest = poc_digest(user, week, now)
        if digest is None:
            continue
        if _send_once(user, week, digest):
            run.sent.append(user.email)
        else:
            run.already += 1
    return run


def _send_once(user: User, week: dt.date, digest: Digest) -> bool:
    """Claim (user, week) and send; False when someone else has already claimed it."""
    text, html = digest.render()
    WeeklyDigest.objects.get_or_create(recipient=user, week=week,
                                       defaults={"kind": digest.kind})
    claimed = WeeklyDigest.objects.filter(recipient=user, week=week,
                                          sent_at__isnull=True).update(sent_at=timezone.now())
    if not claimed:
        return False
    message = EmailMultiAlternatives(digest.subject, text, settings.DEFAULT_FROM_EMAIL,
                                     [user.email])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:
        WeeklyDigest.objects.filter(recipient=user, week=week).update(sent_at=None)
        raise
    return True
