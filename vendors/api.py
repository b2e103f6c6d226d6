"""Read API for the vendor side. Querysets go through the scoping function.

Filters over related rows take plain ids (``IdFilter``), never a choice of objects: a
choice filter's form would list every vendor, site and agent in the browsable API, and
its "not a valid choice" error would tell a vendor user which other ids exist. A foreign
id and an unknown one both give an empty page.
"""

import django_filters
from django import forms
from rest_framework import serializers, viewsets
from rest_framework.pagination import CursorPagination

from accounts.scoping import visible_to

from .models import Agent, ContractTarget, Site, Vendor, Workflow


class VendorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vendor
        fields = ["id", "name", "slug", "active"]


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "vendor", "name", "slug", "country", "timezone", "active"]


class AgentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agent
        fields = ["id", "vendor", "site", "external_id", "active"]


class WorkflowSerializer(serializers.ModelSerializer):
    class Meta:
        model = Workflow
        fields = ["id", "name", "slug", "kind", "policy_area", "language", "active"]


class ContractTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContractTarget
        fields = [
            "id",
            "vendor",
            "workflow",
            "metric",
            "direction",
            "target",
            "effective_from",
            "effective_to",
        ]


class IdFilter(django_filters.NumberFilter):
    """An id as a plain whole number, filtered inside the already scoped queryset."""

    field_class = forms.IntegerField


class SiteFilter(django_filters.FilterSet):
    vendor = IdFilter(label="Vendor id")

    class Meta:
        model = Site
        fields = ["vendor", "slug", "country"]


class AgentFilter(django_filters.FilterSet):
    vendor = IdFilter(label="Vendor id")
    site = IdFilter(label="Site id")

    class Meta:
        model = Agent
        fields = ["vendor", "site", "external_id", "active"]


class ContractTargetFilter(django_filters.FilterSet):
    vendor = IdFilter(label="Vendor id")
    workflow = IdFilter(label="Workflow id")

    class Meta:
        model = ContractTarget
        fields = ["vendor", "workflow", "metric"]


class ViewOrderedCursorPagination(CursorPagination):
    """Cursor pagination ordered by the view's ``ordering``. DRF's CursorPagination reads
    only its own ``ordering`` (default "-created", a field these models do not have)."""

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """Lists and retrieves only what the requesting user may see; anything else is 404.
    Lists are cursor-paginated by ``ordering`` (a unique field, so pages are stable)."""

    ordering = "id"
    pagination_class = ViewOrderedCursorPagination

    def get_queryset(self):
        return visible_to(self.request.user, self.queryset)


class VendorViewSet(ScopedReadOnlyViewSet):
    queryset = Vendor.objects.all()
    serializer_class = VendorSerializer
    filterset_fields = ["slug", "active"]


class SiteViewSet(ScopedReadOnlyViewSet):
    queryset = Site.objects.all()
    serializer_class = SiteSerializer
    filterset_class = SiteFilter


class AgentViewSet(ScopedReadOnlyViewSet):
    queryset = Agent.objects.all()
    serializer_class = AgentSerializer
    filterset_class = AgentFilter


class WorkflowViewSet(ScopedReadOnlyViewSet):
    queryset = Workflow.objects.all()
    serializer_class = WorkflowSerializer
    filterset_fields = ["slug", "kind", "language"]


class ContractTargetViewSet(ScopedReadOnlyViewSet):
    queryset = ContractTarget.objects.all()
    serializer_class = ContractTargetSerializer
    filterset_class = ContractTargetFilter


def register(router) -> None:
    router.register("vendors", VendorViewSet)
    router.register("sites", SiteViewSet)
    router.register("agents", AgentViewSet)
    router.register("workflows", WorkflowViewSet)
    router.register("contract-targets", ContractTargetViewSet)
