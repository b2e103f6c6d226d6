from django.urls import path

from . import views

app_name = "vendor_qa"
urlpatterns = [
    path("", views.upload, name="upload"),
]
