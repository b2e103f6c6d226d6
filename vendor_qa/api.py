"""Vendor-reported QA over the API: list what was reported, and report more.

* ``GET /api/v1/vendor-qa/ticket-results/`` and ``GET /api/v1/vendor-qa/rates/``: the rows the
  caller may see (``visible_to``: a vendor user, their own vendor's), cursor-paginated.
* ``POST`` to either takes the rows of one upload as JSON, the same fields and rules as the
  CSV (``vendor_qa.importing.import_rows``): ``{"vendor": "<slug>", "rows": [...]}``, or a
  bare list of rows for a vendor user (their vendor is implied). All or nothing: 201 with the
  report, or 400 with every bad row ("row 2, field passed: ..."). A vendor the caller may not
  see is a 404, whoever names it.
"""

from __future__ import annotations

import django_filters
from django.http import Http404
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.scoped_api import IdFilter, ViewOrderedCursorPagination
from accounts.scoping import visible_to
from vendors.models import Vendor

from .importing import import_rows, may_upload
from .models import UploadKind, VendorRate, VendorTicketResult


class TicketResultSerializer(serializers.ModelSerializer):
    ticket = serializers.CharField(source="ticket.external_id", read_only=True,
                                   help_text="The ticket's external id.")
    source = serializers.CharField(source="ticket.source", read_only=True)

    class Meta:
        model = VendorTicketResult
        fields = ["id", "vendor", "ticket", "source", "passed", "score", "upload", "reported_at"]
        read_only_fields = fields


class RateSerializer(serializers.ModelSerializer):
    workflow = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = VendorRate
        fields = ["id", "vendor", "workflow", "week", "audited", "passed", "upload",
                  "reported_at"]
        read_only_fields = fields


class TicketResultFilter(django_filters.FilterSet):
    vendor = IdFilter(label="Vendor id")
    ticket = django_filters.CharFilter(field_name="ticket__external_id", label="Ticket id")

    class Meta:
        model = VendorTicketResult
        fields = ["vendor", "ticket", "passed"]


class RateFilter(django_filters.FilterSet):
    vendor = IdFilter(label="Vendor id")
    workflow = django_filters.CharFilter(field_name="workflow__slug", label="Workflow slug")
    week_from = django_filters.DateFilter(field_name="week", lookup_expr="gte")
    week_to = django_filters.DateFilter(field_name="week", lookup_expr="lte")

    class Meta:
        model = VendorRate
        fields = ["vendor", "workflow", "week_from", "week_to"]


UPLOAD_BODY = {
    "application/json": {
        "type": "object",
        "properties": {
            "vendor": {"type": "string", "description": "Vendor slug (implied for vendor users)"},
            "rows": {"type": "array", "items": {"type": "object"}},
        },
    }
}


class ReportedQAViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        viewsets.GenericViewSet):
    """List and read through ``visible_to``; POST imports rows of ``kind``."""

    kind: str = ""
    ordering = "id"
    pagination_class = ViewOrderedCursorPagination

    def get_queryset(self):
        return visible_to(self.request.user, self.queryset)

    @extend_schema(request=UPLOAD_BODY, responses={201: OpenApiTypes.OBJECT,
                                                   400: OpenApiTypes.OBJECT})
    def create(self, request, *args, **kwargs):
        body = request.data
        if isinstance(body, list):
            vendor_slug, rows = None, body
        elif isinstance(body, dict):
            vendor_slug, rows = body.get("vendor"), body.get("rows")
        else:
            raise ValidationError({"rows": ["Send an object with vendor and rows, or a list."]})
        vendor = self._vendor(request.user, vendor_slug)
        if not may_upload(request.user, vendor):
            raise PermissionDenied("Program managers and the vendor's own users report "
                                   "vendor QA.")
        if not isinstance(rows, list):
            raise ValidationError({"rows": ["A list of rows is required."]})
        report = import_rows(rows, user=request.user, vendor=vendor, kind=self.kind,
                             file_name="API")
        answer = status.HTTP_201_CREATED if report.ok else status.HTTP_400_BAD_REQUEST
        return Response(report.as_dict(), status=answer)

    @staticmethod
    def _vendor(user, slug) -> Vendor:
        vendors = visible_to(user, Vendor.objects.all())
        if slug not in (None, ""):
            if not isinstance(slug, str):
                raise ValidationError({"vendor": ["A vendor slug is a string."]})
            found = vendors.filter(slug=slug).first()
            if found is None:
                raise Http404("No such vendor.")
            return found
        if getattr(user, "is_vendor_user", False):
            own = vendors.first()
            if own is not None:
                return own
        raise ValidationError({"vendor": ["A vendor slug is required."]})


class TicketResultViewSet(ReportedQAViewSet):
    kind = UploadKind.TICKETS
    queryset = VendorTicketResult.objects.select_related("ticket")
    serializer_class = TicketResultSerializer
    filterset_class = TicketResultFilter


class RateViewSet(ReportedQAViewSet):
    kind = UploadKind.RATES
    queryset = VendorRate.objects.select_related("workflow")
    serializer_class = RateSerializer
    filterset_class = RateFilter


def register(router) -> None:
    router.register("vendor-qa/ticket-results", TicketResultViewSet,
                    basename="vendor-qa-ticket-result")
    router.register("vendor-qa/rates", RateViewSet, basename="vendor-qa-rate")
