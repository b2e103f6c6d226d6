"""Dispute URLs, included into the ``audits`` namespace under /audits/disputes/ (the POC's
form to raise one is per audit: ``audits:audit_dispute`` in workspace_urls)."""

from django.urls import path

from . import dispute_views as views

urlpatterns = [
    path("", views.dispute_queue, name="dispute_queue"),
    path("<int:pk>/", views.dispute_detail, name="dispute_detail"),
    path("attachments/<int:pk>/", views.dispute_attachment, name="dispute_attachment"),
]
