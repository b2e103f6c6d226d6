"""The one scoping function: what of the program's data a user may see.

Every view, API endpoint and export that can reach vendor data filters through
``visible_to``. Models say how they belong to a vendor with a ``vendor_path`` class
attribute (the lookup from the model to its Vendor's primary key, e.g. ``"vendor"`` or
``"ticket__vendor"``); ``None`` marks shared reference data such as workflows, and
``internal_only = True`` marks data vendors never see (calibration, internal notes).

Fetching one object through ``get_object_or_404(visible_to(user, qs), ...)`` is what makes
a guessed id of another vendor's object answer 404 rather than 403: the object does not
exist for that user.
"""

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet


def visible_to(user, queryset: QuerySet) -> QuerySet:
    """Narrow ``queryset`` to the rows ``user`` may see.

    Internal staff (program managers, auditors, admins) see everything. A vendor POC sees
    only rows of their own vendor, no internal-only rows, and shared reference data.
    Anyone else (anonymous, inactive, no role) sees nothing.
    """
    model = queryset.model
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if user.is_internal:
        return queryset
    if not user.is_vendor_user or user.vendor_id is None:
        return queryset.none()
    if getattr(model, "internal_only", False):
        return queryset.none()
    if not hasattr(model, "vendor_path"):
        raise ImproperlyConfigured(
            f"{model.__name__} has no vendor_path: say how it belongs to a vendor "
            "(or None for shared reference data) before showing it to vendor users."
        )
    if model.vendor_path is None:
        return queryset
    return queryset.filter(**{model.vendor_path: user.vendor_id})
