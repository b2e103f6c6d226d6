"""Tickets over the API (read): through the scoping function, like every endpoint."""

import django_filters
from rest_framework import serializers

from accounts.scoped_api import IdFilter, ScopedReadOnlyViewSet

from .models import Ticket


class TicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = [
            "id", "source", "external_id", "vendor", "site", "agent", "workflow", "handled_at",
            "decision", "policy_label", "language", "channel", "automated", "content_url",
            "excerpt", "extra",
        ]


class TicketFilter(django_filters.FilterSet):
    vendor = IdFilter(label="Vendor id")
    site = IdFilter(label="Site id")
    agent = IdFilter(label="Agent id")
    workflow = IdFilter(label="Workflow id")

    class Meta:
        model = Ticket
        fields = ["vendor", "site", "agent", "workflow", "decision", "language", "automated"]


class TicketViewSet(ScopedReadOnlyViewSet):
    queryset = Ticket.objects.all()
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    ordering = "-id"


def register(router) -> None:
    router.register("tickets", TicketViewSet)
