from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="endpoint_list"),
    path("<int:pk>/", views.endpoint_detail, name="endpoint_detail"),
    path("<int:pk>/secret/", views.endpoint_secret, name="endpoint_secret"),
    path("<int:pk>/deliveries/<int:delivery_pk>/replay/", views.delivery_replay,
         name="delivery_replay"),
]
