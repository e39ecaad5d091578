"""The API on Stripe (localstripe): wherever a sandbox token is taken, a Stripe PaymentMethod ``pm_…`` is.

A 3-D Secure card on ``POST /invoices/{id}/pay`` answers 402 with the secret
Stripe.js authenticates with; the same request again, once authenticated,
answers the paid invoice.
"""

from __future__ import annotations

import pytest

from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment, PaymentMethod
from tests.api.support import assert_problem, ok
from tests.localstripe import StripeWorld

pytestmark = [pytest.mark.usefixtures("frozen_clock"), pytest.mark.django_db(transaction=True)]
BUYER = {"email": "mia@example.com", "first_name": "Mia", "last_name": "Hansen"}
MONTHLY = {"name": "Support", "unit_amount": 1000, "currency": "USD", "billing_frequency": "monthly"}


def test_a_contact_saves_a_stripe_payment_method(api, make, stripe_gateway: StripeWorld):
    contact = make("contacts", email="ada@example.com", first_name="Ada")
    token = stripe_gateway.card()

    body = ok(api.post(f"/contacts/{contact['id']}/payment-methods", {"token": token}), 201)

    assert (body["type"], body["brand"], body["last4"], body["exp_month"], body["exp_year"]) == (
        "card",
        "visa",
        "4242",
        12,
        2030,
    )
    saved = PaymentMethod.objects.get(pk=body["id"])
    assert (saved.gateway, saved.gateway_method_id) == ("stripe", token)
    assert stripe_gateway.client().v1.customers.retrieve(saved.gateway_customer_id).email == "ada@example.com"
    assert_problem(
        api.post(f"/contacts/{contact['id']}/payment-methods", {"token": "tok_visa"}), 422, "token"
    )


def test_a_checkout_pays_with_a_stripe_payment_method(api, stripe_gateway: StripeWorld):
    link = ok(api.post("/payment-links", {"name": "Bundle", "line_items": [MONTHLY]}), 201)

    body = ok(
        api.post(
            f"/payment-links/{link['id']}/checkout",
            {**BUYER, "payment_method": {"token": stripe_gateway.card()}},
        ),
        201,
    )

    assert (body["payment"]["amount"], body["payment"]["status"]) == (1000, "succeeded")
    payment = Payment.objects.get(pk=body["payment"]["id"])
    (intent,) = stripe_gateway.succeeded_intents()
    assert (payment.gateway, payment.gateway_charge_id, intent.amount) == ("stripe", intent.id, 1000)
    assert intent.customer == payment.payment_method.gateway_customer_id


def test_a_declined_checkout_card_is_a_422_and_buys_nothing(api, stripe_gateway: StripeWorld):
    link = ok(api.post("/payment-links", {"name": "Bundle", "line_items": [MONTHLY]}), 201)
    url = f"/payment-links/{link['id']}/checkout"

    problem = assert_problem(
        api.post(url, {**BUYER, "payment_method": {"token": stripe_gateway.card("4000000000000341")}}),
        422,
        "payment_method",
    )

    assert "Your card was declined." in problem["errors"][0]["message"]
    assert stripe_gateway.succeeded_intents() == []


def test_a_3d_secure_card_on_the_invoice_answers_402_then_pays(api, sub, stripe_gateway: StripeWorld):
    invoice = Invoice.objects.get(subscription_id=sub["id"])
    path = f"/invoices/{invoice.pk}/pay"
    body = {"payment_method": {"token": stripe_gateway.card("4000002760003184")}}

    asked = api.post(path, body)

    problem = assert_problem(asked, 402)
    waiting = Payment.objects.get(invoice=invoice)
    assert waiting.status == "requires_action"
    assert problem["client_secret"].startswith(waiting.gateway_charge_id + "_secret_")
    stripe_gateway.authenticate(waiting.gateway_charge_id, problem["client_secret"])

    paid = ok(api.post(path, body))

    assert (paid["invoice"]["status"], paid["payment"]["id"], paid["payment"]["status"]) == (
        "paid",
        waiting.pk,
        "succeeded",
    )
    assert [i.id for i in stripe_gateway.succeeded_intents()] == [waiting.gateway_charge_id]
