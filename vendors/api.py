"""Read API for the vendor side, on the scoped base classes of ``accounts.scoped_api``."""

import django_filters
from rest_framework import serializers

from accounts.scoped_api import IdFilter, ScopedReadOnlyViewSet

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
