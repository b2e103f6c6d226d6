"""The vendors' own QA, as they would report it: per-ticket verdicts on part of the tickets we
audited and finalised, and weekly rates per workflow, for every vendor over the demo's weeks.

Most vendors report honestly: their verdicts follow ours but for a few flips either way, and
their weekly rates are our audits' pass share in that week and workflow, over three times as
many audits. ``OVER_REPORTER`` (the weak vendor) passes most of what we fail and reports
rates ``OVER_BY`` above what we measure, so its scorecard shows a significant gap, the
overview a red flag and its portal the same numbers. Everything goes through the import
(``vendor_qa.importing.import_rows``), sent by the vendor's POC; seeded once (a re-run finds
the demo's uploads and adds nothing).
"""

from __future__ import annotations

import random

from django.db.models import Sum

from accounts.models import Role, User
from audits.models import Audit, AuditStatus
from demo.sampling import WEAK
from demo.story import demo_period
from rollups.models import VendorCell
from vendor_qa.importing import import_rows
from vendor_qa.models import VendorQAUpload, VendorRate, VendorTicketResult
from vendors.models import Vendor

SEED = 20260413
OVER_REPORTER = WEAK[0]
OVER_BY = 0.08  # the over-reporter's weekly rates sit this far above ours
PAIRED_SHARE = 0.5  # of our finalised audits, the share whose ticket the vendor reports on
HONEST_FLIPS = 0.03  # an honest vendor's QA disagrees with ours this often, either way
OVER_PASSES = 0.6  # the over-reporter passes this share of the tickets we failed
RATE_AUDITS = 3  # vendors audit this many times as many tickets as we do
PREFIX = "demo-"


def seed() -> dict[str, tuple[int, int]]:
    """Every vendor's reported QA; needs the audits finalised and the rollups rebuilt."""
    before = VendorTicketResult.objects.count() + VendorRate.objects.count()
    if not VendorQAUpload.objects.filter(file_name__startswith=PREFIX).exists():
        rng = random.Random(SEED)
        period = demo_period()
        for vendor in Vendor.objects.order_by("slug"):
            sender = _sender(vendor)
            if sender is None:
                continue
            over = vendor.slug == OVER_REPORTER
            _report(import_rows(_ticket_rows(vendor, rng, over), user=sender, vendor=vendor,
                                kind="tickets", file_name=f"{PREFIX}{vendor.slug}-tickets.csv"))
            _report(import_rows(_rate_rows(vendor, period, over), user=sender, vendor=vendor,
                                kind="rates", file_name=f"{PREFIX}{vendor.slug}-weekly.csv"))
    after = VendorTicketResult.objects.count() + VendorRate.objects.count()
    return {"vendor QA rows": (after - before, after)}


def _sender(vendor: Vendor) -> User | None:
    """The vendor's QA analyst if the demo has one, else its POC."""
    users = vendor.users.filter(is_active=True)
    return (users.filter(role=Role.VENDOR_QA_ANALYST).order_by("pk").first()
            or users.filter(role=Role.VENDOR_POC).order_by("pk").first())


def _report(report) -> None:
    if not report.ok:  # the demo's own rows must import; say which did not
        raise RuntimeError("\n".join(report.lines()))


def _ticket_rows(vendor: Vendor, rng: random.Random, over: bool) -> list[dict]:
    finals = dict(Audit.objects.filter(ticket__vendor=vendor, status=AuditStatus.FINAL)
                  .order_by("ticket_id", "finalised_at").values_list("ticket__external_id",
                                                                     "passed"))
    rows = []
    for external_id, ours in sorted(finals.items()):
        if rng.random() >= PAIRED_SHARE:
            continue
        if over:
            theirs = ours or rng.random() < OVER_PASSES
        else:
            theirs = ours if rng.random() >= HONEST_FLIPS else not ours
        rows.append({"ticket": external_id, "passed": theirs,
                     "score": rng.choice((92, 96, 100)) if theirs else rng.choice((55, 70))})
    return rows


def _rate_rows(vendor: Vendor, period, over: bool) -> list[dict]:
    weeks = (VendorCell.objects.filter(vendor=vendor, week__gte=period.first,
                                       week__lte=period.last)
             .values("workflow__slug", "week").annotate(audited=Sum("audited"),
                                                       passed=Sum("passed"))
             .order_by("workflow__slug", "week"))
    rows = []
    for cell in weeks:
        if not cell["audited"]:
            continue
        rate = cell["passed"] / cell["audited"]
        if over:
            rate = min(0.995, rate + OVER_BY)
        audited = cell["audited"] * RATE_AUDITS
        rows.append({"workflow": cell["workflow__slug"], "week": cell["week"].isoformat(),
                     "audited": audited, "passed": round(audited * rate)})
    return rows
