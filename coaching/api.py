"""Coaching actions over the API: list and read them, open one, take its steps.

Every action is fetched through ``coaching.actions.actions_visible_to`` (the scoping function),
so a vendor POC sees their own vendor's actions only and another vendor's id is a 404. The
steps are ``coaching.actions``' functions, which decide who may take them: the viewset only
turns their refusals into 403 (who) and 400 (what) answers with the domain's message.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.models import User
from accounts.scoped_api import IdFilter, ViewOrderedCursorPagination
from audit_forms.models import ErrorCategory
from audits.models import VENDOR_WORK, Audit
from audits.selectors import audits_visible_to
from vendors.models import Site, Vendor, Workflow

from . import actions
from .effectiveness import effectiveness
from .models import ActionStatus, CoachingAction, Level

# Who took the QA-side steps: the pages tell vendor users "by QA", not which person.
QA_ONLY_FIELDS = ("opened_by", "verified_by", "cancelled_by")


class CoachingActionSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    workflow = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    audits = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True,
        help_text="Source audits the caller may see (vendor users: finalised ones only).",
    )
    overdue = serializers.SerializerMethodField(help_text="Not completed by its due date.")
    allowed_steps = serializers.SerializerMethodField(
        help_text="Steps the caller may take now: acknowledge, complete, verify, cancel."
    )

    class Meta:
        model = CoachingAction
        fields = [
            "id", "vendor", "level", "site", "agent", "category", "workflow", "title",
            "description", "audits", "owner", "due_date", "status", "overdue", "allowed_steps",
            "opened_by", "opened_at", "acknowledged_by", "acknowledged_at", "completed_by",
            "completed_at", "coaching_notes", "verified_by", "verified_at", "verification_note",
            "cancelled_by", "cancelled_at", "cancel_reason",
        ]
        read_only_fields = fields

    def get_overdue(self, obj: CoachingAction) -> bool:
        return obj.is_overdue(self.context.get("today"))

    def get_allowed_steps(self, obj: CoachingAction) -> list[str]:
        request = self.context.get("request")
        return actions.allowed_steps(obj, getattr(request, "user", None))

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not actions.is_qa(getattr(request, "user", None)):
            for name in QA_ONLY_FIELDS:
                data.pop(name, None)
        return data


RATE = inline_serializer("ThemeRate", fields={
    "start": serializers.DateField(allow_null=True), "end": serializers.DateField(allow_null=True),
    "audits": serializers.IntegerField(), "rate": serializers.FloatField(allow_null=True),
    "low": serializers.FloatField(allow_null=True), "high": serializers.FloatField(allow_null=True),
})
EFFECTIVENESS = inline_serializer("CoachingEffectiveness", fields={
    "verdict": serializers.CharField(), "before": RATE, "after": RATE,
    "difference": serializers.FloatField(allow_null=True,
                                         help_text="After − before (negative: fewer errors)."),
    "difference_low": serializers.FloatField(allow_null=True),
    "difference_high": serializers.FloatField(allow_null=True),
    "p_value": serializers.FloatField(allow_null=True),
})


class CoachingActionDetailSerializer(CoachingActionSerializer):
    """One action, with its effectiveness (``coaching.effectiveness``: the theme's error rate
    before the action and after its completion, compared)."""

    effectiveness = serializers.SerializerMethodField()

    class Meta(CoachingActionSerializer.Meta):
        fields = [*CoachingActionSerializer.Meta.fields, "effectiveness"]
        read_only_fields = fields

    @extend_schema_field(EFFECTIVENESS)
    def get_effectiveness(self, obj: CoachingAction) -> dict:
        effect = effectiveness(obj)
        comparison = effect.comparison
        return {
            "verdict": effect.verdict, "before": _window(effect.before),
            "after": _window(effect.after),
            "difference": comparison.difference if comparison else None,
            "difference_low": comparison.low if comparison else None,
            "difference_high": comparison.high if comparison else None,
            "p_value": comparison.p_value if comparison else None,
        }


def _window(window) -> dict:
    period, rate = window.period, window.rate
    return {
        "start": period.first if period else None, "end": period.end if period else None,
        "audits": window.audits, "rate": rate.p if rate else None,
        "low": rate.low if rate else None, "high": rate.high if rate else None,
    }


class OpenActionSerializer(serializers.Serializer):
    """From audits (an agent-level action for their one agent), or from a gap: a site (site
    level) or a vendor (vendor level)."""

    title = serializers.CharField(max_length=200, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.SlugRelatedField(slug_field="slug",
                                            queryset=ErrorCategory.objects.all(),
                                            help_text="The theme: an error category slug.")
    workflow = serializers.SlugRelatedField(slug_field="slug", queryset=Workflow.objects.all(),
                                            required=False, allow_null=True, default=None)
    due_date = serializers.DateField()
    audits = serializers.ListField(child=serializers.IntegerField(), required=False, default=list,
                                   help_text="Ids of one agent's scored audits.")
    vendor = serializers.PrimaryKeyRelatedField(queryset=Vendor.objects.all(), required=False,
                                                allow_null=True, default=None)
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all(), required=False,
                                              allow_null=True, default=None)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False,
                                               allow_null=True, default=None,
                                               help_text="A POC of the action's vendor.")


class CompleteSerializer(serializers.Serializer):
    notes = serializers.CharField(allow_blank=True, help_text="What coaching was done.")


class VerifySerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text="Why the action is withdrawn.")


class CoachingActionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ActionStatus.choices)
    level = django_filters.ChoiceFilter(choices=Level.choices)
    # Ids as plain numbers: a choice filter would tell a vendor which other ids exist.
    vendor = IdFilter(label="Vendor id")
    site = IdFilter(label="Site id")
    agent = IdFilter(label="Agent id")
    overdue = django_filters.BooleanFilter(method="filter_overdue",
                                           label="Not completed by the due date")

    class Meta:
        model = CoachingAction
        fields = ["status", "level", "vendor", "agent", "site", "overdue"]

    def filter_overdue(self, queryset, name, value):
        late = queryset.overdue()
        return late if value else queryset.exclude(pk__in=late.values("pk"))


class CoachingActionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Coaching actions the caller may see (vendor POCs: their own vendor's), by due date.
    QA opens them (POST); the vendor acknowledges and completes (QA may, on its behalf);
    QA verifies or cancels. Each step answers with the action as it now stands."""

    queryset = CoachingAction.objects.select_related("category", "workflow")
    serializer_class = CoachingActionSerializer
    filterset_class = CoachingActionFilter
    pagination_class = ViewOrderedCursorPagination
    ordering = "id"

    def get_queryset(self):
        user = self.request.user
        return actions.actions_visible_to(user).select_related(
            "category", "workflow").prefetch_related(
            Prefetch("audits", queryset=audits_visible_to(user, Audit.objects.only("id"))))

    def get_serializer_class(self):
        return CoachingActionDetailSerializer if self.action == "retrieve" else super(
        ).get_serializer_class()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def _answer(self, action_obj: CoachingAction, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=action_obj.pk)
        return Response(CoachingActionSerializer(fresh, context=self.get_serializer_context())
                        .data, status=code)

    @extend_schema(request=OpenActionSerializer, responses={201: CoachingActionSerializer})
    def create(self, request, *args, **kwargs):
        if not actions.is_qa(request.user):
            raise PermissionDenied("Only QA opens coaching actions.")
        incoming = OpenActionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        ids = data.pop("audits")
        audits = list(audits_visible_to(request.user, Audit.objects.filter(VENDOR_WORK, pk__in=ids))
                      .select_related("ticket"))
        missing = sorted(set(ids) - {audit.pk for audit in audits})
        if missing:
            raise ValidationError({"audits": f"No such audit: {', '.join(map(str, missing))}."})
        with _coaching_errors():
            opened = actions.open_action(request.user, audits=audits, **data)
        return self._answer(opened, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: CoachingActionSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None, **kwargs):  # kwargs: the router's ".json" format
        """The vendor has seen the action and takes it on."""
        with _coaching_errors():
            done = actions.acknowledge(self.get_object(), request.user)
        return self._answer(done)

    @extend_schema(request=CompleteSerializer, responses={200: CoachingActionSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None, **kwargs):
        """The vendor records the coaching done (acknowledging it too, if not yet)."""
        action_obj = self.get_object()
        incoming = CompleteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with _coaching_errors():
            done = actions.complete(action_obj, request.user, incoming.validated_data["notes"])
        return self._answer(done)

    @extend_schema(request=VerifySerializer, responses={200: CoachingActionSerializer})
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None, **kwargs):
        """QA confirms the coaching was done (a completed action only)."""
        action_obj = self.get_object()
        incoming = VerifySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with _coaching_errors():
            done = actions.verify(action_obj, request.user, incoming.validated_data["note"])
        return self._answer(done)

    @extend_schema(request=CancelSerializer, responses={200: CoachingActionSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None, **kwargs):
        """QA withdraws an action not yet completed, saying why."""
        action_obj = self.get_object()
        incoming = CancelSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        with _coaching_errors():
            done = actions.cancel(action_obj, request.user, incoming.validated_data["reason"])
        return self._answer(done)


class _coaching_errors:
    """Turn ``coaching.actions`` refusals into 403 (who) / 400 (what) with their message."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, actions.NotAllowed):
            raise PermissionDenied(str(error)) from error
        if isinstance(error, actions.CoachingError):
            raise ValidationError({"detail": str(error)}) from error
        return False


def register(router) -> None:
    router.register("coaching-actions", CoachingActionViewSet, basename="coaching-action")
