"""The base pieces of every API endpoint: querysets through the scoping function, stable
cursor pages, and filters over related rows by plain id.

Filters over related rows take plain ids (``IdFilter``), never a choice of objects: a
choice filter's form would list every vendor, site and agent in the browsable API, and
its "not a valid choice" error would tell a vendor user which other ids exist. A foreign
id and an unknown one both give an empty page.
"""

import django_filters
from django import forms
from rest_framework import viewsets
from rest_framework.pagination import CursorPagination

from .scoping import visible_to


class IdFilter(django_filters.NumberFilter):
    """An id as a plain whole number, filtered inside the already scoped queryset."""

    field_class = forms.IntegerField


class ViewOrderedCursorPagination(CursorPagination):
    """Cursor pagination ordered by the view's ``ordering``. DRF's CursorPagination reads
    only its own ``ordering`` (default "-created", a field these models do not have)."""

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """Lists and retrieves only what the requesting user may see; anything else is 404.
    Lists are cursor-paginated by ``ordering`` (a unique field, so pages are stable)."""

    ordering = "id"
    pagination_class = ViewOrderedCursorPagination

    def get_queryset(self):
        return visible_to(self.request.user, self.queryset)
