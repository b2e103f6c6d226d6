from django.urls import include, path

from tickets import views

from . import export_views

app_name = "audits"
urlpatterns = [
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/import/", views.ticket_import, name="ticket_import"),
    path("tickets/import/<int:pk>/", views.ticket_import_status, name="ticket_import_status"),
    path(
        "tickets/import/<int:pk>/status.json",
        views.ticket_import_progress,
        name="ticket_import_progress",
    ),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("export.csv", export_views.audits_csv, name="export_csv"),
    path("export.xlsx", export_views.audits_xlsx, name="export_xlsx"),
    path("forms/", include("audit_forms.urls")),
    path("disputes/", include("audits.dispute_urls")),
    path("reaudits/", include("audits.reaudits.urls")),
    path("", include("audits.workspace_urls")),
]
