"""Published audit forms over the API (read), with their sections, questions and choices."""

import django_filters
from django.db.models import Prefetch
from rest_framework import serializers

from accounts.scoped_api import IdFilter, ScopedReadOnlyViewSet

from .models import FormChoice, FormQuestion, FormSection, FormVersion


class ChoiceSerializer(serializers.ModelSerializer):
    error_category = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = FormChoice
        fields = ["value", "label", "credit", "is_error", "error_category"]


class QuestionSerializer(serializers.ModelSerializer):
    error_category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    choices = ChoiceSerializer(many=True, read_only=True)

    class Meta:
        model = FormQuestion
        fields = [
            "key", "text", "guidance", "kind", "weight", "critical", "na_allowed", "required",
            "error_category", "scale_error_at_or_below", "choices",
        ]


class SectionSerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = FormSection
        fields = ["key", "title", "description", "weight", "questions"]


class FormVersionSerializer(serializers.ModelSerializer):
    form = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    name = serializers.CharField(source="form.name", read_only=True)
    workflows = serializers.PrimaryKeyRelatedField(
        source="form.workflows", many=True, read_only=True
    )
    sections = SectionSerializer(many=True, read_only=True)

    class Meta:
        model = FormVersion
        fields = [
            "id", "form", "name", "number", "status", "pass_mark", "critical_zeroes_score",
            "published_at", "workflows", "sections",
        ]


class FormVersionFilter(django_filters.FilterSet):
    workflow = IdFilter(field_name="form__workflows", label="Workflow id")

    class Meta:
        model = FormVersion
        fields = ["workflow"]


class FormVersionViewSet(ScopedReadOnlyViewSet):
    """Published audit form versions with their sections, questions and choices."""

    queryset = (
        FormVersion.objects.published()
        .select_related("form")
        .prefetch_related(
            "form__workflows",
            Prefetch("sections", queryset=FormSection.objects.order_by("position", "id")),
            Prefetch("sections__questions",
                     queryset=FormQuestion.objects.select_related("error_category")),
            Prefetch("sections__questions__choices",
                     queryset=FormChoice.objects.select_related("error_category")),
        )
    )
    serializer_class = FormVersionSerializer
    filterset_class = FormVersionFilter
    ordering = "id"


def register(router) -> None:
    router.register("forms", FormVersionViewSet, basename="form")
