from django.urls import path

from . import views

app_name = "coaching"
urlpatterns = [
    path("", views.action_list, name="action_list"),
    path("new/", views.action_new, name="action_new"),
    path("report/", views.report, name="report"),
    path("<int:pk>/", views.action_detail, name="action_detail"),
    path("<int:pk>/<slug:step>/", views.action_step, name="action_step"),
]
