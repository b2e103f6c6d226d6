"""URLs of the auditor workspace, included into the ``audits`` namespace under /audits/."""

from django.urls import path

from . import dispute_views
from . import workspace_views as views

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("queue/next/", views.queue_next, name="queue_next"),
    path("adhoc/", views.adhoc_audit, name="adhoc_audit"),
    path("<int:pk>/", views.audit_detail, name="audit_detail"),
    path("<int:pk>/score/", views.audit_score, name="audit_score"),
    path("<int:pk>/draft/", views.audit_draft, name="audit_draft"),
    path("<int:pk>/reopen/", views.audit_reopen, name="audit_reopen"),
    path("<int:pk>/finalise/", views.audit_finalise, name="audit_finalise"),
    path("<int:pk>/reassign/", views.audit_reassign, name="audit_reassign"),
    path("<int:pk>/skip/", views.audit_skip, name="audit_skip"),
    path("<int:pk>/dispute/", dispute_views.raise_dispute, name="audit_dispute"),
]
