from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts import sso, vendor_sso_views
from audit_forms import api as audit_forms_api
from audits import api as audits_api
from audits import dispute_api
from audits import run_urls as run_pages
from calibration import api as calibration_api
from coaching import api as coaching_api
from sampling import urls as sampling_urls
from tickets import api as tickets_api
from tickets import vendor_urls as vendor_pages
from vendor_qa import api as vendor_qa_api
from vendors import api as vendors_api
from vendors import urls as vendor_targets

from .health import healthz
from .home import home

# Each app registers its own API endpoints on the one v1 router.
api_router = DefaultRouter()
for app_api in (vendors_api, tickets_api, audit_forms_api, audits_api, dispute_api, coaching_api,
                calibration_api, vendor_qa_api):
    app_api.register(api_router)

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    # Single sign-on's start and callback, ahead of allauth's own (same paths and names),
    # so they count against the login rate limit (accounts/sso.py).
    path("accounts/oidc/<str:provider_id>/login/", sso.login, name="openid_connect_login"),
    path("accounts/oidc/<str:provider_id>/login/callback/", sso.callback,
         name="openid_connect_callback"),
    # "Sign in with your company": a work email sends a vendor's person to their vendor's IdP.
    path("accounts/company/", vendor_sso_views.company_sign_in, name="company_sign_in"),
    path("accounts/", include("allauth.urls")),
    path("people/", include("accounts.urls")),
    # Vendor pages count tickets, so they live in tickets; targets stay in vendors. One
    # namespace, targets first ("targets" is a page, not a vendor's slug).
    path("vendors/", include((vendor_targets.urlpatterns + vendor_pages.urlpatterns, "vendors"))),
    path("audits/", include("audits.urls")),
    # The run page reads the audits, so it lives in audits; one namespace with sampling's.
    path("sampling/", include((sampling_urls.urlpatterns + run_pages.urlpatterns, "sampling"))),
    path("scorecards/", include("scorecards.urls")),
    path("coaching/", include("coaching.urls")),
    path("calibration/", include("calibration.urls")),
    path("risk-model/", include("risk_model.urls")),
    path("rollups/", include("rollups.urls")),
    path("vendor-qa/", include("vendor_qa.urls")),
    path("inbox/", include("notifications.urls")),
    path("integrations/webhooks/", include("webhooks.urls")),
    path("integrations/connectors/", include("connectors.urls")),
    path("portal/", include("portal.urls")),
    path("api/v1/", include(api_router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves Swagger UI's start-up script as a file, so the page needs no
    # inline script under the Content-Security-Policy.
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api_schema")),
         name="api_docs"),
    path("admin/", admin.site.urls),
]
