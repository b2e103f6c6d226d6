"""The leads' dispute queue filters: vendor, status, overdue, disputed question.

Choices come from what the viewer may see (``visible_to``), so a choice never names a
vendor or question the viewer has no dispute of; anything else is a form error naming the
field, never a 500.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import QuerySet

from accounts.scoping import visible_to
from audit_forms.models import FormQuestion
from vendors.models import Vendor

from .dispute_models import DisputedQuestion, DisputeStatus, overdue_condition


class DisputeFilterForm(forms.Form):
    vendor = forms.ChoiceField(required=False)
    status = forms.ChoiceField(
        required=False, choices=[("", "Open and resolved"), *DisputeStatus.choices])
    overdue = forms.BooleanField(required=False, label="Overdue only")
    question = forms.ChoiceField(required=False, label="Disputed question")

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        vendors = visible_to(user, Vendor.objects.order_by("name")).values_list("slug", "name")
        self.fields["vendor"].choices = [("", "All vendors"), *vendors]
        keys = sorted(set(visible_to(user, DisputedQuestion.objects.all())
                          .values_list("question_key", flat=True)))
        # The same key may be worded differently across form versions: the latest wording.
        labels = dict(FormQuestion.objects.filter(key__in=keys)
                      .order_by("key", "section__version_id")
                      .values_list("key", "text"))
        self.fields["question"].choices = [
            ("", "Any question"), *((key, _short(labels.get(key, key))) for key in keys)]

    def apply(self, queue: QuerySet, now: dt.datetime) -> QuerySet:
        """``queue`` narrowed by the valid filters."""
        data = self.cleaned_data
        if data.get("vendor"):
            queue = queue.filter(audit__ticket__vendor__slug=data["vendor"])
        if data.get("status"):
            queue = queue.filter(status=data["status"])
        if data.get("overdue"):
            queue = queue.filter(overdue_condition(now))
        if data.get("question"):
            # A subquery, not a join: the queue counts each dispute's questions.
            queue = queue.filter(pk__in=DisputedQuestion.objects.filter(
                question_key=data["question"]).values("dispute_id"))
        return queue


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
