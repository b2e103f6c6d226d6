from django.urls import path

from . import target_views, views

app_name = "vendors"
urlpatterns = [
    path("", views.vendor_list, name="vendor_list"),
    # Before "<slug:slug>/": "targets" is a page, not a vendor's slug.
    path("targets/", target_views.target_list, name="targets"),
    path("targets/new/", target_views.target_create, name="target_create"),
    path("targets/<int:pk>/", target_views.target_edit, name="target_edit"),
    path("workflows/", views.workflow_list, name="workflow_list"),
    path("workflows/<slug:slug>/", views.workflow_detail, name="workflow_detail"),
    path("<slug:slug>/", views.vendor_detail, name="vendor_detail"),
    path("<slug:vendor_slug>/sites/<slug:site_slug>/", views.site_detail, name="site_detail"),
    path("<slug:vendor_slug>/agents/<int:agent_pk>/", views.agent_detail, name="agent_detail"),
]
