from django.urls import path

from . import reported_qa, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("themes/", views.themes, name="themes"),
    path("audits/", views.audit_list, name="audits"),
    path("audits/export.csv", views.audits_csv, name="audits_csv"),
    path("disputes/", views.dispute_list, name="disputes"),
    path("coaching/", views.coaching_list, name="coaching"),
    path("vendor-qa/", reported_qa.vendor_qa, name="vendor_qa"),
]
