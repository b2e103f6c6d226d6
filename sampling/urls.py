"""Sampling's routes. The run page (``runs/<pk>/``, ``run_detail``) and the planner page
(``planner/``, whose AI-assisted panel measures a model on audits) read the audits, so they live
in ``audits.run_urls``; ``qa_program.urls`` composes both under the ``sampling`` namespace."""

from django.urls import path

from . import views

app_name = "sampling"
urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("planner/population.json", views.planner_population, name="planner_population"),
    path("planner/calculate.json", views.planner_calculate, name="planner_calculate"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/draw/", views.plan_draw, name="plan_draw"),
    path("runs/<int:pk>/status.json", views.run_status, name="run_status"),
]
