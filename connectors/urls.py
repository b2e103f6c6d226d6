from django.urls import path

from . import views

app_name = "connectors"

urlpatterns = [
    path("", views.connector_list, name="connector_list"),
    path("new/", views.connector_new, name="connector_new"),
    path("<int:pk>/", views.connector_edit, name="connector_edit"),
    path("<int:pk>/pull/", views.connector_pull, name="connector_pull"),
]
