"""The routes of the sampling pages that read audits: the run page (``audits.run_views``) and the
planner (``audits.planner_views``). ``qa_program.urls`` composes them with the routes of
``sampling.urls`` under the one ``sampling`` namespace, at the paths they always had."""

from django.urls import path

from . import planner_views
from . import run_views as views

urlpatterns = [
    path("planner/", planner_views.planner, name="planner"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
]
