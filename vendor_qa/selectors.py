"""What the vendor-QA pages list: uploads, through the scoping function."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.scoping import visible_to

from .models import VendorQAUpload

RECENT_UPLOADS = 20


def uploads_visible_to(user, vendor=None) -> QuerySet:
    """The uploads ``user`` may see (a vendor user: their vendor's), newest first."""
    uploads = visible_to(user, VendorQAUpload.objects.select_related("vendor", "uploaded_by"))
    if vendor is not None:
        uploads = uploads.filter(vendor=vendor)
    return uploads.order_by("-uploaded_at", "-pk")


def uploader_label(upload: VendorQAUpload, viewer) -> str:
    """Who sent an upload, as ``viewer`` may read it: vendor users see their own people's
    emails and "QA team" for ours (internal people are not named to vendors)."""
    person = upload.uploaded_by
    if person is None:
        return "–"
    if getattr(viewer, "is_internal", False) or person.is_vendor_user:
        return person.email
    return "QA team"
