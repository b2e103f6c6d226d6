"""Disputes over the API: list and read them, raise one, resolve one.

Every dispute is fetched through ``accounts.scoping.visible_to`` (as the dispute pages do),
so a vendor POC sees their own vendor's disputes only and another vendor's id is a 404; the
audit a dispute is raised on is fetched through ``audits_visible_to``. The rules (who may
raise or resolve, the window, the decisions, rescoring with history) are
``audits.disputes``'; the viewset only translates its refusals into HTTP answers (403 for
who, 400 for what).

Attachments stay page-only for raising (``/audits/<id>/dispute/``): the API takes reasons,
and links each stored attachment to the scoped download view, never to a media URL.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from accounts.scoped_api import IdFilter, ViewOrderedCursorPagination
from accounts.scoping import visible_to

from . import disputes
from .api import _lifecycle_errors
from .dispute_models import overdue_condition
from .models import Audit, Dispute, DisputeDecision, DisputedQuestion, DisputeStatus
from .selectors import audits_visible_to, shows_internal


class DisputedQuestionSerializer(serializers.ModelSerializer):
    attachment = serializers.SerializerMethodField(
        help_text="Link to the scoped download (/audits/disputes/attachments/<id>/), or null."
    )

    class Meta:
        model = DisputedQuestion
        fields = [
            "id", "question_key", "reason", "original_answer", "attachment", "attachment_name",
            "decision", "corrected_answer", "reply",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_attachment(self, row: DisputedQuestion) -> str | None:
        if not row.attachment:
            return None
        path = reverse("audits:dispute_attachment", kwargs={"pk": row.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class DisputeSerializer(serializers.ModelSerializer):
    vendor = serializers.IntegerField(source="audit.ticket.vendor_id", read_only=True)
    overdue = serializers.SerializerMethodField(help_text="Open past its SLA deadline.")
    age_hours = serializers.SerializerMethodField(
        help_text="SLA age: hours from raising to resolution (or to now, while open)."
    )
    questions = DisputedQuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Dispute
        fields = [
            "id", "audit", "vendor", "status", "raised_by", "raised_at", "due_at", "overdue",
            "age_hours", "resolved_by", "resolved_at", "score_before", "score_after",
            "questions",
        ]
        read_only_fields = fields

    def get_overdue(self, dispute: Dispute) -> bool:
        return dispute.is_overdue(self.context.get("now"))

    def get_age_hours(self, dispute: Dispute) -> float:
        age = disputes.sla_age(dispute, self.context.get("now"))
        return round(age.total_seconds() / 3600, 1)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not shows_internal(getattr(request, "user", None)):
            data.pop("resolved_by", None)  # the pages say "resolved", not by which lead
        return data


class RaisedQuestionSerializer(serializers.Serializer):
    question_key = serializers.CharField(max_length=64)
    reason = serializers.CharField(allow_blank=True)


def each_question_once(rows: list[dict], rule: str) -> list[dict]:
    """``rows`` unless a question key is listed twice (a 400 naming the keys)."""
    keys = [row["question_key"] for row in rows]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise ValidationError(f"{rule}: {', '.join(twice)} listed twice.")
    return rows


class RaiseDisputeSerializer(serializers.Serializer):
    audit = serializers.IntegerField(help_text="The final audit to dispute.")
    questions = RaisedQuestionSerializer(many=True, allow_empty=True)

    def validate_questions(self, rows):
        return each_question_once(rows, "Each question once")


class DecisionSerializer(serializers.Serializer):
    question_key = serializers.CharField(max_length=64)
    decision = serializers.ChoiceField(choices=DisputeDecision.choices)
    reply = serializers.CharField(allow_blank=True)
    corrected_answer = serializers.CharField(
        required=False, allow_blank=True, default="",
        help_text="The answer the audit is rescored with (overturned, partially overturned).",
    )


class ResolveDisputeSerializer(serializers.Serializer):
    decisions = DecisionSerializer(many=True)

    def validate_decisions(self, rows):
        return each_question_once(rows, "One decision per question")


class DisputeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DisputeStatus.choices)
    vendor = IdFilter(field_name="audit__ticket__vendor", label="Vendor id")
    audit = IdFilter(label="Audit id")
    overdue = django_filters.BooleanFilter(method="filter_overdue",
                                           label="Open past the SLA deadline")

    class Meta:
        model = Dispute
        fields = ["status", "vendor", "audit", "overdue"]

    def filter_overdue(self, queryset, name, value):
        late = overdue_condition()
        return queryset.filter(late) if value else queryset.exclude(late)


class DisputeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     viewsets.GenericViewSet):
    """Disputes the caller may see (vendor POCs: their own vendor's), newest first, each with
    its questions, decisions and replies. POST raises one (a vendor POC, on a final audit of
    their vendor within the dispute window; attachments only on the page); ``resolve``
    decides every question (a QA lead who is not the audit's auditor)."""

    queryset = Dispute.objects.select_related("audit__ticket").prefetch_related(
        Prefetch("questions", queryset=DisputedQuestion.objects.order_by("id"))
    )
    serializer_class = DisputeSerializer
    filterset_class = DisputeFilter
    pagination_class = ViewOrderedCursorPagination
    ordering = "-id"

    def get_queryset(self):
        return visible_to(self.request.user, self.queryset)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(request=RaiseDisputeSerializer, responses={201: DisputeSerializer})
    def create(self, request, *args, **kwargs):
        incoming = RaiseDisputeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        audit = get_object_or_404(
            audits_visible_to(request.user, Audit.objects.select_related("ticket")),
            pk=data["audit"],
        )
        reasons = {row["question_key"]: row["reason"] for row in data["questions"]}
        with _lifecycle_errors():
            dispute = disputes.raise_dispute(audit, request.user, reasons)
        return Response(self.get_serializer(self.get_queryset().get(pk=dispute.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=ResolveDisputeSerializer, responses={200: DisputeSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None, **kwargs):  # kwargs: the router's ".json" format
        """Decide every disputed question: upheld, overturned or partially overturned, with a
        reply and (when overturned) the corrected answer. The audit is rescored and final."""
        dispute = self.get_object()
        incoming = ResolveDisputeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        decisions = {
            row["question_key"]: disputes.Decision(
                decision=row["decision"], reply=row["reply"],
                corrected_answer=row["corrected_answer"])
            for row in incoming.validated_data["decisions"]
        }
        with _lifecycle_errors():
            disputes.resolve_dispute(dispute, request.user, decisions)
        return Response(self.get_serializer(self.get_queryset().get(pk=dispute.pk)).data)


def register(router) -> None:
    router.register("disputes", DisputeViewSet)
