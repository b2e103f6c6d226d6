"""The run page's route (``audits.run_views``). ``qa_program.urls`` composes it with the
routes of ``sampling.urls`` under the one ``sampling`` namespace, at the path it always had."""

from django.urls import path

from . import run_views as views

urlpatterns = [
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
]
