"""Audits over the API.

Every queryset goes through the scoping function (audits through ``audits_visible_to``,
which also keeps unfinalised audits from vendor users), so a guessed id of another
vendor's object is a 404. Changes go through ``audits.lifecycle`` like the pages do; the
viewsets only translate its refusals into HTTP answers.
"""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.api_filters import DateTimeRangeFilter
from accounts.scoped_api import IdFilter, ViewOrderedCursorPagination
from accounts.scoping import visible_to
from audit_forms.models import FormVersion
from sampling.models import SampledTicket
from tickets.models import Ticket

from . import lifecycle
from .models import VENDOR_WORK, Audit, AuditStatus
from .selectors import audits_visible_to, shows_internal

# ----- audits -------------------------------------------------------------------------------


class AuditSerializer(serializers.ModelSerializer):
    vendor = serializers.IntegerField(source="ticket.vendor_id", read_only=True)
    site = serializers.IntegerField(source="ticket.site_id", read_only=True)
    workflow = serializers.IntegerField(source="ticket.workflow_id", read_only=True)
    internal_note = serializers.CharField(
        read_only=True, help_text="QA only: omitted from responses to vendor users."
    )

    class Meta:
        model = Audit
        fields = [
            "id", "ticket", "vendor", "site", "workflow", "form_version", "auditor",
            "sampled_ticket", "unsampled", "status", "answers", "comments", "internal_note",
            "score", "passed", "critical_failed", "section_scores", "error_categories",
            "errors", "time_spent_seconds", "assigned_at", "due_at", "started_at",
            "submitted_at", "finalised_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not shows_internal(getattr(request, "user", None)):
            # Vendors see findings, not who the auditor was (nor their private notes).
            data.pop("internal_note", None)
            data.pop("auditor", None)
        return data


class AuditCreateSerializer(serializers.Serializer):
    """Either an assignment (``sampled_ticket``) or, for an ad-hoc audit, a ticket and a
    published form version."""

    sampled_ticket = serializers.IntegerField(required=False)
    ticket = serializers.IntegerField(required=False)
    form_version = serializers.IntegerField(required=False)

    def validate(self, attrs):
        if "sampled_ticket" in attrs:
            return attrs
        if "ticket" in attrs and "form_version" in attrs:
            return attrs
        raise ValidationError(
            "Give sampled_ticket (an assignment) or ticket and form_version (ad hoc)."
        )


class AuditAnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(child=serializers.CharField(allow_blank=True),
                                    required=False)
    comments = serializers.DictField(child=serializers.CharField(allow_blank=True),
                                     required=False)
    internal_note = serializers.CharField(required=False, allow_blank=True)
    time_spent_seconds = serializers.IntegerField(required=False, min_value=0)


SUBMISSION_PROBLEMS = inline_serializer(
    "SubmissionProblems",
    fields={
        "detail": serializers.CharField(),
        "problems": inline_serializer(
            "SubmissionProblem",
            fields={"question": serializers.CharField(), "label": serializers.CharField(),
                    "message": serializers.CharField()},
            many=True,
        ),
    },
)


class AuditFilter(django_filters.FilterSet):
    vendor = IdFilter(field_name="ticket__vendor", label="Vendor id")
    site = IdFilter(field_name="ticket__site", label="Site id")
    workflow = IdFilter(field_name="ticket__workflow", label="Workflow id")
    # QA staff only (AuditViewSet.filter_queryset): a choice of users would list emails.
    auditor = IdFilter(label="Auditor (user id)")
    status = django_filters.MultipleChoiceFilter(choices=AuditStatus.choices)
    submitted = DateTimeRangeFilter(
        field_name="submitted_at", param="submitted",
        label="Submitted between (submitted_after, submitted_before)",
    )

    class Meta:
        model = Audit
        fields = ["vendor", "site", "workflow", "auditor", "status", "unsampled", "submitted"]


class AuditViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """Audits the caller may see. Vendor users see their vendor's finalised audits only,
    without internal notes; creating and scoring are for QA staff."""

    queryset = Audit.objects.select_related("ticket")
    serializer_class = AuditSerializer
    filterset_class = AuditFilter
    pagination_class = ViewOrderedCursorPagination
    ordering = "-id"

    def get_queryset(self):
        return audits_visible_to(self.request.user, self.queryset)

    def filter_queryset(self, queryset):
        if "auditor" in self.request.query_params and not shows_internal(self.request.user):
            # Filtering by auditor would tell a vendor who audited what.
            raise ValidationError({"auditor": "Only QA staff can filter audits by auditor."})
        if self.action == "list":
            # The list is vendor work; a re-audit (internal) is reached by its id only.
            queryset = queryset.filter(VENDOR_WORK)
        return super().filter_queryset(queryset)

    @extend_schema(request=AuditCreateSerializer, responses={201: AuditSerializer})
    def create(self, request, *args, **kwargs):
        user = request.user
        if not user.is_internal:
            raise PermissionDenied("Only QA staff create audits.")
        incoming = AuditCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        with _lifecycle_errors():
            if "sampled_ticket" in data:
                assignment = _scoped_or_404(user, SampledTicket.objects.select_related(
                    "run__plan", "ticket"), data["sampled_ticket"])
                audit = lifecycle.open_assignment(assignment, user)
            else:
                ticket = _scoped_or_404(user, Ticket.objects.all(), data["ticket"])
                version = _scoped_or_404(user, FormVersion.objects.select_related("form"),
                                         data["form_version"])
                audit = lifecycle.start_adhoc_audit(ticket, version, user)
        return Response(self.get_serializer(audit).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AuditAnswersSerializer,
        responses={200: AuditSerializer,
                   400: OpenApiResponse(SUBMISSION_PROBLEMS, description="Questions to fix")},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None, **kwargs):  # kwargs: the router's ".json" format
        """Score and submit the answers (merged over the saved draft)."""
        audit = self.get_object()
        incoming = AuditAnswersSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            with _lifecycle_errors():
                audit = lifecycle.submit_audit(audit, request.user, **incoming.validated_data)
        except lifecycle.SubmissionInvalid as invalid:
            return Response(
                {"detail": str(invalid), "problems": [
                    {"question": p.key, "label": p.label, "message": p.message}
                    for p in invalid.problems
                ]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(self.get_serializer(audit).data)

    @extend_schema(request=AuditAnswersSerializer, responses={200: AuditSerializer})
    @action(detail=True, methods=["post"])
    def draft(self, request, pk=None, **kwargs):
        """Save unfinished answers without validating them."""
        audit = self.get_object()
        incoming = AuditAnswersSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with _lifecycle_errors():
            audit = lifecycle.save_draft(audit, request.user, **incoming.validated_data)
        return Response(self.get_serializer(audit).data)


def _scoped_or_404(user, queryset, pk):
    return get_object_or_404(visible_to(user, queryset), pk=pk)


class _lifecycle_errors:
    """Turn lifecycle refusals into 403 / 400 answers (submission problems pass through)."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if error is None or isinstance(error, lifecycle.SubmissionInvalid):
            return False
        if isinstance(error, lifecycle.NotPermitted):
            raise PermissionDenied(str(error)) from error
        if isinstance(error, lifecycle.LifecycleError):
            raise ValidationError({"detail": str(error)}) from error
        return False


def register(router) -> None:
    router.register("audits", AuditViewSet)
