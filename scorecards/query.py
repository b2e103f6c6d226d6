"""What a scorecard page's query string names: the period and the scope (vendor, site,
workflow, agent), read once for every page so links between pages carry the same words.

Objects are looked up through ``accounts.scoping.visible_to``: a slug or id the viewer may not
see is a 404, like any other guessed id. Parameters: ``vendor`` (slug), ``site`` (slug, of
the vendor), ``workflow`` (slug), ``agent`` (external id, of the vendor), plus the period's
(see ``rollups.periods``) and ``confidence`` (0.80–0.99, default 0.95).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Max
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.scoping import visible_to
from rollups.estimates import CONFIDENCE, Scope
from rollups.models import AuditCell, SiteCell, VendorCell
from rollups.periods import KINDS, Period, PeriodInvalid, period_from_query
from vendors.models import Agent, Site, Vendor, Workflow

CONFIDENCES = (0.80, 0.90, 0.95, 0.99)


@dataclass(frozen=True)
class PageQuery:
    """A page's period, scope objects and confidence, as read from its query string."""

    period: Period
    vendor: Vendor | None = None
    site: Site | None = None
    workflow: Workflow | None = None
    agent: Agent | None = None
    confidence: float = CONFIDENCE

    @property
    def scope(self) -> Scope:
        return Scope(period=self.period, **{
            name: getattr(self, name).pk if getattr(self, name) else None
            for name in ("vendor", "site", "workflow", "agent")
        })

    def params(self, **changes) -> dict[str, str]:
        """The query parameters naming this page, with ``changes`` applied (None drops one)."""
        values = {**self.period.query()}
        for name, obj in (("vendor", self.vendor), ("site", self.site),
                          ("workflow", self.workflow)):
            if obj is not None:
                values[name] = obj.slug
        if self.agent is not None:
            values["agent"] = self.agent.external_id
        if self.confidence != CONFIDENCE:
            values["confidence"] = f"{self.confidence:g}"
        for name, value in changes.items():
            if value is None:
                values.pop(name, None)
            else:
                values[name] = str(value)
        return values

    def url_query(self, **changes) -> str:
        return urlencode(self.params(**changes))

    def period_context(self) -> dict:
        """What ``scorecards/_period.html`` needs."""
        keep = {k: v for k, v in self.params().items()
                if k not in ("period", "date", "start", "end")}
        today = timezone.now().date()
        following = self.period.following()
        return {
            "period": self.period,
            "period_kinds": KINDS,
            "keep": keep,
            "previous_query": urlencode({**keep, **self.period.previous().query()}),
            # No link into a period that has not begun: it can hold no audits.
            "next_query": (urlencode({**keep, **following.query()})
                           if following.first <= today else ""),
            "to_date": self.period.first <= today <= self.period.end,
            "confidences": CONFIDENCES,
        }


def read_query(request: HttpRequest, vendor_slug: str | None = None) -> PageQuery:
    """Read the page's query; raises PeriodInvalid (a 400 for the caller) on a bad period or
    confidence, Http404 on a vendor, site, workflow or agent the user may not see."""
    params = request.GET
    try:
        confidence = float(params.get("confidence") or CONFIDENCE)
    except ValueError:
        raise PeriodInvalid(f"confidence: {params['confidence']!r} is not a number") from None
    if confidence not in CONFIDENCES:
        raise PeriodInvalid(
            f"confidence: {confidence:g} is not one of {', '.join(f'{c:g}' for c in CONFIDENCES)}")
    user = request.user
    slug = vendor_slug or params.get("vendor")
    vendor = get_object_or_404(visible_to(user, Vendor.objects.all()), slug=slug) if slug else None
    site = agent = None
    if params.get("site"):
        if vendor is None:
            raise Http404("a site is named within a vendor")
        site = get_object_or_404(visible_to(user, Site.objects.all()), vendor=vendor,
                                 slug=params["site"])
    if params.get("agent"):
        if vendor is None:
            raise Http404("an agent is named within a vendor")
        agent = get_object_or_404(visible_to(user, Agent.objects.all()), vendor=vendor,
                                  external_id=params["agent"])
    workflow = (get_object_or_404(visible_to(user, Workflow.objects.all()),
                                  slug=params["workflow"]) if params.get("workflow") else None)
    latest = None
    if not params.get("date") and params.get("period") != "custom":
        # The page opens on a default period: the latest with audits (for a vendor user, of
        # their own vendor, whatever the page names) is where it falls back to.
        latest = latest_audited_week(vendor=vendor or _own_vendor(user), site=site,
                                     workflow=workflow, agent=agent)
    period = period_from_query(params, latest=latest)
    return PageQuery(period=period, vendor=vendor, site=site, workflow=workflow, agent=agent,
                     confidence=confidence)


def _own_vendor(user) -> int | None:
    return user.vendor_id if getattr(user, "is_vendor_user", False) else None


def latest_audited_week(*, vendor=None, site=None, workflow=None, agent=None):
    """The Monday of the last week with audits in the scope (None if it has none): one
    index read of the narrowest cells that answer it."""
    if agent is not None:
        cells = AuditCell.objects.filter(agent=agent)
    elif site is not None:
        cells = SiteCell.objects.filter(site=site)
    else:
        cells = VendorCell.objects.all()
        if vendor is not None:
            cells = cells.filter(vendor=vendor)
    if workflow is not None:
        cells = cells.filter(workflow=workflow)
    return cells.aggregate(latest=Max("week"))["latest"]
