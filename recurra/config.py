"""Reading Recurra's environment: the variables of API.md and their safe defaults.

Kept apart from settings.py so that the rules (what counts as a default secret,
how EMAIL_URL maps to Django's email settings) are plain functions with tests.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

MODES = ("sandbox", "live")
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
INSECURE_SECRET_PREFIX = "django-insecure"  # noqa: S105 (a marker to refuse, not a secret)
_SECRET_FILE = "secret_key"  # noqa: S105 (a file name)


def mode() -> str:
    value = os.environ.get("RECURRA_MODE", "sandbox").strip().lower()
    if value not in MODES:
        raise ImproperlyConfigured(f"RECURRA_MODE must be one of {', '.join(MODES)}, not {value!r}")
    return value


def data_dir() -> Path:
    """RECURRA_DATA_DIR, else $XDG_DATA_HOME/recurra (~/.local/share/recurra); created private
    (0700: the database, the secret key and the demo login are in it). One that exists is left
    as its owner set it."""
    explicit = os.environ.get("RECURRA_DATA_DIR")
    if explicit:
        path = Path(explicit).expanduser()
    else:
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        path = Path(xdg) / "recurra"
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)  # whatever the umask
    return path.resolve()


def private_file(path: Path) -> Path:
    """``path``, created empty and readable by this user alone (0600) when missing. SQLite writes
    into the empty file and gives its -wal and -shm files the same mode."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    return path


def positive_int(name: str, default: int) -> int:
    """The whole number of at least 1 in the environment variable ``name`` (``default`` unset)."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least 1, not {text!r}")
    return int(text)


def login_throttle() -> tuple[int, timedelta]:
    """How many wrong passwords in a row lock the sign-in form for one username from one address
    (RECURRA_LOGIN_FAILURE_LIMIT, 5), and for how long (RECURRA_LOGIN_COOLOFF_MINUTES, 15)."""
    limit = positive_int("RECURRA_LOGIN_FAILURE_LIMIT", 5)
    return limit, timedelta(minutes=positive_int("RECURRA_LOGIN_COOLOFF_MINUTES", 15))


def base_url() -> str:
    return os.environ.get("RECURRA_BASE_URL", DEFAULT_BASE_URL).rstrip("/")


HSTS_SECONDS = 365 * 24 * 3600


def hsts_seconds(public_url: str) -> int:
    """How long browsers are told to use https only: a year when the base URL is https, else 0 (none)."""
    return HSTS_SECONDS if public_url.startswith("https://") else 0


def allowed_hosts(public_url: str) -> list[str]:
    """Hosts Django answers for: RECURRA_ALLOWED_HOSTS, else loopback plus the base URL's host."""
    explicit = [h.strip() for h in os.environ.get("RECURRA_ALLOWED_HOSTS", "").split(",")]
    if any(explicit):
        return [h for h in explicit if h]
    hosts = ["127.0.0.1", "localhost", "[::1]", "testserver"]
    own = urlsplit(public_url).hostname
    if own and own not in hosts:
        hosts.append(own)
    return hosts


def secret_key(run_mode: str, directory: Path) -> str:
    """SECRET_KEY from the environment; in sandbox mode a generated one kept in the data dir.

    Live mode refuses to start without an explicit key, or with a key that is
    short or carries Django's "insecure" marker.
    """
    explicit = os.environ.get("SECRET_KEY", "")
    if run_mode == "live":
        if not explicit or explicit.startswith(INSECURE_SECRET_PREFIX) or len(explicit) < 32:
            raise ImproperlyConfigured(
                "RECURRA_MODE=live needs SECRET_KEY set to a private value of at least "
                "32 characters; refusing to start with a default or weak key."
            )
        return explicit
    if explicit:
        return explicit
    path = directory / _SECRET_FILE
    if not path.exists():
        # Exclusive create: two processes starting at once must not both write.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def email_settings(url: str) -> dict[str, object]:
    """Django email settings for EMAIL_URL.

    ``smtp://user:pass@host:port`` (STARTTLS with ``?tls=1``), ``smtps://`` for
    implicit TLS. Empty: nothing leaves the machine; messages are only kept in
    Recurra's message log.
    """
    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"}
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ImproperlyConfigured(f"EMAIL_URL must start with smtp:// or smtps://, not {url!r}")
    query = parse_qs(parts.query)
    implicit_tls = parts.scheme == "smtps"
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if implicit_tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": implicit_tls,
        "EMAIL_USE_TLS": not implicit_tls and query.get("tls", ["0"])[0] in ("1", "true"),
        "EMAIL_TIMEOUT": 20,
    }


GATEWAYS = ("sandbox", "stripe")
STRIPE_API = "https://api.stripe.com"
STRIPE_JS = "https://js.stripe.com/v3/"
_KEY_PREFIXES = {  # (secret key prefixes, publishable key prefix) per Stripe mode
    "live": (("sk_live_", "rk_live_"), "pk_live_"),
    "test": (("sk_test_", "rk_test_"), "pk_test_"),
}


def gateway_settings(run_mode: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """RECURRA_GATEWAY and the STRIPE_* settings, checked so that a wrong set stops start-up.

    Live mode charges real money: it refuses the sandbox gateway and Stripe's test keys. Sandbox
    mode (the test clock moves time) refuses live keys. With ``stripe`` the secret key, the
    publishable key (of the same Stripe mode) and the webhook secret are all required.

    >>> gateway_settings("sandbox", {})["RECURRA_GATEWAY"]
    'sandbox'
    >>> gateway_settings("live", {})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    django.core.exceptions.ImproperlyConfigured: RECURRA_MODE=live charges real money: set ...
    """
    source = os.environ if env is None else env
    gateway = source.get("RECURRA_GATEWAY", "sandbox").strip().lower() or "sandbox"
    if gateway not in GATEWAYS:
        raise ImproperlyConfigured(f"RECURRA_GATEWAY must be one of {', '.join(GATEWAYS)}, not {gateway!r}")
    found = {
        "RECURRA_GATEWAY": gateway,
        "STRIPE_SECRET_KEY": source.get("STRIPE_SECRET_KEY", "").strip(),
        "STRIPE_PUBLISHABLE_KEY": source.get("STRIPE_PUBLISHABLE_KEY", "").strip(),
        "STRIPE_WEBHOOK_SECRET": source.get("STRIPE_WEBHOOK_SECRET", "").strip(),
        "STRIPE_API_BASE": (source.get("STRIPE_API_BASE", "").strip() or STRIPE_API).rstrip("/"),
        "STRIPE_JS_URL": source.get("STRIPE_JS_URL", "").strip() or STRIPE_JS,
    }
    if gateway == "sandbox":
        if run_mode == "live":
            raise ImproperlyConfigured(
                "RECURRA_MODE=live charges real money: set RECURRA_GATEWAY=stripe with live keys "
                "(the sandbox gateway moves play money)"
            )
        return found
    missing = [
        name
        for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")
        if not found[name]
    ]
    if missing:
        raise ImproperlyConfigured(
            f"RECURRA_GATEWAY=stripe needs {', '.join(missing)} (see docs/payments.md)"
        )
    stripe_mode = "live" if run_mode == "live" else "test"
    secret_prefixes, publishable_prefix = _KEY_PREFIXES[stripe_mode]
    if not found["STRIPE_SECRET_KEY"].startswith(secret_prefixes):
        raise ImproperlyConfigured(
            f"RECURRA_MODE={run_mode} needs a Stripe {stripe_mode} secret key "
            f"({' or '.join(p + '…' for p in secret_prefixes)})"
        )
    if not found["STRIPE_PUBLISHABLE_KEY"].startswith(publishable_prefix):
        raise ImproperlyConfigured(
            f"RECURRA_MODE={run_mode} needs a Stripe {stripe_mode} publishable key ({publishable_prefix}…)"
        )
    webhook_secret = found["STRIPE_WEBHOOK_SECRET"]
    if not webhook_secret.startswith("whsec_") or len(webhook_secret) == len("whsec_"):
        raise ImproperlyConfigured("STRIPE_WEBHOOK_SECRET is the endpoint's signing secret (whsec_…)")
    for name in ("STRIPE_API_BASE", "STRIPE_JS_URL"):
        if not found[name].startswith(("https://", "http://")):
            raise ImproperlyConfigured(f"{name} must be an http(s) URL, not {found[name]!r}")
    return found


def origin(url: str) -> str:
    """The scheme, host and port of ``url`` (what a Content-Security-Policy names).

    >>> origin("http://127.0.0.1:8420/js.stripe.com/v3/")
    'http://127.0.0.1:8420'
    """
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


METRICS_TOKEN_MIN_LENGTH = 16


def metrics_token() -> str:
    """RECURRA_METRICS_TOKEN: the bearer token ``GET /metrics`` asks for; empty (unset) turns the
    endpoint off (404). A short one stops start-up: it guards business numbers."""
    token = os.environ.get("RECURRA_METRICS_TOKEN", "").strip()
    if token and len(token) < METRICS_TOKEN_MIN_LENGTH:
        raise ImproperlyConfigured(
            f"RECURRA_METRICS_TOKEN must be at least {METRICS_TOKEN_MIN_LENGTH} characters "
            "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return token


LOG_FORMATS = ("plain", "json")


def log_format() -> str:
    """RECURRA_LOG_FORMAT: ``plain`` (default) or ``json`` (one JSON object a line)."""
    value = os.environ.get("RECURRA_LOG_FORMAT", "plain").strip().lower() or "plain"
    if value not in LOG_FORMATS:
        raise ImproperlyConfigured(
            f"RECURRA_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {value!r}"
        )
    return value


def logging_settings(log_format: str, level: str) -> dict[str, Any]:
    """Django's LOGGING: every line to stderr in ``log_format``, each carrying the request id when
    in a request (``core.logs``); the chatty libraries at WARNING."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "recurra.core.logs.RequestIdFilter"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": "recurra.core.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["request_id"]}
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "axes": {"level": "WARNING"},  # lockouts, not every sign-in
            "stripe": {"level": "WARNING"},  # the SDK logs every request at INFO
        },
    }
