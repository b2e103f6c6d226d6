"""The ticket upload form (the import itself lives in ``tickets.importing``)."""

from pathlib import Path

from django import forms

from .models import TicketImport


class TicketImportForm(forms.ModelForm):
    """A CSV file and an optional default source. Rows are checked by the import, not
    here: the form only refuses what is plainly not a CSV file."""

    class Meta:
        model = TicketImport
        fields = ["file", "source"]
        labels = {"file": "CSV file", "source": "Source (optional)"}
        help_texts = {
            "file": "UTF-8, comma-separated, header on the first row.",
            "source": "The system the tickets come from, e.g. zendesk. Ticket ids are "
            "unique per source; rows with their own source column keep it.",
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in {".csv", ".txt"}:
            raise forms.ValidationError(f"{upload.name} is not a .csv file.")
        return upload
