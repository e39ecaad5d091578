"""Stripe's webhooks with localstripe: its own signed deliveries to the running server, and events
whose processing asks Stripe (a refund list, a method saved by a SetupIntent).

localstripe sends each event about a second after it happens, signed ``t=..,v1=..`` with the
secret registered for the endpoint, to every endpoint registered in the session: the test
points it at a dead address when it ends, so later tests receive nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from recurra.core import clock
from recurra.core.models import Event
from recurra.payments.gateways import get_gateway
from recurra.payments.gateways.base import ChargeRequest, ChargeStatus, Customer
from recurra.payments.models import Payment, PaymentMethod, Refund, StripeEvent
from tests.localstripe import StripeWorld
from tests.stripe_webhooks import deliver, fixture, process
from tests.web.test_stripe_webhooks import charged

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def webhooks_to(stripe_gateway: StripeWorld) -> Iterator[Any]:
    """``webhooks_to(url)``: localstripe delivers its events there until the test ends."""
    yield lambda url: stripe_gateway.server.register_webhook(url, secret=settings.STRIPE_WEBHOOK_SECRET)
    stripe_gateway.server.register_webhook("http://127.0.0.1:9/", secret=settings.STRIPE_WEBHOOK_SECRET)


def stored(event_type: str, object_id: str, *, seconds: float = 10) -> StripeEvent:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = StripeEvent.objects.filter(type=event_type, object_id=object_id).first()
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no {event_type} for {object_id} within {seconds} s")


def test_a_charge_whose_answer_was_lost_is_recorded_from_localstripes_webhook(
    stripe_gateway: StripeWorld, live_server: Any, webhooks_to: Any
) -> None:
    webhooks_to(f"{live_server.url}/webhooks/stripe")
    payment = charged(status="pending", pi="", key="renewal/inv_live/1")
    gateway = get_gateway()
    ada = Customer(contact_id=payment.contact_id, email="ada@example.com", name="Ada Lovelace")
    details = gateway.tokenize(stripe_gateway.card(), at=clock.now(), customer=ada)
    PaymentMethod.objects.filter(pk=payment.payment_method_id).update(
        gateway_method_id=details.gateway_method_id, gateway_customer_id=details.customer_id
    )
    request = ChargeRequest(
        idempotency_key=payment.idempotency_key,
        amount=payment.amount,
        currency=payment.currency,
        method_id=details.gateway_method_id,
        customer_id=details.customer_id,
    )
    ready = gateway.prepare([request], at=clock.now())[0]
    Payment.objects.filter(pk=payment.pk).update(gateway_charge_id=ready.reference)
    assert gateway.charge(ready, at=clock.now()).status == ChargeStatus.SUCCEEDED
    # The worker died here: Stripe charged, Recurra recorded nothing. Stripe's webhook tells.
    assert Payment.objects.get(pk=payment.pk).status == "pending"

    event = stored("payment_intent.succeeded", ready.reference)
    assert event.payload["data"]["object"]["metadata"]["recurra_key"] == "renewal/inv_live/1"
    process()
    event.refresh_from_db()
    assert (event.outcome, event.detail) == ("processed", f"payment {payment.pk} succeeded")
    row = Payment.objects.get(pk=payment.pk)
    assert (row.status, row.invoice.status) == ("succeeded", "paid")
    assert [i.id for i in stripe_gateway.succeeded_intents()] == [ready.reference]
    others = StripeEvent.objects.exclude(pk=event.pk)
    assert set(others.values_list("outcome", flat=True)) <= {"ignored", "processed", "received"}


def test_a_refund_list_left_out_of_the_event_is_asked_of_stripe(
    stripe_gateway: StripeWorld, frozen_clock: Any
) -> None:
    api = stripe_gateway.client()
    method = stripe_gateway.card()
    intent = api.v1.payment_intents.create(
        params={"amount": 9800, "currency": "usd", "payment_method": method, "confirm": True}
    )
    assert intent.status == "succeeded"
    made = api.v1.refunds.create(params={"payment_intent": intent.id, "amount": 2500})  # the Dashboard
    payment = charged(status="succeeded", pi=intent.id, key="renewal/inv_paid/1", payments_made=1)

    event = fixture("charge.refunded", payment_intent=intent.id)
    del event["data"]["object"]["refunds"]  # API versions since 2022-11-15 leave them out
    deliver(event)
    process()
    [refund] = Refund.objects.filter(payment=payment)
    assert (refund.amount, refund.status, refund.gateway_refund_id) == (2500, "succeeded", made.id)
    assert len(stripe_gateway.proxy.calls("GET", r"^/v1/refunds$")) == 1


def test_a_card_saved_through_a_setup_intent_is_saved_for_its_contact(
    stripe_gateway: StripeWorld, frozen_clock: Any
) -> None:
    payment = charged(status="succeeded", pi="pi_x", key="renewal/inv_paid/1")
    method_id = stripe_gateway.card(exp_year=2031)
    seti = fixture(
        "setup_intent.succeeded", payment_method=method_id, metadata={"recurra_contact": payment.contact_id}
    )
    deliver(seti)
    deliver(
        fixture(
            "setup_intent.succeeded",
            event_id="evt_again",
            payment_method=method_id,
            metadata={"recurra_contact": payment.contact_id},
        )
    )
    process()
    saved = PaymentMethod.objects.get(gateway_method_id=method_id)
    assert (saved.contact_id, saved.brand, saved.last4, saved.exp_year) == (
        payment.contact_id,
        "visa",
        "4242",
        2031,
    )
    details = {e.pk: e.detail for e in StripeEvent.objects.all()}
    assert sorted(details.values()) == sorted(
        [
            f"payment method {saved.pk} saved for {payment.contact_id}",
            f"payment method {saved.pk} was saved already",
        ]
    )
    assert Event.objects.get(type="paymentmethod.created", object_id=saved.pk).actor_name == "Stripe"
