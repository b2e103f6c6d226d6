"""Tickets API (read). Querysets go through the scoping function."""

from rest_framework import serializers

from vendors.api import ScopedReadOnlyViewSet

from .models import Ticket


class TicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = [
            "id", "source", "external_id", "vendor", "site", "agent", "workflow", "handled_at",
            "decision", "policy_label", "language", "channel", "automated", "content_url",
            "excerpt", "extra",
        ]


class TicketViewSet(ScopedReadOnlyViewSet):
    queryset = Ticket.objects.all()
    serializer_class = TicketSerializer
    filterset_fields = ["vendor", "site", "agent", "workflow", "decision", "language", "automated"]
    ordering = "-id"


def register(router) -> None:
    router.register("tickets", TicketViewSet)
