"""The QA team's vendor-QA page: upload a vendor's reported QA and see what came in.

Thin: the import is ``vendor_qa.importing``; the comparison is shown on the vendor's
scorecard (``scorecards``) and in the partner portal (``portal``), which read
``vendor_qa.comparison``.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from accounts.decorators import internal_page

from . import importing
from .forms import UploadForm
from .rows import KINDS
from .selectors import RECENT_UPLOADS, uploader_label, uploads_visible_to

TEMPLATE = "vendor_qa/upload.html"


def manager_page(view):
    """Vendor users get 404 (the page does not exist for them; theirs is in the portal);
    internal people who are not managers 403."""

    @wraps(view)
    @internal_page
    def wrapped(request, *args, **kwargs):
        if not request.user.is_manager:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def upload_context(user, uploads) -> dict:
    return {
        "kinds": {kind.value: columns for kind, columns in KINDS.items()},
        "uploads": [(upload, uploader_label(upload, user)) for upload in uploads],
        "max_rows": importing.MAX_ROWS,
    }


@manager_page
def upload(request):
    """Upload a vendor's QA results (per ticket or weekly rates) for the chosen vendor; the
    report says what was imported or, row by row, why nothing was."""
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    report, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            vendor, upload_file = form.cleaned_data["vendor"], form.cleaned_data["file"]
            report = importing.import_file(upload_file.open("rb"), user=request.user,
                                           vendor=vendor, file_name=upload_file.name)
            if report.ok:
                form = UploadForm(user=request.user, initial={"vendor": vendor.slug})
            else:
                status = 400
        else:
            status = 400
    uploads = uploads_visible_to(request.user)[:RECENT_UPLOADS]
    return render(request, TEMPLATE, {"form": form, "report": report,
                                      **upload_context(request.user, uploads)}, status=status)
