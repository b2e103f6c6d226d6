from django.urls import path

from . import views

app_name = "audits"
urlpatterns = [
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("tickets/import/", views.ticket_import, name="ticket_import"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
]
