"""The vendor pages' routes (``tickets.vendor_views``). ``qa_program.urls`` composes them with
the target routes of ``vendors.urls`` under the one ``vendors`` namespace, targets first:
"targets" is a page, not a vendor's slug."""

from django.urls import path

from . import vendor_views as views

urlpatterns = [
    path("", views.vendor_list, name="vendor_list"),
    path("workflows/", views.workflow_list, name="workflow_list"),
    path("workflows/<slug:slug>/", views.workflow_detail, name="workflow_detail"),
    path("<slug:slug>/", views.vendor_detail, name="vendor_detail"),
    path("<slug:vendor_slug>/sites/<slug:site_slug>/", views.site_detail, name="site_detail"),
    path("<slug:vendor_slug>/agents/<int:agent_pk>/", views.agent_detail, name="agent_detail"),
]
