"""Re-audit pages, under /audits/reaudits/ in the ``audits`` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.alignment_list, name="reaudit_alignment"),
    path("auditors/<int:pk>/", views.auditor_alignment, name="reaudit_auditor"),
]
