"""The vendor-QA upload forms (the import itself is ``vendor_qa.importing``)."""

from pathlib import Path

from django import forms

from accounts.scoping import visible_to
from vendors.models import Vendor

# Django keeps uploads above FILE_UPLOAD_MAX_MEMORY_SIZE on disk; a vendor-QA file of
# MAX_ROWS rows is a few MB, so anything far larger is refused before a row is read.
MAX_FILE_BYTES = 20 * 1024 * 1024


def _checked_file(upload):
    if Path(upload.name).suffix.lower() not in {".csv", ".txt"}:
        raise forms.ValidationError(f"{upload.name} is not a .csv file.")
    if upload.size > MAX_FILE_BYTES:
        raise forms.ValidationError(
            f"{upload.name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it.")
    return upload


class PortalUploadForm(forms.Form):
    """A vendor user's upload: always for their own vendor."""

    file = forms.FileField(label="CSV file",
                           help_text="UTF-8, comma-separated, header on the first row.")

    def clean_file(self):
        return _checked_file(self.cleaned_data["file"])


class UploadForm(PortalUploadForm):
    """A QA lead's upload: for the vendor they choose."""

    vendor = forms.ModelChoiceField(queryset=Vendor.objects.none(), to_field_name="slug",
                                    label="Vendor")
    field_order = ["vendor", "file"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vendor"].queryset = visible_to(user, Vendor.objects.order_by("name"))
