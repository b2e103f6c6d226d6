"""The contract targets' routes. ``qa_program.urls`` puts them first in the ``vendors``
namespace, before the vendor pages of ``tickets.vendor_urls`` ("targets" is a page, not a
vendor's slug)."""

from django.urls import path

from accounts import vendor_sso_views

from . import target_views

urlpatterns = [
    path("targets/", target_views.target_list, name="targets"),
    path("targets/new/", target_views.target_create, name="target_create"),
    path("targets/<int:pk>/", target_views.target_edit, name="target_edit"),
    # A vendor's own IdP (accounts.vendor_sso): the sign-in concern lives in accounts.
    path("<slug:slug>/sign-in/", vendor_sso_views.vendor_sign_in_settings,
         name="vendor_sign_in"),
]
