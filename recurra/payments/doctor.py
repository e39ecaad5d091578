"""Is the payment processor set up right? Plain checks, each a :class:`Check` (name, ok, message).

``recurra doctor`` prints them; the settings page may show them. Start-up
(``recurra.config.gateway_settings``) already refuses a set of settings that
cannot work; these checks go further and ask Stripe:

- ``gateway``: which processor; live mode needs ``stripe``.
- ``Stripe API`` (Stripe only): the secret key reads the account's balance at
  ``STRIPE_API_BASE`` (a real call); no answer or a refused key fails.
- ``secret key mode``: the key is of the Stripe mode RECURRA_MODE needs (live
  for ``live``, test for ``sandbox``), as Stripe's answer says (its
  ``livemode``), else as the key's prefix says.
- ``publishable key``: set, and of the same mode.
- ``webhook secret``: set, and an endpoint signing secret (``whsec_…``).
- ``base URL``: RECURRA_BASE_URL is https in live mode.
- ``webhook URL`` (Stripe only): the address to register at Stripe, which
  Stripe must be able to reach (not loopback) in live mode.

A message never shows a key, only its prefix (``sk_test_…``).
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import urlsplit

import stripe
from django.conf import settings

from recurra.payments.gateways import GATEWAYS
from recurra.payments.gateways.stripe_client import client

WEBHOOK_PATH = "/webhooks/stripe"
SECRET_PREFIXES = {"live": ("sk_live_", "rk_live_"), "test": ("sk_test_", "rk_test_")}
PUBLISHABLE_PREFIXES = {"live": "pk_live_", "test": "pk_test_"}
KEY_KINDS = ("sk", "rk", "pk", "whsec")  # Stripe's key prefixes, safe to show
WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
LOOPBACK = ("localhost", "127.0.0.1", "::1", "0.0.0.0")  # noqa: S104 (names to recognise, not to bind)


class Check(NamedTuple):
    name: str
    ok: bool
    message: str


def processor_checks() -> list[Check]:
    """Every check for the configured processor, in the order of the module's list."""
    run_mode = str(settings.RECURRA_MODE)
    gateway = str(settings.RECURRA_GATEWAY)
    checks = [_gateway(run_mode, gateway)]
    if gateway == "stripe":
        api, livemode = _stripe_api()
        checks += [api, _secret_key_mode(run_mode, livemode), _publishable_key(run_mode), _webhook_secret()]
    checks.append(_base_url(run_mode))
    if gateway == "stripe":
        checks.append(_webhook_url(run_mode))
    return checks


def webhook_url() -> str:
    """The address to register at Stripe (Developers → Webhooks → Add endpoint)."""
    return f"{settings.RECURRA_BASE_URL}{WEBHOOK_PATH}"


def stripe_mode(run_mode: str) -> str:
    """The Stripe mode RECURRA_MODE needs: ``live`` for live, ``test`` for the sandbox.

    >>> stripe_mode("live"), stripe_mode("sandbox")
    ('live', 'test')
    """
    return "live" if run_mode == "live" else "test"


def key_prefix(key: str) -> str:
    """What a message may show of a key: Stripe's prefix of it (kind and mode), else nothing.

    >>> key_prefix("sk_test_51Abc"), key_prefix("whsec_xyz"), key_prefix("my_secret_value")
    ('sk_test_…', 'whsec_…', '…')
    """
    parts = key.split("_")
    if len(parts) < 2 or parts[0] not in KEY_KINDS:
        return "…"
    known = parts[:2] if len(parts) > 2 and parts[1] in ("live", "test") else parts[:1]
    return "_".join(known) + "_…"


def _gateway(run_mode: str, gateway: str) -> Check:
    if gateway not in GATEWAYS:
        known = ", ".join(GATEWAYS)
        return Check("gateway", False, f"RECURRA_GATEWAY must be one of {known}, not {gateway!r}")
    if gateway == "sandbox":
        if run_mode == "live":
            return Check(
                "gateway",
                False,
                "RECURRA_MODE=live charges real money: set RECURRA_GATEWAY=stripe with live keys",
            )
        return Check(
            "gateway",
            True,
            "sandbox: test tokens and play money, no processor to ask "
            "(RECURRA_GATEWAY=stripe connects Stripe)",
        )
    wanted = stripe_mode(run_mode)
    return Check("gateway", True, f"stripe, in Stripe's {wanted} mode (RECURRA_MODE={run_mode})")


def _stripe_api() -> tuple[Check, bool | None]:
    """A real call with the secret key (GET /v1/balance); Stripe's ``livemode`` when it answered."""
    base = str(settings.STRIPE_API_BASE)
    name = "Stripe API"
    try:
        balance = client().v1.balance.retrieve()
    except stripe.AuthenticationError as exc:
        return Check(name, False, f"{base} refused the secret key (401): {_said(exc)}"), None
    except stripe.PermissionError as exc:
        return (
            Check(
                name,
                False,
                f"{base} knows the key but refused to read the balance (403): {_said(exc)}; "
                "a restricted key needs Balance read, besides write access to PaymentIntents, "
                "SetupIntents, Customers, PaymentMethods and Refunds",
            ),
            None,
        )
    except stripe.APIConnectionError as exc:
        return Check(name, False, f"no answer from {base} ({network_reason(_said(exc))})"), None
    except stripe.StripeError as exc:
        return Check(name, False, f"{base} answered {exc.http_status or 'an error'}: {_said(exc)}"), None
    return Check(name, True, f"{base} answered: the secret key reads the account"), bool(balance.livemode)


def network_reason(message: str) -> str:
    """The few words that say why a connection failed, out of the SDK's long message.

    >>> network_reason("Unexpected error ... (Network error: ConnectionError: ... "
    ...     "Failed to establish a new connection: [Errno 111] Connection refused'))")
    'Connection refused'
    >>> network_reason("Unexpected error ... (Network error: ReadTimeout: Read timed out. (read timeout=30))")
    'timed out'
    """
    errno = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", message)
    if errno:
        return errno.group(1).strip()
    if "timed out" in message.lower():
        return "timed out"
    network = re.search(r"\(Network error: (.*)\)$", message)
    text = network.group(1) if network else message
    return text if len(text) <= 160 else text[:159] + "…"


def _said(exc: stripe.StripeError) -> str:
    return " ".join(str(exc.user_message or exc or type(exc).__name__).split())


def _secret_key_mode(run_mode: str, livemode: bool | None) -> Check:
    key = str(settings.STRIPE_SECRET_KEY)
    wanted = stripe_mode(run_mode)
    name = "secret key mode"
    if livemode is not None:
        found = "live" if livemode else "test"
        source = "Stripe says"
    else:
        found = next((mode for mode, prefixes in SECRET_PREFIXES.items() if key.startswith(prefixes)), "")
        source = "its prefix says"
        if not found:
            return Check(name, False, f"{key_prefix(key)} is not a Stripe secret key (sk_… or rk_…)")
    if found != wanted:
        return Check(
            name,
            False,
            f"{source} {key_prefix(key)} is a {found} key; RECURRA_MODE={run_mode} needs a {wanted} key",
        )
    return Check(name, True, f"{source} {key_prefix(key)} is a {found} key, as RECURRA_MODE={run_mode} needs")


def _publishable_key(run_mode: str) -> Check:
    key = str(settings.STRIPE_PUBLISHABLE_KEY)
    wanted = stripe_mode(run_mode)
    prefix = PUBLISHABLE_PREFIXES[wanted]
    name = "publishable key"
    if not key:
        return Check(name, False, "STRIPE_PUBLISHABLE_KEY is not set (Developers → API keys at Stripe)")
    if not key.startswith(prefix):
        shown = key_prefix(key)
        return Check(name, False, f"{shown}: RECURRA_MODE={run_mode} needs a {wanted} key ({prefix}…)")
    return Check(name, True, f"{key_prefix(key)}, a {wanted} key")


def _webhook_secret() -> Check:
    secret = str(settings.STRIPE_WEBHOOK_SECRET)
    name = "webhook secret"
    if not secret:
        return Check(name, False, "STRIPE_WEBHOOK_SECRET is not set: copy the endpoint's signing secret")
    if not secret.startswith(WEBHOOK_SECRET_PREFIX) or len(secret) == len(WEBHOOK_SECRET_PREFIX):
        return Check(
            name,
            False,
            f"{key_prefix(secret)} is not an endpoint signing secret ({WEBHOOK_SECRET_PREFIX}…); "
            "copy it from the webhook endpoint at Stripe",
        )
    return Check(name, True, f"{WEBHOOK_SECRET_PREFIX}…, an endpoint signing secret")


def _base_url(run_mode: str) -> Check:
    url = str(settings.RECURRA_BASE_URL)
    if url.startswith("https://"):
        return Check("base URL", True, url)
    if run_mode == "live":
        return Check(
            "base URL",
            False,
            f"RECURRA_BASE_URL is {url}; live mode needs https:// (buyer pages, cookies, Stripe's webhooks)",
        )
    return Check("base URL", True, f"{url} (live mode will need https://)")


def _webhook_url(run_mode: str) -> Check:
    url = webhook_url()
    host = (urlsplit(url).hostname or "").lower()
    register = "register it at Stripe with the events in docs/payments.md"
    if host in LOOPBACK:
        if run_mode == "live":
            return Check("webhook URL", False, f"{url}: Stripe cannot reach {host}; set RECURRA_BASE_URL")
        return Check(
            "webhook URL",
            True,
            f"{url}: Stripe cannot reach {host}; forward events with `stripe listen --forward-to {url}`",
        )
    return Check("webhook URL", True, f"{url}: {register}")
