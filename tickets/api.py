"""Tickets over the API (read): through the scoping function, like every endpoint.

An outside model's score (``ai_score``, ``ai_model``) is internal QA data: responses to
vendor users leave it out, as audits leave out internal notes.
"""

import django_filters
from rest_framework import serializers

from accounts.scoped_api import IdFilter, ScopedReadOnlyViewSet

from .models import Ticket
from .push_api import TicketPushMixin

INTERNAL_FIELDS = ("ai_score", "ai_model")


class TicketSerializer(serializers.ModelSerializer):
    ai_score = serializers.FloatField(
        read_only=True, allow_null=True,
        help_text="QA only, omitted from responses to vendor users: an outside model's "
        "probability (0 to 1) that the ticket fails QA.",
    )
    ai_model = serializers.CharField(
        read_only=True,
        help_text="QA only, omitted from responses to vendor users: the model that gave "
        "ai_score.",
    )

    class Meta:
        model = Ticket
        fields = [
            "id", "source", "external_id", "vendor", "site", "agent", "workflow", "handled_at",
            "decision", "policy_label", "language", "channel", "automated", "content_url",
            "excerpt", "extra", *INTERNAL_FIELDS,
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not getattr(getattr(request, "user", None), "is_internal", False):
            for name in INTERNAL_FIELDS:
                data.pop(name, None)
        return data


class TicketFilter(django_filters.FilterSet):
    vendor = IdFilter(label="Vendor id")
    site = IdFilter(label="Site id")
    agent = IdFilter(label="Agent id")
    workflow = IdFilter(label="Workflow id")

    class Meta:
        model = Ticket
        fields = ["vendor", "site", "agent", "workflow", "decision", "language", "automated"]


class TicketViewSet(TicketPushMixin, ScopedReadOnlyViewSet):
    queryset = Ticket.objects.all()
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    ordering = "-id"


def register(router) -> None:
    router.register("tickets", TicketViewSet)
