"""The API's paying endpoints on Stripe with a card that wants 3-D Secure: a 402 problem with the
PaymentIntent's ``client_secret``; once the buyer has authenticated it (Stripe.js), the same request
again (the same ``Idempotency-Key``: the same attempt) records the payment, charged once.

Card 4000002760003184 (localstripe asks for authentication on every payment); the buyer's "Complete
authentication" is what localstripe's Stripe.js posts.
"""

from __future__ import annotations

import urllib.request
from typing import Any
from urllib.parse import urlencode

import pytest

from recurra.invoicing.models import Invoice
from tests.api.support import assert_problem, ok
from tests.localstripe import PUBLISHABLE_KEY, StripeWorld

pytestmark = pytest.mark.usefixtures("frozen_clock")

THREE_D_SECURE = "4000002760003184"
MONTHLY = {"name": "Support", "unit_amount": 1000, "currency": "USD", "billing_frequency": "monthly"}
BUYER = {"email": "mia@example.com", "first_name": "Mia", "last_name": "Hansen"}


def authenticate(world: StripeWorld, client_secret: str) -> None:
    """What localstripe's Stripe.js posts when the buyer clicks "Complete authentication"."""
    intent_id = client_secret.split("_secret_")[0]
    body = urlencode({"client_secret": client_secret, "success": "true", "key": PUBLISHABLE_KEY}).encode()
    request = urllib.request.Request(
        f"{world.server.url}/v1/payment_intents/{intent_id}/_authenticate", data=body, method="POST"
    )
    urllib.request.urlopen(request, timeout=10).close()


def needs_action(response: Any) -> str:
    problem = assert_problem(response, 402)
    assert (problem["type"], problem["title"]) == (
        "urn:recurra:problem:requires-action",
        "Authentication required",
    )
    assert problem["detail"] == "Your bank asks you to confirm this payment."
    assert problem["client_secret"].startswith("pi_") and "_secret_" in problem["client_secret"]
    return str(problem["client_secret"])


def test_a_checkout_is_402_until_authenticated_then_the_same_key_pays_once(
    api: Any, stripe_gateway: StripeWorld
) -> None:
    link = ok(api.post("/payment-links", {"name": "Support", "line_items": [MONTHLY]}), 201)
    url = f"/payment-links/{link['id']}/checkout"
    body = {**BUYER, "payment_method": {"token": stripe_gateway.card(THREE_D_SECURE)}}
    key = {"Idempotency-Key": "buy-3ds-1"}

    secret = needs_action(api.post(url, body, headers=key))
    authenticate(stripe_gateway, secret)
    done = ok(api.post(url, body, headers=key), 201)

    assert (done["payment"]["status"], done["payment"]["amount"]) == ("succeeded", 1000)
    (paid,) = stripe_gateway.succeeded_intents()
    assert paid.client_secret == secret and paid.amount == 1000


def test_a_quote_acceptance_is_402_until_authenticated(
    api: Any, make: Any, stripe_gateway: StripeWorld
) -> None:
    contact = make("contacts", email="ola@example.com", first_name="Ola")
    deal = make("deals", name="Acme", contact_id=contact["id"], line_items=[MONTHLY])
    quote = ok(api.post("/quotes", {"deal_id": deal["id"], "payment_enabled": True}), 201)
    ok(api.post(f"/quotes/{quote['id']}/publish"))
    url = f"/quotes/{quote['id']}/accept"
    body = {"signed_name": "Ola", "payment_method": {"token": stripe_gateway.card(THREE_D_SECURE)}}
    key = {"Idempotency-Key": "accept-3ds-1"}

    secret = needs_action(api.post(url, body, headers=key))
    assert ok(api.get(f"/quotes/{quote['id']}"))["status"] == "published"
    authenticate(stripe_gateway, secret)
    done = ok(api.post(url, body, headers=key))

    assert done["quote"]["status"] == "accepted"
    assert done["checkout"]["payment"]["status"] == "succeeded"
    assert len(stripe_gateway.succeeded_intents()) == 1


def test_an_invoice_payment_is_402_until_authenticated(
    api: Any, sub: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    world: StripeWorld = request.getfixturevalue("stripe_gateway")  # the subscription began on the sandbox
    invoice = Invoice.objects.get(subscription_id=sub["id"])
    url = f"/invoices/{invoice.pk}/pay"
    body = {"payment_method": {"token": world.card(THREE_D_SECURE)}}
    key = {"Idempotency-Key": "pay-3ds-1"}

    secret = needs_action(api.post(url, body, headers=key))
    authenticate(world, secret)
    done = ok(api.post(url, body, headers=key))

    assert (done["invoice"]["status"], done["payment"]["status"]) == ("paid", "succeeded")
    assert len(world.succeeded_intents()) == 1
