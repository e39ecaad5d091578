"""The official ``stripe`` SDK, configured from the STRIPE_* settings, and its errors in the port's terms.

One :class:`stripe.StripeClient` per key and API base. It does not retry on
its own (``max_network_retries=0``): a call without an answer is the port's
``GatewayError``, and Recurra's reconciler asks again by the same key and
reference, durably, even after a restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import stripe
from django.conf import settings

from recurra.core.errors import Conflict
from recurra.payments.gateways.base import GatewayError

TIMEOUT_SECONDS = 30

# No answer, or one that says nothing happened that we can rely on: the outcome is unknown.
UNANSWERED = (
    stripe.APIConnectionError,
    stripe.APIError,
    stripe.RateLimitError,
    stripe.AuthenticationError,
    stripe.PermissionError,
)


def client() -> stripe.StripeClient:
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


@lru_cache(maxsize=4)
def _client(secret_key: str, api_base: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base},
        max_network_retries=0,
        http_client=stripe.new_default_http_client(timeout=TIMEOUT_SECONDS),
    )


@contextmanager
def answered() -> Iterator[None]:
    """Stripe's errors as the port's: no answer is ``GatewayError``; a reused idempotency key with
    other parameters a ``ValueError`` (a programming error). Declines and invalid requests pass
    through for the caller to read."""
    try:
        yield
    except UNANSWERED as exc:
        raise GatewayError(f"Stripe did not answer: {type(exc).__name__}: {exc.user_message or exc}") from exc
    except stripe.IdempotencyError as exc:
        raise ValueError(f"Stripe refused a reused idempotency key: {exc}") from exc


def refusal(exc: stripe.StripeError) -> Conflict:
    """Stripe refused a request (a refund beyond what is left, a method that is gone): a 409 that says why."""
    return Conflict(f"Stripe refused: {exc.user_message or exc}")
