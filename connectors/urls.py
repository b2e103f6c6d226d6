from django.urls import path

from . import views

app_name = "connectors"

urlpatterns = [
    path("", views.connector_list, name="connector_list"),
    path("<int:pk>/pull/", views.connector_pull, name="connector_pull"),
]
