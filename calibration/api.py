"""Calibration sessions over the API (read-only), an interface other tools rely on:

* ``GET /api/v1/calibration-sessions/``: the sessions the user may see;
* ``GET /api/v1/calibration-sessions/{id}/``: ``status`` ("closed" once the results are
  final) and the agreement per question in ``questions`` and over all of them in
  ``overall``: ``key, kind, n_units, n_raters, percent_agreement, fleiss_kappa,
  alpha_nominal, alpha_ordinal, alpha_ci`` (computed over the participants' ratings,
  without gold): once closed for everyone who may see the session, before that for leads
  only (with two raters, an agreement of 100 % would tell one what the other answered);
* ``GET /api/v1/calibration-sessions/{id}/ratings/``: every rating the user may see as
  ``ticket`` (external id), ``rater`` (email, or "gold" for the answer key), ``question``
  and ``answer`` (the stored choice value): all of them once the session is closed; before,
  the user's own (and the gold answers for a lead).

Sessions come through ``calibration.selectors.sessions_visible_to``: a vendor user gets 404
for any session they are not invited to and never another vendor's ratings.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.scoped_api import ScopedReadOnlyViewSet

from . import selectors
from .models import CalibrationSession

AGREEMENT = inline_serializer("CalibrationAgreement", fields={
    "key": serializers.CharField(), "kind": serializers.CharField(),
    "n_units": serializers.IntegerField(), "n_raters": serializers.IntegerField(),
    "percent_agreement": serializers.FloatField(allow_null=True),
    "fleiss_kappa": serializers.FloatField(allow_null=True),
    "alpha_nominal": serializers.FloatField(allow_null=True),
    "alpha_ordinal": serializers.FloatField(allow_null=True),
    "alpha_ci": serializers.ListField(child=serializers.FloatField(), allow_null=True),
})
RATING = inline_serializer("CalibrationRating", fields={
    "ticket": serializers.CharField(), "rater": serializers.CharField(),
    "question": serializers.CharField(), "answer": serializers.CharField(),
})


class CalibrationSessionSerializer(serializers.ModelSerializer):
    form_version = serializers.PrimaryKeyRelatedField(read_only=True)
    form = serializers.CharField(source="form_version.form.slug", read_only=True)

    class Meta:
        model = CalibrationSession
        fields = ["id", "name", "status", "form", "form_version", "vendor", "created_at",
                  "opened_at", "closed_at"]
        read_only_fields = fields


class CalibrationSessionViewSet(ScopedReadOnlyViewSet):
    """Calibration sessions the caller may see; each with its agreement numbers."""

    queryset = CalibrationSession.objects.all()
    serializer_class = CalibrationSessionSerializer

    def get_queryset(self):
        return selectors.sessions_visible_to(self.request.user)

    @extend_schema(responses=inline_serializer("CalibrationSessionResults", fields={
        "id": serializers.IntegerField(), "name": serializers.CharField(),
        "status": serializers.CharField(), "questions": AGREEMENT.__class__(many=True),
        "overall": AGREEMENT,
    }))
    def retrieve(self, request, *args, **kwargs):
        session = self.get_object()
        data = self.get_serializer(session).data
        data["questions"], data["overall"] = [], None
        if selectors.sees_results(session, request.user):
            result = selectors.session_results(session)
            data["questions"] = [_agreement(q) for q in result.questions]
            data["overall"] = _agreement(result.overall)
        return Response(data)

    @extend_schema(responses=RATING.__class__(many=True))
    @action(detail=True, methods=["get"])
    def ratings(self, request, pk=None, format=None):  # noqa: A002 (DRF passes "format")
        session = self.get_object()
        user = request.user
        rows = [{"ticket": r.item.ticket.external_id, "rater": r.rater.email,
                 "question": r.question_key, "answer": r.answer}
                for r in selectors.ratings_visible_to(user, session)]
        rows += [{"ticket": g.item.ticket.external_id, "rater": selectors.GOLD,
                  "question": g.question_key, "answer": g.answer}
                 for g in selectors.gold_visible_to(user, session)]
        return Response(rows)


def _agreement(agreement) -> dict:
    return agreement.as_dict()


def register(router) -> None:
    router.register("calibration-sessions", CalibrationSessionViewSet,
                    basename="calibration-session")
