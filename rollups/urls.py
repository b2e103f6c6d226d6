from django.urls import path

from . import views

app_name = "rollups"
urlpatterns = [
    path("rebuild/", views.rebuild_page, name="rebuild"),
    path("rebuild/status.json", views.rebuild_status, name="rebuild_status"),
    path("rebuild/now/", views.rebuild_now, name="rebuild_now"),
]
