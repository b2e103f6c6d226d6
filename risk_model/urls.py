from django.urls import path

from . import views

app_name = "risk_model"
urlpatterns = [
    path("", views.model_card, name="card"),
    path("v<int:version>/", views.version_card, name="version"),
    path("train/", views.train, name="train"),
    path("score/", views.score, name="score"),
    path("jobs/<int:pk>/status.json", views.job_status, name="job_status"),
]
