"""Every URL of the project, asked for vendor B's objects by someone who may not see them.

The walk takes every pattern Django resolves (allauth, the DRF router, the admin included),
fills its parameters from RULES with the ids and slugs of vendor B's objects (and of
internal ones: plans, runs, forms, uploads), and requests it with GET and with an empty
POST, as an anonymous visitor and as vendor A's POC (TOTP enrolled) — A's POC also asking
for DRF's browsable API (``?format=api``) and for HTML (``Accept: text/html``), which no
API route may serve a vendor user. Anonymous visitors
must be sent to a login page or refused (401/403); A's POC must get what RULES says
(404 for another vendor's object, 403/404 for internal sections, 405 for a method a view
does not take, or a scoped page), and nothing either of them receives may name vendor B
or carry internal data. A pattern without a rule fails the build: a new URL needs a
security decision before it ships.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client

from tests.audits import reaudit_security_fills as reaudit_fills
from tests.calibration import security_fills as calibration_fills
from tests.coaching import security_fills as coaching_fills
from tests.connectors import security_fills as connector_fills
from tests.factories import sign_in
from tests.security_fixtures import (
    FINALISE_REASON_A,
    INTERNAL_NOTE_A,
    Expect,
    World,
    admin_fill,
    all_routes,
    problem_with,
    uidb36,
    url_of,
)
from tests.webhooks import security_fills as webhook_fills

pytestmark = [pytest.mark.django_db, pytest.mark.slow(seconds=25)]


LOGIN = Expect("login", frozenset({302, 401, 403}), ("/accounts/login/",))
ADMIN_LOGIN = Expect("admin login", frozenset({302}), ("/admin/login/",))
ADMIN_HOME = Expect("back to the admin (and so its login)", frozenset({302}), ("/admin/",))
NOT_FOUND = Expect("404", frozenset({404}))
FORBIDDEN = Expect("403", frozenset({403}))
POST_ONLY = Expect("405", frozenset({405}))
# A page whose rows are scoped to the viewer (lists, shared reference data, one's own
# account): it may answer, but the body check below still applies to it.
SCOPED = Expect("scoped page", frozenset({200}))
# allauth's account pages answer a logged-in user with the page, a form error or a
# redirect to a next step (home, reauthentication); none carries program data.
ACCOUNT = Expect("account page", frozenset({200, 302, 400, 404}), ("/", "/accounts/"))
PUBLIC = Expect("public", frozenset({200, 302, 400, 404}), ("/", "/accounts/", "/admin/"))
# allauth's single sign-on error notice answers 401; its old /accounts/social/ paths, 301.
SSO_FAILED = Expect("SSO error notice", frozenset({401}))
MOVED = Expect("moved to /accounts/3rdparty/", frozenset({301}), ("/accounts/3rdparty/",))

Fill = Callable[[World], list[dict]]


@dataclass(frozen=True)
class Rule:
    """What each role gets from one route, per method, and how to fill its parameters.

    ``poc`` (and ``anon``) is one Expect for both methods or a (GET, POST) pair. ``fill``
    returns the parameter sets to try (each may carry a "?query" dict: the query string
    of the GET and the form body of the POST; without one the POST is empty); ``reason`` is
    required for public routes and for anything a vendor POC may read.
    """

    poc: Expect | tuple[Expect, Expect]
    anon: Expect | tuple[Expect, Expect] = LOGIN
    fill: Fill = field(default=lambda w: [{}])
    reason: str = ""

    def expected(self, role: str, method: str) -> Expect:
        value = self.poc if role == "poc" else self.anon
        if isinstance(value, tuple):
            return value[0] if method == "GET" else value[1]
        return value


def public(reason: str, poc: Expect = ACCOUNT, fill: Fill | None = None) -> Rule:
    return Rule(poc=poc, anon=PUBLIC, fill=fill or (lambda w: [{}]), reason=reason)


def account(fill: Fill | None = None) -> Rule:
    """An allauth page about the logged-in user's own account."""
    return Rule(poc=ACCOUNT, fill=fill or (lambda w: [{}]), reason="the POC's own account")


# ----- parameter fills: vendor B's objects, and mixed A/B pairs for nested routes --------


def b_vendor(w):
    return [{"slug": w.b.vendor.slug}]


def b_site(w):
    return [
        {"vendor_slug": v, "site_slug": w.b.site.slug} for v in (w.b.vendor.slug, w.a.vendor.slug)
    ] + [{"vendor_slug": w.b.vendor.slug, "site_slug": w.a.site.slug}]


def b_agent(w):
    return [
        {"vendor_slug": v, "agent_pk": w.b.agents[0].pk} for v in (w.b.vendor.slug, w.a.vendor.slug)
    ] + [{"vendor_slug": w.b.vendor.slug, "agent_pk": w.a.agents[0].pk}]


def b_service(w):
    """A service account bound to vendor B, with one token (made on first use)."""
    if getattr(w, "b_service", None) is None:
        from accounts.service_accounts import create_service_account, issue_token

        w.b_service = create_service_account("Borealis sync", "tickets:read", vendor=w.b.vendor)
        issue_token(w.b_service)
    return w.b_service


def workflow_slug(w):
    return [{"slug": w.workflow.slug}]


def b_tickets(w):
    return [{"pk": t.pk} for t in w.b.tickets]


def upload(w):
    return [{"pk": w.ticket_import.pk}]


def version(w):
    return [{"pk": w.version.pk}]


def form_slug(w):
    return [{"slug": w.version.form.slug}]


def section(w):
    return [{"pk": w.version.sections.first().pk}]


def question(w):
    return [{"pk": w.version.sections.first().questions.first().pk}]


def choice(w):
    return [{"pk": w.version.sections.last().questions.last().choices.first().pk}]


def category(w):
    return [{"pk": w.category.pk}]


def part(w):
    return [{"part": "sections", "pk": section(w)[0]["pk"], "action": "up"}]


def plan(w):
    return [{"pk": w.run.plan.pk}]


def run(w):
    return [{"pk": w.run.pk}] + reaudit_fills.reaudit_run(w)


def hidden_audits(w):
    """Every audit of B (each status, final ones included), A's unfinalised one and a re-audit
    of A's final one (internal: it grades our auditor, not A)."""
    return [{"pk": a.pk} for a in w.b.audits.values()] + [
        {"pk": w.a.audits["submitted"].pk}] + reaudit_fills.reaudits(w)


def ticket_queries(w):
    b = w.b
    return [
        {},
        {"?query": {"vendor": b.vendor.slug}},
        {"?query": {"q": b.tickets[0].external_id}},
        {"?query": {"q": str(b.tickets[0].pk)}},
    ]


def api_pk(objects):
    return lambda w: [{"pk": o.pk} for o in objects(w)]


def api_list(*filters):
    return lambda w: [{}] + [{"?query": f(w)} for f in filters]


def by_b_vendor(w):
    return {"vendor": w.b.vendor.pk}


def _b_dispute(w):
    """An open dispute of B's final audit with an attachment (made once per world; the
    file name is stored without writing a file: the scoped lookup answers before it)."""
    from audits.models import Dispute, DisputedQuestion

    dispute, made = Dispute.objects.get_or_create(
        audit=w.b.audits["final"],
        status="open",
        defaults={"raised_by": w.b.poc, "due_at": w.b.audits["final"].finalised_at},
    )
    if made:
        DisputedQuestion.objects.create(
            dispute=dispute,
            question_key="tone",
            reason=f"{w.b.vendor.name} disagrees",
            attachment="dispute_attachments/security-walk.txt",
            attachment_name="b.txt",
        )
    return dispute


def _b_vendor_qa(w):
    """Vendor B's reported QA (an upload whose file name names B, a ticket verdict and a
    weekly rate), made once per world."""
    import datetime as dt

    from django.utils import timezone

    from vendor_qa.models import VendorQAUpload, VendorRate, VendorTicketResult

    now = timezone.now()
    upload, _ = VendorQAUpload.objects.get_or_create(
        vendor=w.b.vendor, kind="tickets",
        defaults={"file_name": f"{w.b.vendor.slug}-qa.csv", "rows": 2, "uploaded_by": w.b.poc},
    )
    result, _ = VendorTicketResult.objects.get_or_create(
        ticket=w.b.tickets[0],
        defaults={"vendor": w.b.vendor, "passed": True, "upload": upload, "reported_at": now},
    )
    rate, _ = VendorRate.objects.get_or_create(
        vendor=w.b.vendor, workflow=w.workflow, week=dt.date(2026, 3, 9),
        defaults={"audited": 10, "passed": 9, "upload": upload, "reported_at": now},
    )
    return result, rate


def vendor_qa_queries(w):
    """B's id and B's ticket as filters (GET: an empty list) and as a POST body naming B
    (404) or sending no rows for A (400)."""
    result, _ = _b_vendor_qa(w)
    return [
        {},
        {"?query": {"vendor": w.b.vendor.pk}},
        {"?query": {"ticket": result.ticket.external_id}},
    ]


# Raising a dispute over the API: an empty body is a 400 naming the missing fields, a body
# naming B's audit a 404 (the audit does not exist for A).
BAD_BODY_OR_NOT_FOUND = Expect("400 or 404", frozenset({400, 404}))
INTERNAL = NOT_FOUND  # sampling and form-builder pages do not exist for vendor users
API_LIST_REASON = "a list through visible_to: vendor A's rows only"
EXPORT_REASON = (
    "audits_visible_to: vendor A's final audits only, no internal notes, "
    "no auditor emails; B's vendor/site ids give an empty file"
)

RULES: dict[str, Rule] = {
    # --- home, health, people ---
    "": Rule(poc=Expect("own portal", frozenset({302}), ("/portal/",))),
    "healthz": public("load balancer probe: database and broker reachability, no data", poc=SCOPED),
    "people/invite/": Rule(poc=FORBIDDEN),
    # the People pages are for program managers: they do not exist for vendor users
    "people/": Rule(poc=NOT_FOUND, fill=lambda w: [{}, {"?query": {"role": "vendor_poc"}}]),
    "people/<int:pk>/": Rule(
        poc=NOT_FOUND,
        fill=lambda w: [{"pk": w.b.poc.pk, "?query": {"role": "auditor"}}, {"pk": w.a.poc.pk}],
    ),
    "people/<int:pk>/active/": Rule(
        poc=NOT_FOUND, fill=lambda w: [{"pk": w.b.poc.pk, "?query": {"active": "no"}}]
    ),
    "people/<int:pk>/invitation/": Rule(poc=NOT_FOUND, fill=lambda w: [{"pk": w.b.poc.pk}]),
    # service accounts are managed by program managers only
    "people/service-accounts/": Rule(
        poc=NOT_FOUND, fill=lambda w: [{"?query": {"name": "x", "scopes": "tickets:read"}}]),
    "people/service-accounts/<int:pk>/tokens/": Rule(
        poc=NOT_FOUND,
        fill=lambda w: [{"pk": b_service(w).pk, "?query": {"expires_days": "30"}}]),
    "people/service-accounts/<int:pk>/tokens/<int:token_pk>/revoke/": Rule(
        poc=NOT_FOUND,
        fill=lambda w: [{"pk": b_service(w).pk, "token_pk": b_service(w).tokens.get().pk}]),
    "people/service-accounts/<int:pk>/deactivate/": Rule(
        poc=NOT_FOUND, fill=lambda w: [{"pk": b_service(w).pk}]),
    # outbound webhooks are managed by program managers only (an endpoint bound to vendor B
    # included: it is internal configuration, not vendor data)
    "integrations/webhooks/": Rule(poc=NOT_FOUND, fill=webhook_fills.list_queries),
    "integrations/webhooks/<int:pk>/": Rule(poc=NOT_FOUND, fill=webhook_fills.endpoint),
    "integrations/webhooks/<int:pk>/secret/": Rule(poc=NOT_FOUND, fill=webhook_fills.endpoint),
    "integrations/webhooks/<int:pk>/deliveries/<int:delivery_pk>/replay/": Rule(
        poc=NOT_FOUND, fill=webhook_fills.deliveries),
    # help desk connectors likewise (one bound to vendor B included)
    "integrations/connectors/": Rule(poc=NOT_FOUND, fill=connector_fills.list_page),
    "integrations/connectors/new/": Rule(poc=NOT_FOUND),
    "integrations/connectors/<int:pk>/": Rule(poc=NOT_FOUND, fill=connector_fills.connector),
    "integrations/connectors/<int:pk>/pull/": Rule(poc=NOT_FOUND, fill=connector_fills.connector),
    # the built-in risk model's card (risk_model/views.py): QA staff read it, managers queue
    # training and scoring; vendor users 404 (the model does not exist for them)
    "risk-model/": Rule(poc=NOT_FOUND),
    "risk-model/v<int:version>/": Rule(poc=NOT_FOUND, fill=lambda w: [{"version": 1}]),
    "risk-model/train/": Rule(poc=NOT_FOUND),
    "risk-model/score/": Rule(poc=NOT_FOUND),
    "risk-model/jobs/<int:pk>/status.json": Rule(poc=NOT_FOUND, fill=lambda w: [{"pk": 1}]),
    # the rollup rebuild's page and status (rollups/views.py): internal, vendor users 404
    "rollups/rebuild/": Rule(poc=NOT_FOUND),
    "rollups/rebuild/status.json": Rule(poc=NOT_FOUND),
    "rollups/rebuild/now/": Rule(poc=NOT_FOUND),
    # --- allauth ---
    "accounts/login/": public("the login page"),
    "accounts/logout/": public("logging out needs no login"),
    "accounts/inactive/": public("allauth's 'account inactive' notice"),
    "accounts/signup/": public("sign-up is closed (InviteOnlyAccountAdapter): a notice"),
    "accounts/reauthenticate/": account(),
    "accounts/reauthenticate/code/": account(),  # allauth 65.22: reauthenticate by emailed code
    "accounts/reauthenticate/code/confirm/": account(),
    "accounts/email/": account(),
    "accounts/confirm-email/": public("allauth's 'check your inbox' notice"),
    "accounts/password/change/": account(),
    "accounts/password/set/": account(),
    "accounts/password/reset/": public("password reset request"),
    "accounts/login/code/confirm/": public("login-by-code step (off: redirects to login)"),
    r"accounts/^confirm-email/(?P<key>[-:\w]+)/$": public(
        "email confirmation link; a guessed key shows an 'invalid link' page",
        fill=lambda w: [{"key": "MQ:guessed-key"}],
    ),
    "accounts/password/reset/key/done/": public("password-reset confirmation notice"),
    r"accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": public(
        "password reset link; B's POC's uid with a guessed key is a 'bad token' page",
        fill=lambda w: [{"uidb36": uidb36(w.b.poc.pk), "key": "set-password"}],
    ),
    "accounts/password/reset/done/": public("password reset 'email sent' notice"),
    "accounts/2fa/": account(),
    "accounts/2fa/authenticate/": public("TOTP step of login (needs a pending login)"),
    "accounts/2fa/reauthenticate/": account(),
    "accounts/2fa/totp/activate/": account(),
    "accounts/2fa/totp/deactivate/": account(),
    "accounts/2fa/recovery-codes/": account(),
    "accounts/2fa/recovery-codes/generate/": account(),
    "accounts/2fa/recovery-codes/download/": account(),
    # --- single sign-on (allauth.socialaccount, OpenID Connect; accounts/sso.py) ---
    # 404 unless QA_OIDC_* configure an IdP (not in this walk); tests/accounts/test_sso.py
    # covers the configured flow. Vendor users are refused there.
    "accounts/oidc/<str:provider_id>/login/": public(
        "SSO start (rate-limited): 404 without an IdP, else a redirect to the IdP",
        fill=lambda w: [{"provider_id": "sso"}, {"provider_id": f"vendor-{w.b.vendor.pk}"}]),
    "accounts/oidc/<str:provider_id>/login/callback/": public(
        "SSO callback (rate-limited): 404 without an IdP, else checks state and code",
        fill=lambda w: [{"provider_id": "sso"}, {"provider_id": f"vendor-{w.b.vendor.pk}"}]),
    # a vendor's own IdP (accounts/vendor_sso.py; tests/accounts/test_vendor_sso.py): the
    # email form is public, the IdP settings are managers' (vendor users: 404, own vendor too)
    "accounts/company/": public(
        "company sign-in: a work email's domain picks a vendor's IdP (rate-limited)",
        fill=lambda w: [{}, {"?query": {"email": "someone@borealis.example"}}]),
    # allauth's own copies of the two above, shadowed by them in qa_program/urls.py (same
    # paths and names) and so unreachable: nothing to request.
    r"accounts/oidc/^(?P<provider_id>[^/]+)/login/": public(
        "shadowed by the rate-limited SSO start", fill=lambda w: []),
    r"accounts/oidc/^(?P<provider_id>[^/]+)/login/callback/": public(
        "shadowed by the rate-limited SSO callback", fill=lambda w: []),
    "accounts/3rdparty/": account(),  # one's own SSO connections
    "accounts/3rdparty/login/cancelled/": public("allauth's 'SSO login cancelled' notice"),
    "accounts/3rdparty/login/error/": Rule(poc=SSO_FAILED, anon=SSO_FAILED,
                                           reason="allauth's 'SSO login failed' notice"),
    "accounts/3rdparty/signup/": public("SSO sign-up step; needs a pending SSO login"),
    # allauth's old /accounts/social/ addresses: permanent redirects to /accounts/3rdparty/.
    **{f"accounts/social/{tail}": Rule(poc=MOVED, anon=MOVED, reason="a redirect, no data")
       for tail in ("connections/", "login/cancelled/", "login/error/", "signup/")},
    # --- vendors ---
    "vendors/": Rule(poc=SCOPED, reason="vendor list through visible_to: only Acme"),
    "vendors/workflows/": Rule(poc=SCOPED, reason="workflows are shared reference data"),
    "vendors/workflows/<slug:slug>/": Rule(
        poc=SCOPED,
        fill=workflow_slug,
        reason="shared workflow; its 'vendors working it' list is scoped",
    ),
    "vendors/<slug:slug>/": Rule(poc=NOT_FOUND, fill=b_vendor),
    "vendors/<slug:slug>/sign-in/": Rule(
        poc=NOT_FOUND, fill=lambda w: [{"slug": w.b.vendor.slug}, {"slug": w.a.vendor.slug}]),
    "vendors/<slug:vendor_slug>/sites/<slug:site_slug>/": Rule(poc=NOT_FOUND, fill=b_site),
    "vendors/<slug:vendor_slug>/agents/<int:agent_pk>/": Rule(poc=NOT_FOUND, fill=b_agent),
    # contract targets are edited by managers only: the pages do not exist for vendor users
    "vendors/targets/": Rule(
        poc=NOT_FOUND, fill=lambda w: [{}, {"?query": {"vendor": w.b.vendor.slug}}]
    ),
    "vendors/targets/new/": Rule(
        poc=NOT_FOUND,
        fill=lambda w: [{}, {"?query": {"vendor": w.b.vendor.pk, "target_percent": "10"}}],
    ),
    "vendors/targets/<int:pk>/": Rule(
        poc=NOT_FOUND, fill=lambda w: [{"pk": w.b.target.pk}, {"pk": w.a.target.pk}]
    ),
    # --- tickets and imports ---
    "audits/tickets/": Rule(
        poc=SCOPED, fill=ticket_queries, reason="ticket list through visible_to, filters included"
    ),
    "audits/tickets/import/": Rule(poc=FORBIDDEN),
    "audits/tickets/import/<int:pk>/": Rule(poc=FORBIDDEN, fill=upload),
    "audits/tickets/import/<int:pk>/status.json": Rule(poc=FORBIDDEN, fill=upload),
    "audits/tickets/<int:pk>/": Rule(poc=NOT_FOUND, fill=b_tickets),
    # --- audit list exports (GET only; POST is 405 for everyone) ---
    "audits/export.csv": Rule(
        poc=(SCOPED, POST_ONLY),
        anon=(LOGIN, POST_ONLY),
        reason=EXPORT_REASON,
        fill=api_list(
            by_b_vendor, lambda w: {"site": w.b.site.pk}, lambda w: {"status": "submitted"}
        ),
    ),
    "audits/export.xlsx": Rule(
        poc=(SCOPED, POST_ONLY),
        anon=(LOGIN, POST_ONLY),
        reason=EXPORT_REASON,
        fill=api_list(by_b_vendor, lambda w: {"site": w.b.site.pk}),
    ),
    # --- the form builder (internal) ---
    "audits/forms/": Rule(poc=INTERNAL),
    "audits/forms/new/": Rule(poc=INTERNAL),
    "audits/forms/import/": Rule(poc=INTERNAL),
    "audits/forms/categories/": Rule(poc=INTERNAL),
    "audits/forms/categories/<int:pk>/toggle/": Rule(poc=INTERNAL, fill=category),
    "audits/forms/versions/<int:pk>/": Rule(poc=INTERNAL, fill=version),
    "audits/forms/versions/<int:pk>/export.json": Rule(poc=INTERNAL, fill=version),
    "audits/forms/versions/<int:pk>/publish/": Rule(poc=INTERNAL, fill=version),
    "audits/forms/versions/<int:pk>/retire/": Rule(poc=INTERNAL, fill=version),
    "audits/forms/versions/<int:pk>/discard/": Rule(poc=INTERNAL, fill=version),
    "audits/forms/versions/<int:pk>/settings/": Rule(poc=INTERNAL, fill=version),
    "audits/forms/versions/<int:pk>/sections/": Rule(poc=INTERNAL, fill=version),
    "audits/forms/sections/<int:pk>/": Rule(poc=INTERNAL, fill=section),
    "audits/forms/sections/<int:pk>/questions/": Rule(poc=INTERNAL, fill=section),
    "audits/forms/questions/<int:pk>/": Rule(poc=INTERNAL, fill=question),
    "audits/forms/questions/<int:pk>/choices/": Rule(poc=INTERNAL, fill=question),
    "audits/forms/choices/<int:pk>/": Rule(poc=INTERNAL, fill=choice),
    "audits/forms/<str:part>/<int:pk>/<str:action>/": Rule(poc=INTERNAL, fill=part),
    "audits/forms/<slug:slug>/": Rule(poc=INTERNAL, fill=form_slug),
    "audits/forms/<slug:slug>/edit/": Rule(poc=INTERNAL, fill=form_slug),
    "audits/forms/<slug:slug>/draft/": Rule(poc=INTERNAL, fill=form_slug),
    "audits/forms/<slug:slug>/import/": Rule(poc=INTERNAL, fill=form_slug),
    # --- the auditor workspace (internal) ---
    "audits/queue/": Rule(poc=FORBIDDEN),
    "audits/queue/next/": Rule(poc=(POST_ONLY, FORBIDDEN), anon=(POST_ONLY, LOGIN)),
    "audits/adhoc/": Rule(
        poc=FORBIDDEN, fill=lambda w: [{}, {"?query": {"q": w.b.tickets[0].external_id}}]
    ),
    "audits/<int:pk>/": Rule(poc=NOT_FOUND, fill=hidden_audits),
    "audits/<int:pk>/score/": Rule(poc=FORBIDDEN, fill=hidden_audits),
    "audits/<int:pk>/draft/": Rule(
        poc=(POST_ONLY, FORBIDDEN), anon=(POST_ONLY, LOGIN), fill=hidden_audits
    ),
    "audits/<int:pk>/reopen/": Rule(
        poc=(POST_ONLY, FORBIDDEN), anon=(POST_ONLY, LOGIN), fill=hidden_audits
    ),
    "audits/<int:pk>/finalise/": Rule(
        poc=(POST_ONLY, FORBIDDEN), anon=(POST_ONLY, LOGIN), fill=hidden_audits
    ),
    "audits/<int:pk>/reassign/": Rule(
        poc=(POST_ONLY, FORBIDDEN), anon=(POST_ONLY, LOGIN), fill=hidden_audits
    ),
    "audits/<int:pk>/skip/": Rule(
        poc=(POST_ONLY, FORBIDDEN), anon=(POST_ONLY, LOGIN), fill=hidden_audits
    ),
    # --- disputes (issue 6): B's dispute and attachment 404; the queue is internal ---
    "audits/<int:pk>/dispute/": Rule(poc=NOT_FOUND, fill=hidden_audits),
    "audits/disputes/": Rule(poc=NOT_FOUND),
    # --- re-audits (issue 13): the leads' alignment page and each auditor's are internal ---
    "audits/reaudits/": Rule(poc=FORBIDDEN, fill=lambda w: [{}, {"?query": {"days": "365"}}]),
    "audits/reaudits/auditors/<int:pk>/": Rule(poc=NOT_FOUND, fill=reaudit_fills.auditors),
    "audits/disputes/<int:pk>/": Rule(poc=NOT_FOUND, fill=lambda w: [{"pk": _b_dispute(w).pk}]),
    "audits/disputes/attachments/<int:pk>/": Rule(
        poc=NOT_FOUND, fill=lambda w: [{"pk": _b_dispute(w).questions.get().pk}]
    ),
    # --- sampling (internal) ---
    "sampling/": Rule(poc=INTERNAL),
    "sampling/planner/": Rule(poc=INTERNAL),
    "sampling/planner/population.json": Rule(poc=INTERNAL),
    "sampling/planner/calculate.json": Rule(poc=INTERNAL),
    "sampling/plans/new/": Rule(poc=INTERNAL),
    "sampling/plans/<int:pk>/": Rule(poc=INTERNAL, fill=plan),
    "sampling/plans/<int:pk>/edit/": Rule(poc=INTERNAL, fill=plan),
    "sampling/plans/<int:pk>/draw/": Rule(poc=INTERNAL, fill=plan),
    "sampling/runs/<int:pk>/": Rule(poc=INTERNAL, fill=run),
    "sampling/runs/<int:pk>/status.json": Rule(poc=INTERNAL, fill=run),
    # --- scorecards and dashboards (internal until the partner portal) ---
    "scorecards/": Rule(poc=INTERNAL, fill=lambda w: [{}, {"?query": {"format": "csv"}}]),
    "scorecards/vendors/<slug:vendor>/": Rule(
        poc=INTERNAL,
        fill=lambda w: [
            {"vendor": w.b.vendor.slug},
            {"vendor": w.a.vendor.slug},
            {"vendor": w.b.vendor.slug, "?query": {"format": "csv"}},
        ],
    ),
    "scorecards/trends/": Rule(
        poc=INTERNAL, fill=lambda w: [{}, {"?query": {"vendor": w.b.vendor.slug, "format": "csv"}}]
    ),
    "scorecards/gaps/": Rule(
        poc=INTERNAL, fill=lambda w: [{}, {"?query": {"vendor": w.b.vendor.slug, "format": "xlsx"}}]
    ),
    "scorecards/gaps/<slug:category>/audits/": Rule(
        poc=INTERNAL,
        fill=lambda w: [{"category": w.category.slug, "?query": {"vendor": w.b.vendor.slug}}],
    ),
    # model monitoring (scorecards/model_views.py): QA staff only, every vendor's tickets
    "scorecards/models/": Rule(
        poc=INTERNAL, fill=lambda w: [{}, {"?query": {"period": "month", "date": "2026-01-01"}}]
    ),
    # --- partner portal (issue 6): vendor POCs only, always their own vendor (visible_to);
    # a vendor parameter naming B is ignored, B's disputes and actions exist in every walk ---
    "portal/": Rule(
        poc=SCOPED,
        reason="the POC's own vendor's scorecard and trend (visible_to)",
        fill=lambda w: [
            {},
            {"?query": {"vendor": w.b.vendor.slug}},
            {"?query": {"vendor": w.b.vendor.slug, "format": "csv", "table": "breakdown"}},
            {"?query": {"format": "xlsx", "table": "weekly"}},
        ],
    ),
    "portal/themes/": Rule(
        poc=SCOPED,
        reason="the POC's own vendor's error themes (visible_to), by site",
        fill=lambda w: [
            {},
            {"?query": {"vendor": w.b.vendor.slug}},
            {"?query": {"format": "csv", "table": "breakdown"}},
        ],
    ),
    "portal/audits/": Rule(
        poc=SCOPED,
        reason="audits_visible_to: the POC's vendor's final audits only",
        fill=lambda w: [{}, {"?query": {"vendor": w.b.vendor.slug}}],
    ),
    "portal/audits/export.csv": Rule(
        poc=SCOPED,
        reason=EXPORT_REASON,
        fill=lambda w: [{}, {"?query": {"vendor": w.b.vendor.slug}}],
    ),
    "portal/disputes/": Rule(
        poc=SCOPED,
        reason="the POC's vendor's disputes (visible_to)",
        fill=lambda w: [{"?query": {"dispute": _b_dispute(w).pk}}],
    ),
    "portal/coaching/": Rule(
        poc=SCOPED,
        reason="the POC's vendor's coaching actions (visible_to)",
        fill=coaching_fills.list_queries,
    ),
    "portal/vendor-qa/": Rule(
        poc=(SCOPED, Expect("400: no file", frozenset({400}))),
        reason="the POC's own vendor's reported QA against ours and its uploads (visible_to); "
        "a vendor parameter naming B is ignored; uploads are always for the POC's own vendor",
        fill=lambda w: [
            {"?query": {"vendor": _b_vendor_qa(w)[0].vendor.slug}},
            {"?query": {"vendor": w.b.vendor.slug, "period": "month", "date": "2026-03-01"}},
        ],
    ),
    # --- vendor-reported QA: the QA team's upload page (vendor users upload in the portal) ---
    "vendor-qa/": Rule(poc=NOT_FOUND, fill=lambda w: [
        {"?query": {"vendor": _b_vendor_qa(w)[0].vendor.slug}}]),
    # --- coaching (vendor POCs: their own vendor's actions only; B's action is made by the
    # fills in tests/coaching/security_fills.py) ---
    "coaching/": Rule(
        poc=SCOPED,
        reason="the POC's own vendor's coaching actions (visible_to)",
        fill=coaching_fills.list_queries,
    ),
    "coaching/new/": Rule(poc=INTERNAL, fill=coaching_fills.new_queries),
    "coaching/report/": Rule(poc=INTERNAL),
    "coaching/<int:pk>/": Rule(poc=NOT_FOUND, fill=coaching_fills.detail),
    "coaching/<int:pk>/<slug:step>/": Rule(poc=NOT_FOUND, fill=coaching_fills.steps),
    # --- calibration (issue 13): vendor users reach only sessions they are invited to; B's
    # closed session (B's analyst's ratings, gold, a decision) is made by
    # tests/calibration/security_fills.py; the lead's pages do not exist for vendor users ---
    "calibration/": Rule(
        poc=SCOPED,
        reason="sessions through visible_to and the invitation: none of B's",
        fill=calibration_fills.list_queries,
    ),
    "calibration/new/": Rule(poc=NOT_FOUND),
    # Everyone's accuracy and drift, vendor analysts' included: QA leads only.
    "calibration/reliability/": Rule(poc=NOT_FOUND),
    "calibration/<int:pk>/": Rule(poc=NOT_FOUND, fill=calibration_fills.session),
    "calibration/<int:pk>/items/<int:item_pk>/score/": Rule(
        poc=NOT_FOUND, fill=calibration_fills.items
    ),
    "calibration/<int:pk>/items/<int:item_pk>/gold/": Rule(
        poc=NOT_FOUND, fill=calibration_fills.items
    ),
    "calibration/<int:pk>/questions/<slug:key>/": Rule(
        poc=(POST_ONLY, NOT_FOUND), anon=(POST_ONLY, LOGIN), fill=calibration_fills.question
    ),
    "calibration/<int:pk>/<slug:step>/": Rule(
        poc=(POST_ONLY, NOT_FOUND), anon=(POST_ONLY, LOGIN), fill=calibration_fills.steps
    ),
    # --- inbox (issue 6 notifications): personal, recipient = the user. The read fill makes
    # notifications naming vendor B for B's POC and the manager; none may ever show to A ---
    "inbox/<int:pk>/read/": Rule(
        poc=(POST_ONLY, NOT_FOUND),
        fill=lambda w: [
            {
                "pk": user.notifications.get_or_create(
                    event_key="security-walk",
                    defaults={
                        "kind": "finding",
                        "subject": f"{w.b.vendor.name}: {w.b.tickets[0].external_id}",
                        "body": w.b.site.name,
                        "link": "/audits/",
                    },
                )[0].pk
            }
            for user in (w.b.poc, w.manager)
        ],
    ),
    "inbox/": Rule(
        poc=SCOPED,
        fill=lambda w: [{}] * bool(RULES["inbox/<int:pk>/read/"].fill(w)),
        reason="the POC's own notifications only (recipient = request.user)",
    ),
    "inbox/read-all/": Rule(
        poc=(POST_ONLY, Expect("back to the inbox", frozenset({302}), ("/inbox/",))),
        fill=lambda w: [{}] * bool(RULES["inbox/<int:pk>/read/"].fill(w)),
        reason="marks the POC's own notifications read; shows nothing",
    ),
    "inbox/preferences/": Rule(
        poc=(SCOPED, Expect("back to the preferences", frozenset({302}),
                            ("/inbox/preferences/",))),
        reason="the POC's own email preferences (one checkbox); no program data",
    ),
    # --- API v1 (each also served with a ".json" suffix, same rule) ---
    "api/v1/": Rule(poc=(SCOPED, POST_ONLY), reason="the router's index of endpoint links"),
    "api/v1/^vendors/$": Rule(
        poc=(SCOPED, POST_ONLY),
        reason=API_LIST_REASON,
        fill=api_list(lambda w: {"slug": w.b.vendor.slug}),
    ),
    r"api/v1/^vendors/(?P<pk>[^/.]+)/$": Rule(
        poc=(NOT_FOUND, POST_ONLY), fill=api_pk(lambda w: [w.b.vendor])
    ),
    "api/v1/^sites/$": Rule(
        poc=(SCOPED, POST_ONLY), reason=API_LIST_REASON, fill=api_list(by_b_vendor)
    ),
    r"api/v1/^sites/(?P<pk>[^/.]+)/$": Rule(
        poc=(NOT_FOUND, POST_ONLY), fill=api_pk(lambda w: [w.b.site])
    ),
    "api/v1/^agents/$": Rule(
        poc=(SCOPED, POST_ONLY),
        reason=API_LIST_REASON,
        fill=api_list(by_b_vendor, lambda w: {"site": w.b.site.pk}),
    ),
    r"api/v1/^agents/(?P<pk>[^/.]+)/$": Rule(
        poc=(NOT_FOUND, POST_ONLY), fill=api_pk(lambda w: w.b.agents)
    ),
    "api/v1/^workflows/$": Rule(poc=(SCOPED, POST_ONLY), reason="shared reference data"),
    r"api/v1/^workflows/(?P<pk>[^/.]+)/$": Rule(
        poc=(SCOPED, POST_ONLY), reason="shared reference data", fill=api_pk(lambda w: [w.workflow])
    ),
    "api/v1/^contract-targets/$": Rule(
        poc=(SCOPED, POST_ONLY), reason=API_LIST_REASON, fill=api_list(by_b_vendor)
    ),
    r"api/v1/^contract-targets/(?P<pk>[^/.]+)/$": Rule(
        poc=(NOT_FOUND, POST_ONLY), fill=api_pk(lambda w: [w.b.target])
    ),
    "api/v1/^tickets/$": Rule(
        poc=(SCOPED, POST_ONLY),
        reason=API_LIST_REASON,
        fill=api_list(by_b_vendor, lambda w: {"agent": w.b.agents[0].pk}),
    ),
    r"api/v1/^tickets/(?P<pk>[^/.]+)/$": Rule(
        poc=(NOT_FOUND, POST_ONLY), fill=api_pk(lambda w: w.b.tickets)
    ),
    # The push API: a vendor POC is refused (403 for either method). The same walk with a
    # vendor-bound token holding every scope reaches the handler, which answers a GET 405 and
    # the walk's empty form POST 415 (JSON or NDJSON only); tests/tickets/test_bulk_push.py
    # shows such a token cannot push or change another vendor's tickets.
    "api/v1/^tickets/bulk/$": Rule(
        poc=(Expect("403, or 405 for a token", frozenset({403, 405})),
             Expect("403, or 415 for a token", frozenset({403, 415}))),
    ),
    "api/v1/^forms/$": Rule(
        poc=(SCOPED, POST_ONLY),
        reason="published form versions: AuditForm.vendor_path = None ('forms are shared; "
        "vendors see the questions of their own audits'). Whether vendor users "
        "should list every form with weights and guidance is a product decision",
    ),
    r"api/v1/^forms/(?P<pk>[^/.]+)/$": Rule(
        poc=(SCOPED, POST_ONLY), fill=version, reason="a published form version, shared as above"
    ),
    "api/v1/^audits/$": Rule(
        poc=(SCOPED, FORBIDDEN),
        reason="vendor A's finalised audits, no internal notes",
        fill=api_list(
            by_b_vendor,
            lambda w: {"site": w.b.site.pk},
            lambda w: {"ticket": w.b.tickets[0].pk, "form_version": w.version.pk},
            lambda w: {"sampled_ticket": w.b.sampled[0].pk},
        ),
    ),
    r"api/v1/^audits/(?P<pk>[^/.]+)/$": Rule(poc=(NOT_FOUND, POST_ONLY), fill=hidden_audits),
    r"api/v1/^audits/(?P<pk>[^/.]+)/draft/$": Rule(
        poc=(POST_ONLY, NOT_FOUND), anon=LOGIN, fill=hidden_audits
    ),
    r"api/v1/^audits/(?P<pk>[^/.]+)/submit/$": Rule(
        poc=(POST_ONLY, NOT_FOUND), anon=LOGIN, fill=hidden_audits
    ),
    # --- disputes and coaching actions: B's rows 404; raising needs a body naming an audit
    # A may dispute (B's final audit is a 404); opening an action is QA's ---
    "api/v1/^disputes/$": Rule(
        poc=(SCOPED, BAD_BODY_OR_NOT_FOUND),
        reason="disputes through visible_to: A's only",
        fill=lambda w: [
            {"?query": {"vendor": _b_dispute(w).audit.ticket.vendor_id}},
            {},
            {"?query": {"status": "open", "overdue": "true"}},
            {
                "?query": {
                    "audit": w.b.final_audit.pk,
                    "questions[0]question_key": "tone",
                    "questions[0]reason": "B's audit, raised by A",
                }
            },
        ],
    ),
    r"api/v1/^disputes/(?P<pk>[^/.]+)/$": Rule(
        poc=(NOT_FOUND, POST_ONLY), fill=lambda w: [{"pk": _b_dispute(w).pk}]
    ),
    r"api/v1/^disputes/(?P<pk>[^/.]+)/resolve/$": Rule(
        poc=(POST_ONLY, NOT_FOUND), anon=LOGIN, fill=lambda w: [{"pk": _b_dispute(w).pk}]
    ),
    "api/v1/^coaching-actions/$": Rule(
        poc=(SCOPED, FORBIDDEN),
        reason="coaching actions through actions_visible_to: A's only",
        fill=coaching_fills.api_list_queries,
    ),
    r"api/v1/^coaching-actions/(?P<pk>[^/.]+)/$": Rule(
        poc=(NOT_FOUND, POST_ONLY), fill=coaching_fills.detail
    ),
    **{
        rf"api/v1/^coaching-actions/(?P<pk>[^/.]+)/{step}/$": Rule(
            poc=(POST_ONLY, NOT_FOUND), anon=LOGIN, fill=coaching_fills.detail
        )
        for step in ("acknowledge", "complete", "verify", "cancel")
    },
    "api/v1/^calibration-sessions/$": Rule(
        poc=(SCOPED, POST_ONLY),
        reason="sessions the user is invited to (vendor users), through visible_to",
        fill=calibration_fills.list_queries,
    ),
    r"api/v1/^calibration-sessions/(?P<pk>[^/.]+)/$": Rule(
        poc=(NOT_FOUND, POST_ONLY), fill=calibration_fills.session
    ),
    r"api/v1/^calibration-sessions/(?P<pk>[^/.]+)/ratings/$": Rule(
        poc=(NOT_FOUND, POST_ONLY), fill=calibration_fills.session
    ),
    # --- vendor-reported QA over the API: lists through visible_to; a POST naming B is a 404,
    # one without rows a 400; B's rows 404 ---
    "api/v1/^vendor-qa/ticket-results/$": Rule(
        poc=(SCOPED, BAD_BODY_OR_NOT_FOUND),
        reason="vendor-reported QA through visible_to: A's rows only",
        fill=vendor_qa_queries,
    ),
    r"api/v1/^vendor-qa/ticket-results/(?P<pk>[^/.]+)/$": Rule(
        poc=(NOT_FOUND, POST_ONLY), fill=lambda w: [{"pk": _b_vendor_qa(w)[0].pk}]
    ),
    "api/v1/^vendor-qa/rates/$": Rule(
        poc=(SCOPED, BAD_BODY_OR_NOT_FOUND),
        reason="vendor-reported QA through visible_to: A's rows only",
        fill=vendor_qa_queries,
    ),
    r"api/v1/^vendor-qa/rates/(?P<pk>[^/.]+)/$": Rule(
        poc=(NOT_FOUND, POST_ONLY), fill=lambda w: [{"pk": _b_vendor_qa(w)[1].pk}]
    ),
    "api/schema/": Rule(
        poc=(SCOPED, POST_ONLY), reason="OpenAPI description of the endpoints for program members"
    ),
    "api/docs/": Rule(
        poc=(SCOPED, POST_ONLY), reason="Swagger UI (local assets) that loads /api/schema/: no data"
    ),
    # --- the Django admin: explicit pages here, every ModelAdmin route via ADMIN below ---
    # secure_admin_login: visitors go to allauth's login (TOTP, rate limits); a logged-in
    # user who is not staff is refused.
    "admin/login/": Rule(poc=FORBIDDEN, reason="redirects to /accounts/login/"),
    "admin/logout/": Rule(poc=ADMIN_HOME, anon=ADMIN_HOME),
}


# Every other /admin/ route (index, app lists, each ModelAdmin's list/add/change/history/
# delete, password change, autocomplete, view-on-site, the catch-all) sits behind
# AdminSite.admin_view, which lets in active staff only; vendor POCs are not staff.
# One rule for the prefix, so registering a model in the admin needs no new entry, but
# each of its routes is still requested below with vendor B's object in it.
ADMIN_PREFIX = "admin/"


def rule_for(route) -> Rule | None:
    if route.rule_key in RULES:
        return RULES[route.rule_key]
    if route.route.startswith(ADMIN_PREFIX):
        return Rule(poc=ADMIN_LOGIN, anon=ADMIN_LOGIN, fill=admin_fill(route.route))
    return None


# ----- the walk -----------------------------------------------------------------------------


def requests_for(world: World, prefixes: tuple[str, ...] = ("",)):
    """(route, rule, path, query) for every route (whose rule key starts with one of
    ``prefixes``) and every parameter set of its rule."""
    for route in all_routes():
        if not route.rule_key.startswith(prefixes):
            continue
        rule = rule_for(route)
        assert rule is not None, f"no security rule for {route.route!r} (see the rules test)"
        for params in rule.fill(world):
            params = dict(params)
            query = params.pop("?query", {})
            yield route, rule, url_of(route, params), query


# How a request may ask for another rendering of the same route: DRF's browsable API by
# query parameter, or HTML by Accept header, as a browser or a probe would.
BROWSABLE = "?format=api"
HTML = "Accept: text/html"


def walk_as(
    world: World, role: str, login_as=None, renderer: str | None = None,
    prefixes: tuple[str, ...] = ("",), authorization: str | None = None,
) -> tuple[list[str], int]:
    """Request every route (GET and empty POST) as ``role``; returns problems and count.

    With ``renderer`` each request also asks for the browsable API or for HTML: the answer
    must be what RULES says all the same, and no API route may answer a vendor user in
    HTML (the browsable API's forms are not scoped)."""
    forbidden = world.b_identifiers() + world.internal_markers()
    headers = {"HTTP_ACCEPT": "text/html"} if renderer == HTML else {}
    if authorization:  # an API client's credentials (a service account's bearer token)
        headers["HTTP_AUTHORIZATION"] = authorization
    problems, count = [], 0
    for route, rule, base_path, query in requests_for(world, prefixes):
        for method in ("GET", "POST"):
            client = Client()  # fresh each time: a POST to a logout must not leak into others
            if login_as is not None:
                sign_in(client, login_as)
            send = client.get if method == "GET" else client.post
            path, data = base_path, query
            if renderer == BROWSABLE and method == "GET":  # a query's own format= wins
                data = {"format": "api", **query}
            elif renderer == BROWSABLE:  # the POST body is the query; format= goes on the URL
                path += "?format=api"
            try:
                response = send(path, data, **headers)
            except Exception as error:  # a crash is a finding too; keep walking
                problems.append(f"{method} {path} {query or ''}: raised {error!r}")
                continue
            count += 1
            # A filter form echoes what was typed into it; that is not B's data leaking.
            echoed = [str(v) for v in query.values()]
            unechoed = [s for s in forbidden if not any(s in value for value in echoed)]
            problem = problem_with(
                response, rule.expected(role, method), unechoed, world.b.vendor.pk
            )
            if (
                not problem
                and renderer
                and login_as is not None
                and login_as.is_vendor_user
                and base_path.startswith("/api/v1/")
                and response.get("Content-Type", "").startswith("text/html")
            ):
                problem = "the browsable API, in HTML, for a vendor user"
            if problem:
                problems.append(f"{method} {path} {query or ''} [{route.route}]: {problem}")
    return problems, count


def test_every_url_pattern_has_a_security_rule():
    routes = all_routes()
    missing = sorted({r.route for r in routes if rule_for(r) is None})
    assert not missing, (
        "These URL patterns have no entry in tests/test_url_security.py RULES; say what an "
        "anonymous visitor and another vendor's POC must get from each before shipping it:\n  "
        + "\n  ".join(missing)
    )
    unreasoned = sorted(
        k
        for k, rule in RULES.items()
        if (rule.anon is PUBLIC or SCOPED in _poc_expectations(rule)) and not rule.reason
    )
    assert not unreasoned, f"public or vendor-readable routes need a reason: {unreasoned}"


def test_every_rule_names_a_route_that_exists():
    keys = {r.rule_key for r in all_routes()}
    stale = sorted(set(RULES) - keys)
    assert not stale, f"RULES entries for routes that no longer exist: {stale}"


def _poc_expectations(rule: Rule) -> tuple[Expect, ...]:
    return rule.poc if isinstance(rule.poc, tuple) else (rule.poc,)


def test_anonymous_visitors_are_sent_to_log_in_everywhere(world):
    problems, count = walk_as(world, "anon")
    assert count > 500
    assert not problems, f"{len(problems)} of {count} answers wrong:\n" + "\n".join(problems)


def test_vendor_a_poc_reaches_nothing_of_vendor_b_or_internal(world, poc_a):
    problems, count = walk_as(world, "poc", login_as=poc_a)
    assert count > 500
    assert not problems, f"{len(problems)} of {count} answers wrong:\n" + "\n".join(problems)


def test_a_service_account_of_vendor_a_reaches_nothing_of_vendor_b(world):
    """The API walk with the bearer token of a service account bound to vendor A and holding
    every scope: it is scoped as A's users are, so it gets what A's POC gets."""
    from accounts.service_accounts import SCOPES, create_service_account, issue_token

    account = create_service_account("Acme sync", list(SCOPES), vendor=world.a.vendor)
    raw = issue_token(account).raw
    problems, count = walk_as(world, "poc", prefixes=("api/v1/",),
                              authorization=f"Bearer {raw}")
    assert count > 50
    assert not problems, f"{len(problems)} of {count} answers wrong:\n" + "\n".join(problems)


# Every calibration route, as vendor A's QA analyst: invited to A's own session, never to B's.
CALIBRATION_ROUTES = ("calibration/", "api/v1/^calibration-sessions/")


def test_vendor_a_analyst_reaches_no_calibration_of_vendor_b(client_as, world):
    analyst = a_analyst_in_own_session(world)
    problems, count = walk_as(world, "poc", login_as=analyst, prefixes=CALIBRATION_ROUTES)
    assert count > 20
    assert not problems, f"{len(problems)} of {count} answers wrong:\n" + "\n".join(problems)

    client = client_as(analyst)  # not vacuous: A's analyst does reach A's own session
    own = world.a_session
    assert client.get(f"/calibration/{own.pk}/").status_code == 200
    assert client.get(f"/api/v1/calibration-sessions/{own.pk}/ratings/").json()
    b = calibration_fills.b_session(world)
    assert client.get(f"/calibration/{b.pk}/").status_code == 404
    client.force_login(calibration_fills.b_analyst(world),
                       backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(f"/calibration/{b.pk}/").status_code == 200  # the fills are B's


def a_analyst_in_own_session(world):
    """Vendor A's QA analyst (TOTP enrolled), a participant of a closed session of A's."""
    from accounts.models import Role
    from calibration import sessions
    from tests.audits.workspace_helpers import ALL_GOOD
    from tests.factories import UserFactory, enrol_totp

    analyst = UserFactory(email="qa@acme.example", role=Role.VENDOR_QA_ANALYST,
                          vendor=world.a.vendor)
    enrol_totp(analyst)
    session = sessions.create_session(name="Acme calibration", form_version=world.version,
                                      by=world.manager, vendor=world.a.vendor)
    sessions.add_picked_items(session, by=world.manager,
                              external_ids=[world.a.tickets[0].external_id])
    for person in (world.auditor, analyst):
        sessions.invite(session, person, by=world.manager)
    sessions.open_session(session, by=world.manager)
    for person in (world.auditor, analyst):
        sessions.score_item(session.items.get(), person, ALL_GOOD)
    world.a_session = sessions.close_session(session, by=world.manager)
    return analyst


# ----- not vacuous: vendor A's POC does reach vendor A's pages ------------------------------


def test_vendor_a_poc_sees_their_own_vendor_site_agent_ticket_and_final_audit(
    client_as, world, poc_a
):
    a = world.a
    client = client_as(poc_a)
    own_pages = {
        f"/vendors/{a.vendor.slug}/": a.vendor.name,
        f"/vendors/{a.vendor.slug}/sites/{a.site.slug}/": a.site.name,
        f"/vendors/{a.vendor.slug}/agents/{a.agents[0].pk}/": a.agents[0].external_id,
        f"/audits/tickets/{a.tickets[0].pk}/": a.tickets[0].external_id,
        f"/audits/{a.final_audit.pk}/": a.final_audit.ticket.external_id,
        f"/api/v1/tickets/{a.tickets[0].pk}/": a.tickets[0].external_id,
        "/audits/tickets/": a.tickets[0].external_id,
    }
    for path, expected in own_pages.items():
        response = client.get(path)
        page = response.content.decode()
        assert response.status_code == 200, path
        assert expected in page, path
        assert not [s for s in world.b_identifiers() if s in page], path

    final = client.get(f"/audits/{a.final_audit.pk}/").content.decode()
    assert a.final_audit.internal_note == INTERNAL_NOTE_A  # there is a note to leak...
    assert INTERNAL_NOTE_A not in final and FINALISE_REASON_A not in final  # ...and it isn't
    assert not [marker for marker in world.internal_markers() if marker in final]
    api = client.get(f"/api/v1/audits/{a.final_audit.pk}/").json()
    assert api["id"] == a.final_audit.pk and "internal_note" not in api
    # A's audit that is submitted but not final is still QA's: it does not exist for A.
    assert client.get(f"/audits/{a.audits['submitted'].pk}/").status_code == 404


def test_the_same_walk_lets_vendor_b_poc_see_what_a_poc_cannot(client, world):
    """The fills really point at B's objects: B's own POC gets 200 where A's got 404."""
    client.force_login(world.b.poc, backend="django.contrib.auth.backends.ModelBackend")
    b = world.b
    for path in (
        f"/vendors/{b.vendor.slug}/",
        f"/vendors/{b.vendor.slug}/sites/{b.site.slug}/",
        f"/vendors/{b.vendor.slug}/agents/{b.agents[0].pk}/",
        f"/audits/tickets/{b.tickets[0].pk}/",
        f"/audits/{b.final_audit.pk}/",
        f"/api/v1/vendors/{b.vendor.pk}/",
        f"/api/v1/audits/{b.final_audit.pk}/",
    ):
        assert client.get(path).status_code == 200, path
