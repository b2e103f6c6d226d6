"""The demo's story, read back from the seeded data through the scorecard pages' own functions.

``demo.sampling`` decides the truth (a weak vendor, an improving site, an out-of-control week);
this module measures what the pages will show of it — ``rollups.estimates.domain_outcomes``
for the weighted estimates, ``scorecards.targets.verdict`` against the contract,
``sampling.stats.compare_estimates`` and the trends page's p-chart — so the paragraph
``seed_demo`` prints states numbers a program manager will find, not ones the generator hoped for.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from accounts.formats import day
from accounts.formats import percent as _percent
from coaching.effectiveness import effectiveness
from demo.coaching import improving_action
from demo.disputes import open_disputes
from demo.sampling import IMPROVING, SPIKE, WEAK
from demo.tickets import WINDOW_DAYS, history_end
from rollups.estimates import Scope, domain_outcomes
from rollups.periods import Period, monday
from sampling import stats
from scorecards.follow_ups import follow_ups
from scorecards.targets import targets_in_effect, verdict
from scorecards.trends import control_series
from vendors.models import ContractTarget, Site, Vendor, Workflow

STORY_LOGIN = "manager@demo.qa"
WIDTH = 88  # the console paragraph's width
# How many weeks at each end of the demo's span the improving site is compared over.
COMPARED_WEEKS = 3
# How many of the overview's dispute and coaching red flags the story quotes.
STORY_FLAGS = 3


def _today(now: dt.datetime | None) -> dt.date:
    return (now or timezone.now()).astimezone(dt.UTC).date()


def demo_period(now: dt.datetime | None = None) -> Period:
    """The weeks the demo's tickets fall in (eight weeks up to yesterday, as a custom
    period)."""
    end = history_end(now).date()
    return Period(
        "custom", monday(end - dt.timedelta(days=WINDOW_DAYS)), monday(end - dt.timedelta(days=1))
    )


def spike_week(now: dt.datetime | None = None) -> dt.date:
    """Monday of the out-of-control week."""
    return monday(_today(now)) - dt.timedelta(weeks=SPIKE[2])


def _url(name: str, period: Period, *args, **params) -> str:
    return f"  {reverse(name, args=args)}?{urlencode({**params, **period.query()})}"


def _wrap(text: str) -> list[str]:
    """A fact as indented console lines."""
    return textwrap.wrap(text, WIDTH, initial_indent="  ", subsequent_indent="  ")


def _weak_vendor(period: Period) -> list[str]:
    slug, area, _ = WEAK
    vendor = Vendor.objects.get(slug=slug)
    lines = [f"Weak vendor: {vendor.name} on {area.lower()}."]
    others = []
    for workflow in Workflow.objects.filter(policy_area=area):
        for key, outcome in domain_outcomes(
            Scope(period, workflow=workflow.pk), by="vendor"
        ).items():
            if key != vendor.pk and outcome.accuracy is not None:
                others.append(outcome.accuracy.p)
    targets = [
        t
        for t in targets_in_effect(period, vendors=[vendor.pk])
        if t.workflow
        and t.workflow.policy_area == area
        and t.metric == ContractTarget.Metric.ACCURACY
    ]
    for target in targets:
        outcome = domain_outcomes(Scope(period, vendor=vendor.pk, workflow=target.workflow_id))
        estimate = outcome[None].accuracy if None in outcome else None
        if estimate is None:
            continue
        said = verdict(estimate, float(target.target), target.direction)
        fact = (
            f"{target.workflow.name}: accuracy {_percent(estimate.p)} "
            f"({_percent(estimate.low)} – {_percent(estimate.high)}) against a target of "
            f"{_percent(float(target.target))}: {said.text}."
        )
        if others:
            fact += (
                f" The other vendors on {area.lower()}: {_percent(min(others))} – "
                f"{_percent(max(others))}."
            )
        lines += _wrap(fact)
    lines.append(_url("scorecards:scorecard", period, vendor.slug))
    return lines


def _improving_site(period: Period) -> list[str]:
    site = Site.objects.select_related("vendor").get(slug=IMPROVING[0])
    weeks = sorted(domain_outcomes(Scope(period, site=site.pk), by="week"))
    lines = [f"Improving site: {site.name} ({site.vendor.name}), errors falling week on week."]
    if len(weeks) >= 2 * COMPARED_WEEKS:
        early = Period("custom", weeks[0], weeks[COMPARED_WEEKS - 1])
        late = Period("custom", weeks[-COMPARED_WEEKS], weeks[-1])
        before = domain_outcomes(Scope(early, site=site.pk))[None].accuracy
        after = domain_outcomes(Scope(late, site=site.pk))[None].accuracy
        if before and after:
            change = stats.compare_estimates(after, before)
            lines += _wrap(
                f"Error rate {_percent(1 - before.p)} in the weeks of {day(early.first)} – "
                f"{day(early.last)}, {_percent(1 - after.p)} in the weeks of "
                f"{day(late.first)} – {day(late.last)}: the difference is "
                f"{'significant' if change.significant else 'not significant'} "
                f"(p = {change.p_value:.2g})."
            )
    lines.append(_url("scorecards:trends", period, vendor=site.vendor.slug, site=site.slug))
    return lines


def _out_of_control_week(period: Period, week: dt.date) -> list[str]:
    vendor_slug, site_slug = SPIKE[:2]
    vendor = Vendor.objects.get(slug=vendor_slug)
    site = Site.objects.get(vendor=vendor, slug=site_slug)
    points = control_series(period, domain_outcomes(Scope(period, vendor=vendor.pk), by="week"))
    lines = [f"Out-of-control week: {vendor.name}, week of Monday {day(week)}."]
    lines += _wrap(
        f"A guidelines update was not rolled out at {site.name}: its moderators "
        "applied the retired policy labels that week (policy errors)."
    )
    for point in (point for point in points if point.signal == "above"):
        lines += _wrap(
            f"p-chart: the week of {day(point.week)} at {_percent(point.error_rate.p)} errors, "
            f"above its upper control limit of {_percent(point.ucl)} "
            f"(center {_percent(point.center)})."
        )
    lines.append(_url("scorecards:trends", period, vendor=vendor.slug))
    lines.append(_url("scorecards:gaps", period, vendor=vendor.slug))
    return lines


def _dispute_and_coaching() -> list[str]:
    """An overdue dispute in the leads' queue, and a coaching action that worked."""
    dispute = open_disputes().select_related("audit__ticket__vendor").first()
    action = improving_action()
    lines = ["Disputes and coaching:"] if dispute is not None or action is not None else []
    if dispute is not None:
        lines += _wrap(
            f"Open dispute: {dispute.audit.ticket.vendor.name} contests audit "
            f"#{dispute.audit_id}" + (", past its SLA." if dispute.overdue else ".")
        )
        lines.append(f"  {reverse('audits:dispute_detail', args=[dispute.pk])}")
    if action is not None:
        lines += _wrap(f"Coaching that worked: {action.title} ({effectiveness(action).verdict}).")
        lines.append(f"  {reverse('coaching:action_detail', args=[action.pk])}")
    return lines


def overview_follow_up_lines(period: Period, now: dt.datetime | None = None) -> list[str]:
    """The overview's red flags on disputes and coaching (overdue disputes, overdue coaching,
    calibration signals), as ``scorecards.follow_ups`` raises them for the page."""
    flags = follow_ups(period, now).flags
    if not flags:
        return []
    lines = ["On the overview, disputes and coaching that need a decision:"]
    for flag in flags[:STORY_FLAGS]:
        lines += _wrap(flag.text)
    if len(flags) > STORY_FLAGS:
        lines += _wrap(f"… and {len(flags) - STORY_FLAGS} more.")
    lines.append(_url("home", period) + "#red-flags")  # the manager's home is the overview
    return lines


def story_lines(password: str, now: dt.datetime | None = None) -> list[str]:
    """The paragraph seed_demo prints: what to look at, where, and with which login."""
    period = demo_period(now)
    lines = textwrap.wrap(
        f"Log in as {STORY_LOGIN} (password {password}). The demo's audits cover "
        f"{day(period.first)} – {day(period.end)}; the links below show that period.",
        WIDTH + 2,
    )
    for part in (
        _weak_vendor(period),
        _improving_site(period),
        _out_of_control_week(period, spike_week(now)),
        _dispute_and_coaching(),
        overview_follow_up_lines(period, now),
    ):
        if part:
            lines += ["", *part]
    return lines
