"""The contract targets' routes. ``qa_program.urls`` puts them first in the ``vendors``
namespace, before the vendor pages of ``tickets.vendor_urls`` ("targets" is a page, not a
vendor's slug)."""

from django.urls import path

from . import target_views

urlpatterns = [
    path("targets/", target_views.target_list, name="targets"),
    path("targets/new/", target_views.target_create, name="target_create"),
    path("targets/<int:pk>/", target_views.target_edit, name="target_edit"),
]
