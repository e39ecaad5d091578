"""Selling on Stripe (localstripe): Recurra keeps the schedule, Stripe moves the money.

    2027-01-15 09:30 UTC  Ada subscribes, 25.00 a month, card 4242 saved through a SetupIntent
    Feb 15, Mar 15        renewals: off-session PaymentIntents, each confirmed once
    Mar 20                a partial refund, then the rest: Stripe holds both refunds

    2027-01-01 09:30 UTC  Dora's card 4000…0341 attaches, then every charge fails (card_declined)
    Jan 1                 first charge declined: Unpaid, payment_failed with an update link
    Jan 4, 6, 8           the retry schedule (a soft decline): each declined at Stripe
    Jan 8, later          Dora saves 4242 through the emailed update link: paid, Active again

    2027-01-01 09:30 UTC  Sam's card 4000 0027 6000 3184 wants 3-D Secure on every charge
    Jan 1                 the off-session charge fails authentication_required: Unpaid, no retry,
                          an email asks Sam to confirm it on the invoice's page
    Jan 2                 on the page: 402 with the secret; Sam authenticates; the same request pays

    2027-01-01 09:30 UTC  Eva pays by SEPA Direct Debit: processing; Stripe's webhook would say when it
                          settles; none comes, so it is looked up 16 business days later (Jan 25)

Every test ends with Recurra and localstripe agreeing: one succeeded PaymentIntent
per succeeded payment, the same id and amount.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from recurra.billing.online import invoice_pay
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.invoicing.links import invoice_for_token
from recurra.payments.models import Payment
from recurra.payments.refunds import payment_refund
from recurra.payments.services import PaymentNeedsAction
from recurra.subscriptions.services import subscription_create
from recurra.subscriptions.update_links import update_link_for_token, update_link_use
from tests.localstripe import StripeWorld
from tests.scenarios.conftest import freeze_at, item, months

pytestmark = pytest.mark.django_db(transaction=True)
STAFF = Actor.system()


def assert_stripe_agrees(world: StripeWorld) -> None:
    """One succeeded PaymentIntent per succeeded Recurra payment (same id, amount, currency)."""
    ours = {
        (p.gateway_charge_id, p.amount, p.currency.lower())
        for p in Payment.objects.filter(status__in=("succeeded", "partially_refunded", "refunded"))
    }
    theirs = {(i.id, i.amount, i.currency) for i in world.succeeded_intents()}
    assert ours == theirs


def _subscribe(scenario, world: StripeWorld, email: str, card: str, amount: int):
    contact = scenario.contact(email, email.split("@")[0].title())
    return scenario.subscribe(contact, item(amount=amount), token=world.card(card))


def test_renewals_are_charged_through_stripe_and_refunded_there(scenario, stripe_gateway):
    freeze_at(2027, 1, 15, 9, 30)
    sub = _subscribe(scenario, stripe_gateway, "ada@example.com", "4242424242424242", 2500)
    method = scenario.fresh(sub).payment_method
    assert (method.gateway, method.brand, method.last4) == ("stripe", "visa", "4242")
    assert method.gateway_method_id.startswith("pm_") and method.gateway_customer_id.startswith("cus_")

    for day in [datetime(2027, 1, 15, 9, 30, tzinfo=UTC), *months(date(2027, 2, 15), 2)]:
        scenario.advance(day)

    assert [(i.number, i.status) for i in scenario.invoices(sub)] == [
        ("INV-1", "paid"),
        ("INV-2", "paid"),
        ("INV-3", "paid"),
    ]
    payments = scenario.payments(sub)
    assert [(p.status, p.amount, p.gateway) for p in payments] == [("succeeded", 2500, "stripe")] * 3
    intents = {i.id: i for i in stripe_gateway.intents()}
    for payment in payments:
        intent = intents[payment.gateway_charge_id]
        assert (intent.customer, intent.payment_method) == (
            method.gateway_customer_id,
            method.gateway_method_id,
        )
        assert intent.metadata["recurra_key"] == payment.idempotency_key
        assert intent.metadata["invoice"] == payment.invoice_id
        assert intent.metadata["subscription"] == sub.pk
    assert_stripe_agrees(stripe_gateway)

    scenario.advance(date(2027, 3, 20))
    last = payments[-1]
    payment_refund(payment=last, amount=1000, actor=STAFF, at=clock.now())
    refunded = payment_refund(payment=last, amount=None, actor=STAFF, at=clock.now())
    assert (refunded.status, refunded.amount_refunded) == ("refunded", 2500)
    stripe_refunds = stripe_gateway.client().v1.refunds.list(
        params={"payment_intent": last.gateway_charge_id}
    )
    assert sorted(r.amount for r in stripe_refunds.data) == [1000, 1500]
    assert {r.metadata["recurra_key"] for r in stripe_refunds.data} == set(
        last.refunds.values_list("idempotency_key", flat=True)
    )
    assert scenario.fresh(sub).total_collected == 2 * 2500
    scenario.check_invariants()


def test_a_declining_card_is_dunned_to_unpaid_and_recovered_through_the_update_link(scenario, stripe_gateway):
    freeze_at(2027, 1, 1, 9, 30)
    sub = _subscribe(scenario, stripe_gateway, "dora@example.com", "4000000000000341", 2000)
    scenario.advance(datetime(2027, 1, 1, 9, 30, tzinfo=UTC))
    assert scenario.fresh(sub).get_status_display() == "Unpaid"
    for day in (4, 6, 8):
        scenario.advance(date(2027, 1, day))

    (invoice,) = scenario.invoices(sub)
    attempts = [(p.origin, p.status, p.failure_code, p.retryable) for p in scenario.payments(sub)]
    assert (
        attempts
        == [("renewal", "failed", "card_declined", True)] + [("retry", "failed", "card_declined", True)] * 3
    )
    declined = {i.id: i.status for i in stripe_gateway.intents()}
    assert sorted(declined) == sorted(p.gateway_charge_id for p in scenario.payments(sub))
    assert set(declined.values()) == {"requires_payment_method"}  # Stripe's own record of each decline
    (failed,) = scenario.emails(kind="payment_failed", sub=sub)
    assert failed.data["failure_message"] == "Your card was declined."

    url = scenario.delivered_link(failed, "update_url")
    link = update_link_for_token(url.rstrip("/").rsplit("/", 1)[-1], at=clock.now())
    assert link is not None
    charged = update_link_use(link=link, token=stripe_gateway.card("4242424242424242"), at=clock.now())

    assert charged.succeeded == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_due) == ("paid", 0)
    now = scenario.fresh(sub)
    assert (now.status, now.payment_method.last4) == ("active", "4242")
    assert_stripe_agrees(stripe_gateway)
    scenario.check_invariants()


def test_a_card_that_wants_3d_secure_is_confirmed_by_the_buyer_on_the_invoice_page(scenario, stripe_gateway):
    freeze_at(2027, 1, 1, 9, 30)
    sub = _subscribe(scenario, stripe_gateway, "sam@example.com", "4000002760003184", 3000)
    scenario.advance(datetime(2027, 1, 1, 9, 30, tzinfo=UTC))

    (invoice,) = scenario.invoices(sub)
    (first,) = scenario.payments(sub)
    assert (first.status, first.failure_code, first.retryable) == ("failed", "authentication_required", False)
    assert stripe_gateway.client().v1.payment_intents.retrieve(first.gateway_charge_id).status == "canceled"
    assert scenario.fresh(sub).get_status_display() == "Unpaid"
    assert scenario.emails(kind="payment_failed", sub=sub) == []
    (ask,) = scenario.emails(kind="payment_action_required", sub=sub)
    assert (ask.to, ask.data["amount"], ask.data["invoice_number"]) == ("sam@example.com", 3000, "INV-1")

    scenario.advance(date(2027, 1, 2))
    token = scenario.delivered_link(ask, "pay_url").rstrip("/").rsplit("/", 1)[-1]
    assert invoice_for_token(token).pk == invoice.pk
    method = scenario.fresh(sub).payment_method
    buyer = Actor("system", invoice.pk, "Buyer")
    with pytest.raises(PaymentNeedsAction) as asked:
        invoice_pay(invoice=invoice, payment_method=method, actor=buyer, at=clock.now())
    secret = asked.value.client_secret
    waiting = Payment.objects.get(invoice=invoice, origin="online")
    assert waiting.status == "requires_action" and secret.startswith(waiting.gateway_charge_id)

    stripe_gateway.authenticate(waiting.gateway_charge_id, secret)
    paid = invoice_pay(invoice=invoice, payment_method=method, actor=buyer, at=clock.now())

    assert paid.pk == waiting.pk and paid.status == "succeeded"
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert scenario.fresh(sub).status == "active"
    assert len(stripe_gateway.proxy.calls("POST", r"^/v1/payment_intents$")) == 2  # renewal, page
    assert_stripe_agrees(stripe_gateway)


def test_a_bank_debit_still_processing_is_looked_up_after_16_business_days(scenario, stripe_gateway):
    freeze_at(2027, 1, 1, 9, 30)  # a Friday
    contact = scenario.contact("eva@example.com", "Eva")
    method = scenario.method(contact, stripe_gateway.sepa_debit())
    assert (method.type, method.last4, method.mandate) == ("sepa_debit", "3000", "NXDSYREGC9PSMKWY")
    sub = subscription_create(
        contact=contact,
        line_items=[item(amount=4000, currency="EUR")],
        payment_method=method,
        allowed_payment_methods=("card", "sepa_debit"),
        collection_method="charge_automatically",
        actor=STAFF,
        at=clock.now(),
    )
    stripe_gateway.proxy.patch_reply(r"/confirm$", {"status": "processing"})  # as Stripe answers SEPA
    scenario.advance(datetime(2027, 1, 1, 9, 30, tzinfo=UTC))
    (payment,) = scenario.payments(sub)
    assert payment.status == "processing"

    looked_up = len(stripe_gateway.proxy.calls("GET", r"^/v1/payment_intents/"))
    scenario.advance(date(2027, 1, 24))
    assert scenario.payments(sub)[0].status == "processing"  # not asked: its webhook tells first
    assert len(stripe_gateway.proxy.calls("GET", r"^/v1/payment_intents/")) == looked_up

    scenario.advance(date(2027, 1, 26))
    (settled,) = scenario.payments(sub)
    assert (settled.status, settled.settled_at) == ("succeeded", datetime(2027, 1, 25, 9, 30, tzinfo=UTC))
    assert scenario.invoices(sub)[0].status == "paid"
    assert_stripe_agrees(stripe_gateway)
