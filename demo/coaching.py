"""The demo's coaching actions: one in every state, with before/after effects to measure.

Every action goes through ``coaching.actions`` (open, acknowledge, complete, verify, cancel),
so the demo obeys the real rules; the steps are then dated back to when the story says they
happened (see ``_date``), because the effectiveness of an action is measured in the weeks
around those dates.

* A site-level action that worked: the demo's improving site (Nairobi, ``demo.sampling``)
  was coached about five weeks ago and its errors have fallen since. The generator's truth
  falls in every error category there, but per category a few hundred audits only detect it
  some of the time, so the theme is the first of a short fixed list (the categories of the
  story's site and, last, Kraków's policy errors after its missed guidelines update) whose
  fall ``coaching.effectiveness`` finds significant. Verified by QA.
* A site-level action with no significant change (Lotus, Hyderabad, whose rate is flat).
* Agent-level actions from audits: a repeat offender (two actions on the same theme, the
  first verified, the second acknowledged), one open, one overdue, one cancelled.

Run from ``seed_demo`` after the scorecard rollups are rebuilt (effectiveness reads them);
skipped when the demo manager has opened actions already (idempotent).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from audit_forms.models import ErrorCategory
from audits.models import Audit, AuditStatus
from coaching import actions
from coaching.effectiveness import IMPROVED, effectiveness
from coaching.models import ActionStatus, CoachingAction, Level
from rollups.periods import monday
from vendors.models import Site

DAY = dt.timedelta(days=1)
# (site, theme, days ago opened, days ago completed): candidates for the action that worked.
IMPROVING_CANDIDATES = (
    ("nairobi", "wrong-action", 38, 35),
    ("nairobi", "policy-error", 38, 35),
    ("nairobi", "procedural", 45, 38),
    ("nairobi", "wrong-action", 31, 28),
    ("nairobi", "procedural", 38, 35),
    ("nairobi", "policy-error", 45, 38),
    ("krakow", "policy-error", None, None),  # dated from the spike week, see _kraków_dates
)
FLAT = ("hyderabad", "policy-error", 38, 35)
REPEAT_VENDOR = "borealis"  # the weak vendor: its agents fail the same theme again


def _manager() -> User | None:
    return User.objects.filter(role=Role.PROGRAM_MANAGER, email="manager@demo.qa").first()


def _poc(vendor_id: int) -> User | None:
    return User.objects.filter(role=Role.VENDOR_POC, vendor_id=vendor_id).order_by("pk").first()


def _krakow_dates(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Opened the Monday after the out-of-control week (when its p-chart point is complete),
    retraining done two days later."""
    opened = dt.datetime.combine(
        monday(now.date()) - dt.timedelta(weeks=2), dt.time(9), tzinfo=dt.UTC
    )
    return opened, opened + dt.timedelta(days=2, hours=7)


def _dates(candidate, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    site, _, opened, done = candidate
    if opened is None:
        return _krakow_dates(now)
    return now - opened * DAY, now - done * DAY


def _improving(now: dt.datetime):
    """The first candidate whose measured fall is significant (else the first candidate)."""
    sites = {s.slug: s for s in Site.objects.filter(slug__in={c[0] for c in IMPROVING_CANDIDATES})}
    categories = {c.slug: c for c in ErrorCategory.objects.all()}
    for candidate in IMPROVING_CANDIDATES:
        site = sites.get(candidate[0])
        if site is None or candidate[1] not in categories:
            continue
        opened, done = _dates(candidate, now)
        trial = CoachingAction(
            vendor_id=site.vendor_id,
            level=Level.SITE,
            site=site,
            category=categories[candidate[1]],
            status=ActionStatus.COMPLETED,
            opened_at=opened,
            completed_at=done,
        )
        if effectiveness(trial).verdict == IMPROVED:
            return candidate
    return IMPROVING_CANDIDATES[0]


def _date(action: CoachingAction, **when: dt.datetime) -> None:
    """Date the action's steps back to when the story says they happened. Seeding takes them
    all at once; only these timestamps move (the history rows keep the seeding time)."""
    CoachingAction.objects.filter(pk=action.pk).update(**when)


def _site_action(manager, candidate, now, title: str, verified: bool) -> CoachingAction | None:
    site = Site.objects.filter(slug=candidate[0]).select_related("vendor").first()
    category = ErrorCategory.objects.filter(slug=candidate[1]).first()
    if site is None or category is None:
        return None
    opened, done = _dates(candidate, now)
    poc = _poc(site.vendor_id)
    action = actions.open_action(
        manager,
        category=category,
        site=site,
        owner=poc,
        due_date=(opened + 14 * DAY).date(),
        title=title.format(site=site.name, theme=category.name.lower()),
        description=f"Gap review: {category.name.lower()} errors at {site.name} are above the "
        "program's. Refresher session for every team on the examples of the "
        "current guidelines.",
    )
    action = actions.complete(
        action,
        poc or manager,
        "Two refresher sessions for all shifts; team leads re-checked a day of tickets each.",
    )
    when = {"opened_at": opened, "acknowledged_at": opened + DAY, "completed_at": done}
    if verified:
        action = actions.verify(action, manager, "Attendance sheets and the re-check seen.")
        when["verified_at"] = done + DAY
    _date(action, **when)
    return action


def _failing_by_agent(vendor_slug: str | None = None):
    """{(agent, category slug): [scored failing audits, oldest ticket first]}."""
    audits = Audit.objects.filter(
        passed=False, status__in=(AuditStatus.SUBMITTED, AuditStatus.FINAL)
    )
    if vendor_slug:
        audits = audits.filter(ticket__vendor__slug=vendor_slug)
    found = defaultdict(list)
    for audit in audits.select_related("ticket__agent").order_by("ticket__handled_at", "pk"):
        for slug in audit.error_categories:
            found[(audit.ticket.agent_id, slug)].append(audit)
    return found


def _agent_action(manager, audits, category, title, opened, due) -> CoachingAction:
    action = actions.open_action(
        manager,
        audits=audits,
        category=category,
        owner=_poc(audits[0].ticket.vendor_id),
        due_date=due.date(),
        title=title,
        description="One-to-one coaching on the audited tickets and their guideline examples.",
    )
    _date(action, opened_at=opened)
    return action


@transaction.atomic
def seed() -> dict[str, tuple[int, int]]:
    """The demo's coaching actions; needs the audits and the rebuilt scorecard rollups."""
    before = CoachingAction.objects.count()
    manager = _manager()
    if manager is None or CoachingAction.objects.filter(opened_by=manager).exists():
        return {"coaching actions": (0, before)}
    now = timezone.now()
    _site_action(
        manager, _improving(now), now, "{site}, {theme}: refresher on the guidelines", verified=True
    )
    _site_action(manager, FLAT, now, "{site}, {theme}: label refresher", verified=False)
    categories = {c.slug: c for c in ErrorCategory.objects.all()}
    used = _seed_repeat_offender(manager, now, categories)
    _seed_agent_actions(manager, now, categories, used)
    return {
        "coaching actions": (
            CoachingAction.objects.count() - before,
            CoachingAction.objects.count(),
        )
    }


def _seed_repeat_offender(manager, now: dt.datetime, categories) -> set[int]:
    """An agent of the weak vendor coached on a theme five weeks ago (done, verified) who
    failed it again since: a second action on the same theme, acknowledged."""
    opened, completed = now - 31 * DAY, now - 27 * DAY
    for (agent, slug), audits in sorted(
        _failing_by_agent(REPEAT_VENDOR).items(), key=lambda item: (-len(item[1]), item[0])
    ):
        old = [a for a in audits if a.ticket.handled_at < opened - 4 * DAY]
        new = [a for a in audits if completed < a.ticket.handled_at < now - 4 * DAY]
        if not (old and new) or slug not in categories:
            continue
        theme, name = categories[slug], old[0].ticket.agent.external_id
        first = _agent_action(
            manager,
            old[-3:],
            theme,
            f"{name}: {theme.name.lower()} on audited tickets",
            opened,
            opened + 14 * DAY,
        )
        first = actions.complete(
            first, first.owner or manager, "One-to-one session on the audited tickets."
        )
        first = actions.verify(first, manager, "Session notes seen.")
        _date(
            first,
            acknowledged_at=opened + DAY,
            completed_at=completed,
            verified_at=completed + 2 * DAY,
        )
        second = _agent_action(
            manager,
            new[-3:],
            theme,
            f"{name}: {theme.name.lower()} again",
            now - 3 * DAY,
            now + 11 * DAY,
        )
        second = actions.acknowledge(second, second.owner or manager)
        _date(second, acknowledged_at=now - 2 * DAY)
        return {agent}
    return set()


# (title, days ago opened, days from now due, what then happens)
AGENT_PLANS = (
    ("one-to-one on the audited tickets", 2, 12, None),
    ("coaching on the audited tickets", 20, -6, None),  # overdue: never acknowledged
    ("opened twice by mistake", 10, 4, "cancel"),
)


def _seed_agent_actions(manager, now: dt.datetime, categories, used: set[int]) -> None:
    """An open, an overdue and a cancelled agent-level action, each at another vendor."""
    failing = sorted(_failing_by_agent().items(), key=lambda item: (-len(item[1]), item[0]))
    vendors_used = set()
    for title, opened, due, then in AGENT_PLANS:
        opened_at = now - opened * DAY
        for (agent, slug), audits in failing:
            audited = [a for a in audits if a.ticket.handled_at < opened_at - DAY]
            vendor = audits[0].ticket.vendor_id
            if agent in used or vendor in vendors_used or not audited or slug not in categories:
                continue
            used.add(agent)
            vendors_used.add(vendor)
            theme, name = categories[slug], audited[0].ticket.agent.external_id
            action = _agent_action(
                manager,
                audited[-3:],
                theme,
                f"{name}: {theme.name.lower()}, {title}",
                opened_at,
                now + due * DAY,
            )
            if then == "cancel":
                actions.cancel(action, manager, "Duplicate of an action opened the same day.")
                _date(action, cancelled_at=opened_at + DAY)
            break


def improving_action() -> CoachingAction | None:
    """The demo's action that worked (the verified site-level one)."""
    return CoachingAction.objects.filter(
        level=Level.SITE, status=ActionStatus.VERIFIED, opened_by__email="manager@demo.qa"
    ).first()
