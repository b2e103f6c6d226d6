"""The Celery round trip: an upload queued by the page is imported by a real worker."""

import time

import pytest
from django.urls import reverse

from accounts.progress import read_progress
from tests.tickets.conftest import good_row
from tickets.importing import PROGRESS_KIND
from tickets.models import Ticket, TicketImport

pytestmark = pytest.mark.celery_worker
WAIT_SECONDS = 60


def test_a_real_worker_imports_an_uploaded_file(
    live_celery_worker, client_as, manager, program, ticket_csv
):
    path = ticket_csv([good_row("T-1"), good_row("T-2", vendor="borealis", site="bogota")])
    client = client_as(manager)

    with path.open("rb") as file:
        response = client.post(reverse("audits:ticket_import"), {"file": file})

    upload = TicketImport.objects.get()
    assert response["Location"] == reverse("audits:ticket_import_status", args=[upload.pk])
    deadline = time.monotonic() + WAIT_SECONDS
    while not upload.finished and time.monotonic() < deadline:
        time.sleep(0.2)
        upload.refresh_from_db()
    assert upload.status == TicketImport.Status.SUCCEEDED, upload.report
    assert set(Ticket.objects.values_list("external_id", flat=True)) == {"T-1", "T-2"}
    page = client.get(response["Location"]).content.decode()
    assert "2 rows read; 2 new tickets" in page
    assert "tickets.tasks.import_ticket_file[" in live_celery_worker.log()  # not run in-process
    # The worker's last progress record, as the page polled it (it lapses after a while).
    record = read_progress(PROGRESS_KIND, upload.pk)
    assert (record.phase, record.done, record.total) == ("importing", 2, 2)
