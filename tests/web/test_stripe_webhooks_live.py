"""Stripe's webhooks with localstripe: its own signed deliveries to the running server, and events
whose processing asks Stripe (a refund list, a method saved by a SetupIntent).

localstripe sends each event about a second after it happens, signed ``t=..,v1=..`` with the
secret registered for the endpoint, to every endpoint registered in the session: the test
points it at a dead address when it ends, so later tests receive nothing. While it waits,
the test reads no table (the deliveries are watched as they are answered): the in-memory
SQLite of the test run locks a table that another connection reads, where a real SQLite file
(WAL) would let the reader be.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings

from recurra.core import clock
from recurra.core.models import Event
from recurra.payments.gateways import get_gateway
from recurra.payments.gateways.base import ChargeRequest, ChargeStatus, Customer
from recurra.payments.models import Payment, PaymentMethod, Refund, StripeEvent
from recurra.web.views import stripe_webhook
from tests.localstripe import SECRET_KEY, StripeWorld
from tests.stripe_webhooks import deliver, fixture, process
from tests.web.test_stripe_webhooks import charged

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Deliveries:
    """What the endpoint answered each delivery: (event type, object id) or the refusal's text."""

    seen: list[tuple[str, str]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, event_type: str, object_id: str, *, seconds: float = 10) -> None:
        with self.changed:
            if not self.changed.wait_for(
                lambda: (event_type, object_id) in self.seen or self.refused, seconds
            ):
                raise AssertionError(f"no {event_type} for {object_id} within {seconds} s: {self.seen}")
        assert self.refused == []


@pytest.fixture
def deliveries(stripe_gateway: StripeWorld, live_server: Any, monkeypatch: Any) -> Iterator[Deliveries]:
    """localstripe's ``payment_intent.*`` events delivered to the live server until the test ends,
    each one watched as the endpoint answers it."""
    watched = Deliveries()
    receive = stripe_webhook.stripe_event_receive

    def watching(**kwargs: Any) -> Any:
        try:
            event, new = receive(**kwargs)
        except Exception as exc:
            with watched.changed:
                watched.refused.append(str(exc))
                watched.changed.notify_all()
            raise
        with watched.changed:
            watched.seen.append((event.type, event.object_id))
            watched.changed.notify_all()
        return event, new

    monkeypatch.setattr(stripe_webhook, "stripe_event_receive", watching)
    types = ["payment_intent.succeeded", "payment_intent.processing", "payment_intent.payment_failed"]
    _endpoint(stripe_gateway, f"{live_server.url}/webhooks/stripe", types)
    yield watched
    _endpoint(stripe_gateway, "http://127.0.0.1:9/", ["payment_intent.succeeded"])  # the discard port


def _endpoint(world: StripeWorld, url: str, events: list[str]) -> None:
    """``LocalStripe.register_webhook`` with its ``events`` filter (localstripe takes JSON too)."""
    body = {"url": url, "secret": settings.STRIPE_WEBHOOK_SECRET, "events": events}
    request = urllib.request.Request(
        f"{world.server.url}/_config/webhooks/recurra",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {SECRET_KEY}"},
    )
    urllib.request.urlopen(request, timeout=10).close()


def test_a_charge_whose_answer_was_lost_is_recorded_from_localstripes_webhook(
    stripe_gateway: StripeWorld, deliveries: Deliveries
) -> None:
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

    deliveries.wait_for("payment_intent.succeeded", ready.reference)
    event = StripeEvent.objects.get(type="payment_intent.succeeded", object_id=ready.reference)
    assert event.payload["data"]["object"]["metadata"]["recurra_key"] == "renewal/inv_live/1"
    process()
    event.refresh_from_db()
    assert (event.outcome, event.detail) == ("processed", f"payment {payment.pk} succeeded")
    row = Payment.objects.get(pk=payment.pk)
    assert (row.status, row.invoice.status) == ("succeeded", "paid")
    assert [i.id for i in stripe_gateway.succeeded_intents()] == [ready.reference]
    assert deliveries.seen == [("payment_intent.succeeded", ready.reference)]


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
