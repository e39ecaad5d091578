"""Recurra's one settings module, configured entirely by the environment.

Embedded default: SQLite in the data directory, sandbox mode, a secret key
generated once and kept in the data directory. ``live`` mode refuses to start
without an explicit SECRET_KEY.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp import constants as csp

from recurra.config import (
    allowed_hosts,
    base_url,
    data_dir,
    email_settings,
    gateway_settings,
    hsts_seconds,
    log_format,
    logging_settings,
    login_throttle,
    metrics_token,
    mode,
    positive_int,
    private_file,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent
RECURRA_MODE = mode()
RECURRA_DATA_DIR = data_dir()
RECURRA_BASE_URL = base_url()
SECRET_KEY = secret_key(RECURRA_MODE, RECURRA_DATA_DIR)
DEBUG = os.environ.get("RECURRA_DEBUG", "") == "1"

ALLOWED_HOSTS = allowed_hosts(RECURRA_BASE_URL)
CSRF_TRUSTED_ORIGINS = [RECURRA_BASE_URL]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "axes",
    "csp",
    "recurra.core",
    "recurra.accounts",
    "recurra.crm",
    "recurra.catalog",
    "recurra.jobs",
    "recurra.notifications",
    "recurra.payments",
    "recurra.payments.gateways",
    "recurra.subscriptions",
    "recurra.invoicing",
    "recurra.billing",
    "recurra.commerce",
    "recurra.automation",
    "recurra.saved_views",
    "recurra.insights",
    "recurra.exports",
    "recurra.api",
    "recurra.web",
    "recurra.ops",
    "recurra.worker",
]

MIDDLEWARE = [
    # First: the request id (every line logged after carries it), the latency histogram, and
    # /healthz, /readyz and /metrics answered before sessions, CSRF or the host check (probes
    # come by IP address).
    "recurra.ops.middleware.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files answer here, before the headers below
    "csp.middleware.CSPMiddleware",
    "recurra.web.headers.ResponseHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "recurra.web.middleware.read_once_per_request",
    "recurra.web.languages.seller_language_per_request",  # the seller's language: who, then the account
    "recurra.api.idempotency.IdempotencyMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into its page
]

ROOT_URLCONF = "recurra.urls"
WSGI_APPLICATION = "recurra.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "recurra.web.context.recurra",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{private_file(RECURRA_DATA_DIR / 'recurra.sqlite3')}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "recurra.core.backends.postgresql"  # no pattern-ops indexes
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers work beside the single writer; IMMEDIATE makes a write
    # transaction take the lock up front instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
# Sign-in throttle (django-axes, its database handler): after RECURRA_LOGIN_FAILURE_LIMIT wrong
# passwords in a row for one username from one address, that pair is locked out for
# RECURRA_LOGIN_COOLOFF_MINUTES (each try while locked starts the wait again). The answer is the
# same whether the username exists or not. API keys do not sign in here and are not counted.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT, AXES_COOLOFF_TIME = login_throttle()
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "recurra.web.views.auth.locked_out"
AXES_RESET_ON_SUCCESS = True  # a successful sign-in forgets the earlier typos
AXES_DISABLE_ACCESS_LOG = True  # no table of every sign-in's address and browser
AXES_VERBOSE = False  # no banner at every start; failures and lockouts are still logged
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nb", "Norsk bokmål")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# `recurra serve` collects the static files here (hashed names, gzip copies, a manifest) and
# WhiteNoise serves them cached for good; before that, the plain names from the apps' directories
# (recurra.web.staticfiles). The originals are not kept beside the hashed copies: the finders
# serve the plain names.
STATIC_ROOT = RECURRA_DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "recurra.web.staticfiles.CollectedStaticFiles"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_KEEP_ONLY_HASHED_FILES = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_HSTS_SECONDS = hsts_seconds(RECURRA_BASE_URL)  # sent by recurra.web.headers (TLS ends at the proxy)
if RECURRA_BASE_URL.startswith("https://"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Content-Security-Policy (django-csp) on every answer but static files: scripts and styles only
# from Recurra's own static files (no inline code, no eval: htmx runs with allowEval off), images
# also as data: URLs, no framing, forms post only to Recurra, no <base>.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF, "data:"],
        "frame-ancestors": [csp.NONE],
        "form-action": [csp.SELF],
        "base-uri": [csp.NONE],
    }
}

globals().update(email_settings(os.environ.get("EMAIL_URL", "")))
DEFAULT_FROM_EMAIL = os.environ.get("RECURRA_FROM_EMAIL", "Recurra <billing@localhost>")

NINJA_PAGINATION_MAX_LIMIT = 1000

# How long (real seconds) a worker owns the gateway call of a payment it wrote; after that the
# reconciler settles it. Tests that kill workers shorten it.
RECURRA_WEBHOOKS_ALLOW_PRIVATE = os.environ.get("RECURRA_WEBHOOKS_ALLOW_PRIVATE", "") == "1"
RECURRA_WEBHOOKS_TIMEOUT = float(os.environ.get("RECURRA_WEBHOOKS_TIMEOUT", "15"))  # seconds per delivery
# Workflows read audit events this many ms old or older (automation.workflows.enrolling: commits
# of concurrent transactions settle; clocks of the machines running Recurra agree within it).
WORKFLOW_SETTLE_MS = int(os.environ.get("RECURRA_WORKFLOW_SETTLE_MS", "250"))
RECURRA_LEASE_SECONDS = int(os.environ.get("RECURRA_LEASE_SECONDS", "120"))
# Billing threads per worker process (PostgreSQL; SQLite has one writer): one thread's batch
# computes while another's waits on the database or the gateway.
RECURRA_BILLING_THREADS = int(os.environ.get("RECURRA_BILLING_THREADS", "2"))
# The payment processor and its keys, from the environment only (never the database or the UI):
# RECURRA_GATEWAY, STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET,
# STRIPE_API_BASE and STRIPE_JS_URL (docs/payments.md). A wrong set stops start-up.
_gateway = gateway_settings(RECURRA_MODE)
RECURRA_GATEWAY = _gateway["RECURRA_GATEWAY"]
STRIPE_SECRET_KEY = _gateway["STRIPE_SECRET_KEY"]
STRIPE_PUBLISHABLE_KEY = _gateway["STRIPE_PUBLISHABLE_KEY"]
STRIPE_WEBHOOK_SECRET = _gateway["STRIPE_WEBHOOK_SECRET"]
STRIPE_API_BASE = _gateway["STRIPE_API_BASE"]
STRIPE_JS_URL = _gateway["STRIPE_JS_URL"]

# Operations (docs/operations.md): the bearer token of GET /metrics (unset: no /metrics), and after
# how many seconds without a heartbeat a worker counts as stale in /readyz and the metrics.
RECURRA_METRICS_TOKEN = metrics_token()
RECURRA_WORKER_STALE_SECONDS = positive_int("RECURRA_WORKER_STALE_SECONDS", 120)

# RECURRA_LOG_FORMAT=json: one JSON object a line, with the request id (recurra.core.logs).
LOGGING = logging_settings(log_format(), os.environ.get("RECURRA_LOG_LEVEL", "INFO"))
