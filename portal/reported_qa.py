"""The portal's "Your QA" tab: the vendor's own reported QA against our audits, and the upload.

A vendor's POC and QA analysts upload their QA results here (``vendor_qa.importing``, always
for their own vendor: the portal's vendor is read through ``visible_to``) and see the same
comparison the QA team sees on the vendor's scorecard (``vendor_qa.comparison``), for their
vendor only.
"""

from __future__ import annotations

from django.shortcuts import render

from rollups.periods import PeriodInvalid
from vendor_qa import importing
from vendor_qa.comparison import compare
from vendor_qa.forms import PortalUploadForm
from vendor_qa.selectors import RECENT_UPLOADS, uploads_visible_to
from vendor_qa.views import upload_context

from .views import _query, tab_query, vendor_page

TEMPLATE = "portal/vendor_qa.html"


@vendor_page
def vendor_qa(request, vendor):
    """The comparison for the period in the query (and its workflow, if named); a POST
    uploads a CSV of the vendor's QA results."""
    form = PortalUploadForm(request.POST or None, request.FILES or None)
    report, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            report = importing.import_file(upload.open("rb"), user=request.user, vendor=vendor,
                                           file_name=upload.name)
            if report.ok:
                form = PortalUploadForm()
            else:
                status = 400
        else:
            status = 400
    context = {"vendor": vendor, "form": form, "report": report,
               **upload_context(request.user, uploads_visible_to(request.user, vendor)
                                [:RECENT_UPLOADS])}
    try:
        page_query = _query(request, vendor)
    except PeriodInvalid as error:
        return render(request, TEMPLATE, {**context, "error": str(error)}, status=400)
    context.update({
        "page_query": page_query, "query": page_query.url_query(),
        "vqa": compare(vendor, page_query.period, workflow=page_query.workflow,
                       confidence=page_query.confidence),
        "tab_query": tab_query(page_query), **page_query.period_context(),
    })
    return render(request, TEMPLATE, context, status=status)
