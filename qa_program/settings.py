"""The one settings module. Everything that differs between machines comes from the
environment, read here at the top; the README documents each variable.

With no environment at all the app runs on a SQLite file in the project and runs Celery
tasks eagerly, which is what `make demo` and a local `make test` use.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_flag("DJANGO_DEBUG")
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
# Optional: a PostgreSQL streaming replica that dashboards, exports and the API's reads may use
# (qa_program/db_routers.py); writers read the primary for DATABASE_REPLICA_PIN_SECONDS after.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
DATABASE_REPLICA_PIN_SECONDS = int(os.environ.get("DATABASE_REPLICA_PIN_SECONDS", "10"))
REDIS_URL = os.environ.get("REDIS_URL", "")


def redis_url_for_test_worker(url: str, worker: str) -> str:
    """``url`` with its database number moved past the base one by the worker's index
    (gw0 → base + 1, gw1 → base + 2, …)."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + 1 + int(worker.removeprefix('gw'))}"))


if REDIS_URL and os.environ.get("PYTEST_XDIST_WORKER"):
    # A parallel test run (pytest-xdist): each worker process gets its own Redis database for
    # its broker queue, task results and rate-limit counters, as pytest-django gives each its
    # own test database.
    REDIS_URL = redis_url_for_test_worker(REDIS_URL, os.environ["PYTEST_XDIST_WORKER"])

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it, or set DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Single sign-on for internal staff (OpenID Connect); configured only by QA_OIDC_* below.
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "django_filters",
    "simple_history",
    "django_celery_beat",
    "accounts",
    "vendors",
    "tickets",
    "audit_forms",
    "audits",
    "sampling",
    "rollups",
    "calibration",
    "risk_model",
    "vendor_qa",
    "scorecards",
    "coaching",
    "notifications",
    "webhooks",
    "connectors",
    "demo",
    "qa_program",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "qa_program.security_headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A NUL character anywhere in a request is a 400 naming the field (PostgreSQL refuses it).
    "accounts.input_checks.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RequireVendorMFAMiddleware",
    "accounts.middleware.NoSessionForServiceAccounts",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Only with DATABASE_REPLICA_URL: marks the GETs that may read from the replica.
    "qa_program.db_routers.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "qa_program.urls"
WSGI_APPLICATION = "qa_program.wsgi.application"
ASGI_APPLICATION = "qa_program.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_settings(url: str, replica_url: str = "") -> dict:
    """``default`` from ``url``; with ``replica_url`` also a ``replica`` alias, which tests
    treat as a mirror of ``default`` (no test database of its own, never migrated)."""
    databases = {"default": dj_database_url.parse(url, conn_max_age=60)}
    if replica_url:
        databases["replica"] = {
            **dj_database_url.parse(replica_url, conn_max_age=60),
            "TEST": {"MIRROR": "default"},
        }
    return databases


DATABASES = database_settings(DATABASE_URL, DATABASE_REPLICA_URL)
DATABASE_ROUTERS = ["qa_program.db_routers.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

# django-allauth: email login, no open sign-up (users are invited), rate-limited logins,
# TOTP available to everyone (required for vendor users by RequireVendorMFAMiddleware).
ACCOUNT_ADAPTER = "accounts.adapters.InviteOnlyAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Per account 5 failures in 5 minutes; per IP more, since a whole office may share one.
# "login" also limits the single sign-on start and callback URLs, GET included (accounts/sso.py).
ACCOUNT_RATE_LIMITS = {"login_failed": "20/5m/ip,5/5m/key", "login": "30/m/ip"}
MFA_ADAPTER = "accounts.adapters.ProgramMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "QA Program"
# Accept the code of the previous or next 30-second step too (RFC 6238 §5.2: clock drift and
# the seconds it takes to type a code), so a code typed at a step boundary is not refused.
MFA_TOTP_TOLERANCE = 1


def oidc_providers(environ) -> dict:
    """allauth's OpenID Connect app from QA_OIDC_SERVER_URL, _CLIENT_ID, _CLIENT_SECRET and
    _NAME; no server URL, no app (the login page then shows no single sign-on button)."""
    server_url = environ.get("QA_OIDC_SERVER_URL", "").strip()
    if not server_url:
        return {}
    app = {
        "provider_id": "sso",
        "name": environ.get("QA_OIDC_NAME", "").strip() or "Single sign-on",
        "client_id": environ.get("QA_OIDC_CLIENT_ID", ""),
        "secret": environ.get("QA_OIDC_CLIENT_SECRET", ""),
        "settings": {"server_url": server_url, "token_auth_method": "client_secret_post"},
    }
    return {"openid_connect": {"APPS": [app], "OAUTH_PKCE_ENABLED": True}}


# Single sign-on (docs/integrations.md): this IdP is internal staff's. Just-in-time users get no
# role until a manager gives one; an SSO login for a vendor user's email is refused
# (accounts.sso.ProgramSSOAdapter). A verified IdP email logs in the staff account it names.
# Vendors' own IdPs are configured by managers in the app (accounts.vendor_sso).
SOCIALACCOUNT_PROVIDERS = oidc_providers(os.environ)
SOCIALACCOUNT_ADAPTER = "accounts.sso.ProgramSSOAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_EMAIL_REQUIRED = True
SOCIALACCOUNT_STORE_TOKENS = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Display formats, a 24-hour clock everywhere: qa_program/formats/en/formats.py.
FORMAT_MODULE_PATH = ["qa_program.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("QA_MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"
# Ticket uploads stream from disk rather than memory past this size.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Cache: Redis when available (shared rate-limit counters across web processes).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Celery: a real broker when REDIS_URL is set, otherwise tasks run eagerly in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# One queue per task family, so a family can have workers of its own (`celery -A qa_program
# worker -Q imports`); a worker started without -Q takes every queue (docs/operations.md).
QA_TASK_FAMILIES = {
    "imports": ("tickets", "connectors"),
    "draws": ("sampling",),
    "rollups": ("rollups",),
    "models": ("risk_model",),
    "outbound": ("notifications", "webhooks"),
}
CELERY_TASK_DEFAULT_QUEUE = "celery"  # housekeeping (retention) and anything not listed above
CELERY_TASK_QUEUES = [Queue(name) for name in [CELERY_TASK_DEFAULT_QUEUE, *QA_TASK_FAMILIES]]
CELERY_TASK_ROUTES = {
    f"{app_label}.*": {"queue": family}
    for family, app_labels in QA_TASK_FAMILIES.items()
    for app_label in app_labels
}
# With late acks on Redis, a task held by a worker that died is redelivered after this many
# seconds; it must exceed the longest task (a large draw or import).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "600"))
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Fixed housekeeping; plans' own schedules are stored in the database by sampling.scheduling.
CELERY_BEAT_SCHEDULE = {
    "redraw-stuck-sample-runs": {
        "task": "sampling.tasks.redraw_stuck_sample_runs",
        "schedule": 300.0,
    },
    # The rollups are kept current on every audit change (a flush a few seconds after it; this
    # entry catches any flush whose message was lost); a nightly recount proves them.
    "flush-rollups": {
        "task": "rollups.tasks.flush_rollups",
        "schedule": 60.0,
    },
    "rebuild-rollups": {
        "task": "rollups.tasks.rebuild_rollups",
        "schedule": crontab(hour=2, minute=30),
    },
    # Coaching actions due within two days or overdue: each owner told once per due date.
    # Outbound webhooks whose worker message was lost (or that wait out a back-off when
    # tasks run eagerly) are sent by this sweep.
    "sweep-webhook-deliveries": {
        "task": "webhooks.tasks.sweep_webhook_deliveries",
        "schedule": 60.0,
    },
    # Webhook endpoints hear of overdue coaching actions once per due date.
    "announce-overdue-coaching": {
        "task": "webhooks.tasks.announce_overdue_coaching",
        "schedule": crontab(hour=7, minute=5),
    },
    # Webhook endpoints hear of red flags raised as of now (a scoring model degraded) once per
    # flag and week.
    "announce-red-flags": {
        "task": "webhooks.tasks.announce_red_flags",
        "schedule": crontab(hour=7, minute=10),
    },
    # Help desk connectors: each active one pulls its export until the end of the stream.
    "pull-connectors": {
        "task": "connectors.tasks.pull_connectors",
        "schedule": 300.0,
    },
    "sweep-coaching-deadlines": {
        "task": "notifications.tasks.sweep_coaching_deadlines",
        "schedule": crontab(hour=7, minute=0),
    },
    # The weekly digest of the last complete ISO week, once per person and week: Monday's run
    # sends it, the other days' runs send only what Monday could not (a refused email, a
    # person given a role since).
    "send-weekly-digests": {
        "task": "notifications.tasks.send_weekly_digests",
        "schedule": crontab(hour=6, minute=30),
    },
    # Ticket content and dispute attachments past QA_CONTENT_RETENTION_DAYS are removed.
    "purge-expired-content": {
        "task": "audits.tasks.purge_expired_content",
        "schedule": crontab(hour=3, minute=15),
    },
}

# Disputes: a vendor POC may dispute a final audit for this many days after it was
# finalised; a QA lead should resolve it within DISPUTE_SLA_DAYS (overdue after that).
DISPUTE_WINDOW_DAYS = int(os.environ.get("DISPUTE_WINDOW_DAYS", "7"))
DISPUTE_SLA_DAYS = int(os.environ.get("DISPUTE_SLA_DAYS", "3"))
PORTAL_SHOW_PROGRAM_AVERAGE = env_flag("PORTAL_SHOW_PROGRAM_AVERAGE")  # all vendors, unnamed
# Ticket content (excerpt, link, extra fields, uploaded ticket files) and dispute attachments
# are removed this many days after the ticket was handled (the attachment: after the dispute
# was raised); audits, scores and statistics stay (audits.retention).
QA_CONTENT_RETENTION_DAYS = int(os.environ.get("QA_CONTENT_RETENTION_DAYS", "365"))
# Connectors sleep their computed back-off times this factor (0: no sleeping, for tests).
QA_CONNECTOR_BACKOFF_SCALE = float(os.environ.get("QA_CONNECTOR_BACKOFF_SCALE", "1"))
# An IdP's client secret or a help desk's token may go over plain http only to this machine,
# and only in development (the tests turn it on for their local servers): accounts.outbound.
QA_PLAIN_HTTP_TO_LOCALHOST = DEBUG
# With a real worker, the rollups of changed audits are refreshed together this many seconds
# after the first change (rollups.writer): one refresh per batch, not one per submission.
QA_ROLLUP_DEBOUNCE_SECONDS = float(os.environ.get("QA_ROLLUP_DEBOUNCE_SECONDS", "5"))

# Email: console in development, SMTP when EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_flag("EMAIL_USE_TLS", default=True)
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "qa-program@localhost")
# The program's address as people open it (e.g. https://qa.example.com): emails link to
# pages with it; empty leaves the links relative.
QA_SITE_URL = os.environ.get("QA_SITE_URL", "").rstrip("/")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        # Service accounts: "Authorization: Bearer <token>" (accounts.service_accounts).
        "accounts.bearer.ServiceTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "accounts.permissions.ProgramMember", "accounts.bearer.ServiceScope",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON too deeply nested or holding a NUL character is a 400 naming the field.
    "DEFAULT_PARSER_CLASSES": [
        "accounts.input_checks.ProgramJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # The browsable (HTML) API is for internal staff; vendor users get JSON only.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "accounts.negotiation.BrowsableAPIForStaffOnly",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "QA Program API",
    "DESCRIPTION": (
        "Vendors, tickets, sampling, audits and coaching. Vendor users see only their vendor."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and docs are for program members (internal staff, and vendor users with
    # TOTP, who use the API too); qa_program/urls.py sends anonymous visitors to log in.
    "SERVE_PERMISSIONS": ["accounts.permissions.ProgramMember"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge fetched from validator.swagger.io: the docs page loads nothing from outside.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Audits, disputes and coaching actions each have a "status" with its own choices.
    "ENUM_NAME_OVERRIDES": {
        "AuditStatusEnum": "audits.models.AuditStatus",
        "DisputeStatusEnum": "audits.dispute_models.DisputeStatus",
        "CoachingActionStatusEnum": "coaching.models.ActionStatus",
    },
}

# Production hardening: on unless DEBUG, so `check --deploy` is clean with DJANGO_DEBUG=0.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_flag("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe health over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts, fonts, images and API calls come from our own origin only (no inline script, no
# CDN; Swagger UI is served by drf-spectacular-sidecar). Inline styles stay allowed: the
# templates carry small style attributes, and a style cannot run code.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# No page needs the camera, microphone, location, payment or USB; none may ask for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()" for feature in (
        "camera", "microphone", "geolocation", "payment", "usb", "browsing-topics")
)
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
