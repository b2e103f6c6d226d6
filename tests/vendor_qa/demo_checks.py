"""The demo's vendor-reported QA: every vendor reports per-ticket verdicts and weekly rates,
and the weak vendor over-reports significantly, so the scorecard's comparison, the overview's
red flag and the portal's "Your QA" tab show data on first login (issue 13)."""

from __future__ import annotations

from demo.story import demo_period
from demo.vendor_qa import OVER_REPORTER
from rollups.estimates import Scope, domain_outcomes
from vendor_qa.comparison import compare, over_reporting
from vendor_qa.models import VendorQAUpload, VendorRate, VendorTicketResult
from vendors.models import Vendor


class VendorQADemoChecks:
    """Read by tests.test_seed_demo.TestTheSeededDemo, which inherits them: one seed serves
    every check of the demo."""

    def test_every_vendor_reports_both_kinds(self, seeded):
        for vendor in Vendor.objects.all():
            assert VendorTicketResult.objects.filter(vendor=vendor).exists(), vendor
            assert VendorRate.objects.filter(vendor=vendor).exists(), vendor
            assert set(VendorQAUpload.objects.filter(vendor=vendor).values_list(
                "kind", flat=True)) == {"tickets", "rates"}
        assert "vendor QA rows" in seeded

    def test_the_weak_vendor_and_only_it_over_reports_significantly(self):
        period = demo_period()
        flagged = over_reporting(period, domain_outcomes(Scope(period=period), by="vendor"))
        assert [gap.vendor.slug for gap in flagged] == [OVER_REPORTER]
        for vendor in Vendor.objects.all():
            vqa = compare(vendor, period)
            assert vqa.paired.n > 0 and vqa.overall.ours is not None
            if vendor.slug == OVER_REPORTER:
                assert vqa.paired.they_passed_we_failed > vqa.paired.they_failed_we_passed
                assert vqa.paired.significant
            else:
                assert vqa.paired.agreement > 0.9

    def test_the_pages_show_it_on_first_login(self, client):
        from accounts.models import User
        from tests.factories import enrol_totp

        period = demo_period().query()
        vendor = Vendor.objects.get(slug=OVER_REPORTER)
        manager = User.objects.get(email="manager@demo.qa")
        client.force_login(manager, backend="django.contrib.auth.backends.ModelBackend")
        card = client.get(f"/scorecards/vendors/{vendor.slug}/", period).content.decode()
        assert 'id="vendor-qa-gap"' in card and "is significant" in card
        overview = client.get("/scorecards/", period)
        assert [f.kind for f in overview.context["overview"].red_flags].count("vendor_qa") == 1
        poc = vendor.users.filter(role="vendor_poc").first()
        enrol_totp(poc)
        client.force_login(poc, backend="django.contrib.auth.backends.ModelBackend")
        portal = client.get("/portal/vendor-qa/", period).content.decode()
        assert 'id="vendor-qa-gap"' in portal and 'id="vendor-qa-table"' in portal
