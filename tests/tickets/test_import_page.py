"""A program manager uploads a ticket CSV and reads the same report the command prints."""

import pytest
from django.urls import reverse

from tests.tickets.conftest import good_row
from tickets.importing import import_tickets_from_path as import_file
from tickets.models import Ticket, TicketImport

UPLOAD = reverse("audits:ticket_import")


def upload(client, path, django_capture_on_commit_callbacks, **data):
    """Post the file as the browser form does (the task is queued when the upload commits
    and runs eagerly), then open the upload's page as the redirect says."""
    with path.open("rb") as file, django_capture_on_commit_callbacks(execute=True):
        response = client.post(UPLOAD, {"file": file, **data})
    assert response.status_code == 302
    return client.get(response["Location"])


@pytest.mark.parametrize("who", ["auditor", "poc_a"])
def test_only_managers_may_open_the_upload_page(request, client_as, who):
    client = client_as(request.getfixturevalue(who))

    assert client.get(UPLOAD).status_code == 403
    assert client.post(UPLOAD, {}).status_code == 403


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get(UPLOAD)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_upload_page_explains_the_columns(client_as, manager):
    page = client_as(manager).get(UPLOAD).content.decode()

    assert "external_id,vendor,site,agent,workflow,handled_at,decision" in page
    assert "counting the header as row 1" in page
    assert 'enctype="multipart/form-data"' in page


def test_a_manager_uploads_tickets_and_sees_them_counted_by_vendor(
    client_as, manager, program, ticket_csv, media_root, django_capture_on_commit_callbacks
):
    path = ticket_csv(
        [
            good_row("T-1"),
            good_row("T-2", agent="ag-2"),
            good_row("T-3", vendor="borealis", site="bogota"),
        ]
    )

    client = client_as(manager)
    response = upload(client, path, django_capture_on_commit_callbacks, source="zendesk")

    batch = TicketImport.objects.get()
    assert response.request["PATH_INFO"] == reverse("audits:ticket_import_status", args=[batch.pk])
    assert (batch.status, batch.created_count, batch.agents_created) == ("succeeded", 3, 3)
    assert batch.uploaded_by == manager and batch.original_name == path.name
    page = response.content.decode()
    assert "3 rows read; 3 new tickets, 0 already present; 3 agents created." in page
    assert 'data-vendor-tickets="acme">2<' in page
    assert 'data-vendor-tickets="borealis">1<' in page
    assert reverse("vendors:vendor_list") in page
    assert set(Ticket.objects.values_list("source", flat=True)) == {"zendesk"}


def test_uploading_the_same_file_again_reports_it_already_present(
    client_as, manager, program, ticket_csv, media_root, django_capture_on_commit_callbacks
):
    path = ticket_csv([good_row("T-1"), good_row("T-2")])
    client = client_as(manager)
    upload(client, path, django_capture_on_commit_callbacks)

    response = upload(client, path, django_capture_on_commit_callbacks)

    assert "0 new tickets, 2 already present" in response.content.decode()
    assert Ticket.objects.count() == 2


def test_a_bad_file_shows_the_same_report_as_the_command_and_writes_nothing(
    client_as, manager, program, ticket_csv, media_root, django_capture_on_commit_callbacks
):
    path = ticket_csv(
        [
            good_row("T-1"),
            good_row("T-1", site="bogota"),
            good_row("T-3", handled_at="2026-13-01T00:00:00"),
        ]
    )
    command_report = import_file(path)

    response = upload(client_as(manager), path, django_capture_on_commit_callbacks)

    page = response.content.decode()
    assert TicketImport.objects.get().status == "rejected"
    for line in command_report.lines()[1:]:
        assert line.replace("'", "&#x27;") in page
    quoted = page.replace("&#x27;", "'")
    assert "row 3, field site: site 'bogota' belongs to vendor 'borealis', not 'acme'" in quoted
    assert "row 3, field external_id: 'T-1' already appears in row 2" in quoted
    assert "3 problems in 2 rows of 3; nothing was imported." in page
    assert Ticket.objects.count() == 0


def test_a_file_that_is_not_csv_is_refused_by_the_form(client_as, manager, tmp_path, media_root):
    path = tmp_path / "tickets.xlsx"
    path.write_bytes(b"PK\x03\x04")

    with path.open("rb") as file:
        response = client_as(manager).post(UPLOAD, {"file": file})

    assert response.status_code == 200
    assert "tickets.xlsx is not a .csv file." in response.content.decode()
    assert not TicketImport.objects.exists()


def test_a_queued_upload_page_refreshes_until_the_worker_is_done(client_as, manager, media_root):
    batch = TicketImport.objects.create(file="ticket_imports/x.csv", original_name="x.csv")

    status_page = reverse("audits:ticket_import_status", args=[batch.pk])
    page = client_as(manager).get(status_page).content.decode()

    assert '<meta http-equiv="refresh"' in page
    assert "Waiting for a worker" in page


def test_the_import_task_runs_once_for_a_finished_upload(
    client_as, manager, program, ticket_csv, media_root, django_capture_on_commit_callbacks
):
    from tickets.tasks import import_ticket_file as task

    upload(client_as(manager), ticket_csv([good_row("T-1")]), django_capture_on_commit_callbacks)
    batch = TicketImport.objects.get()
    finished_at = batch.finished_at

    assert task.delay(batch.pk).get() == "succeeded"
    batch.refresh_from_db()
    assert batch.finished_at == finished_at and Ticket.objects.count() == 1


def test_an_import_that_stops_on_an_error_says_so(client_as, manager, media_root):
    from tickets.importing import run_ticket_import

    batch = TicketImport.objects.create(file="ticket_imports/gone.csv", original_name="gone.csv")

    with pytest.raises(FileNotFoundError):
        run_ticket_import(batch.pk)

    batch.refresh_from_db()
    assert batch.status == "error" and "FileNotFoundError" in batch.report["failure"]
    page = client_as(manager).get(reverse("audits:ticket_import_status", args=[batch.pk]))
    assert "The import stopped before finishing and wrote nothing" in page.content.decode()


def test_uploads_are_listed_read_only_in_the_admin(db, client_as, media_root):
    from accounts.models import Role
    from tests.factories import UserFactory

    admin = UserFactory(
        email="admin@example.com", role=Role.ADMIN, is_staff=True, is_superuser=True
    )
    batch = TicketImport.objects.create(file="ticket_imports/x.csv", original_name="x.csv")
    client = client_as(admin)

    assert "x.csv" in client.get(reverse("admin:tickets_ticketimport_changelist")).content.decode()
    change = client.get(reverse("admin:tickets_ticketimport_change", args=[batch.pk]))
    assert change.status_code == 200 and 'name="status"' not in change.content.decode()
    assert client.get(reverse("admin:tickets_ticketimport_add")).status_code == 403
