"""``POST /webhooks/stripe``: events in Stripe's documented shape (tests/fixtures/stripe), signed with
the test secret, posted with a test client that enforces CSRF, then processed by the worker's run.

Each payment below is in the state Recurra's charging leaves it in (an open invoice of $98.00 /
€98.00 and its payment, pending or processing), and Stripe tells the rest:

    SEPA debit:  pending ──processing──► processing ──succeeded──► succeeded (invoice paid)
    card:        succeeded ──dispute created──► disputed ──closed won──► succeeded
                                                       └──closed lost─► disputed (lost)
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction

from recurra.accounts.roles import Role
from recurra.catalog.line_items import LineItemInput
from recurra.commerce.models import Purchase
from recurra.commerce.payment_links import payment_link_create
from recurra.core import clock
from recurra.core.models import Event
from recurra.crm.models import Contact
from recurra.invoicing.models import Invoice
from recurra.jobs.models import Job
from recurra.notifications.models import EmailMessage
from recurra.payments.models import Payment, PaymentMethod, Refund, StripeEvent
from recurra.payments.refunds import refund_reserve
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM, T0
from tests.stripe_webhooks import deliver, fixture, process, signature, use_stripe
from tests.web.conftest import make_user
from tests.web.test_subscription_pages import make_invoice, make_payment, make_subscription

SEPA_PI = "pi_3QsepaDebit00000000001"
CARD_PI = "pi_3QcardDeclined0000001"
PAID_PI = "pi_3QcardPaid00000000001"


@pytest.fixture
def stripe_settings(settings: Any, frozen_clock: Any) -> Any:
    """Recurra on Stripe, with a Stripe that no call reaches (these events need none)."""
    return use_stripe(settings)


@pytest.fixture
def admin_user(db: None) -> Any:
    return make_user(Role.SUPER_ADMIN, "sam")


def charged(
    *, status: str, pi: str, key: str, currency: str = "USD", method_type: str = "card", **sub: Any
) -> Payment:
    """Ada's $98.00 (or €98.00) monthly subscription whose first invoice was charged through Stripe,
    the charge's answer ``status`` recorded (``pending``: none recorded yet)."""
    contact = Contact.objects.create(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    method = PaymentMethod.objects.create(
        contact=contact,
        gateway="stripe",
        gateway_method_id=f"pm_for_{pi}",
        gateway_customer_id="cus_QAda",
        type=method_type,
        brand="visa" if method_type == "card" else "",
        last4="4242" if method_type == "card" else "3000",
    )
    fields = {"payments_made": 0, "total_collected": 0, "last_payment_amount": 0, **sub}
    subscription = make_subscription(contact, payment_method=method, currency=currency, **fields)
    paid = status in ("succeeded", "partially_refunded")
    invoice = make_invoice(
        subscription,
        status="paid" if paid else "open",
        amount_paid=9800 if paid else 0,
        amount_due=0 if paid else 9800,
    )
    return make_payment(
        invoice,
        payment_method=method,
        status=status,
        gateway="stripe",
        gateway_charge_id=pi,
        idempotency_key=key,
        method_type=method_type,
    )


def state(payment: Payment) -> tuple[str, str, int]:
    row = Payment.objects.get(pk=payment.pk)
    return row.status, row.invoice.status, row.invoice.amount_due


def outcome(event_id: str) -> tuple[str, str]:
    event = StripeEvent.objects.get(pk=event_id)
    return event.outcome, event.detail


def emails(kind: str) -> list[tuple[str, str]]:
    return [(m.to, m.subject) for m in EmailMessage.objects.filter(kind=kind).order_by("id")]


def event_types(obj: Any) -> list[str]:
    return list(
        Event.objects.filter(object_id=obj.pk).order_by("created_at", "id").values_list("type", flat=True)
    )


# -- payment intents ------------------------------------------------------------------------------


def test_sepa_debit_processing_then_succeeded_pays_the_invoice(stripe_settings: Any, admin_user: Any) -> None:
    payment = charged(
        status="pending", pi=SEPA_PI, key="renewal/inv_sepa/1", currency="EUR", method_type="sepa_debit"
    )

    answer = deliver(fixture("payment_intent.processing"))
    assert answer.status_code == 200
    assert answer.json() == {"id": "evt_3QsepaProcessing000001", "received": True, "duplicate": False}
    assert state(payment) == ("pending", "open", 9800)  # nothing processed while Stripe waits
    process()
    assert state(payment) == ("processing", "open", 9800)
    assert outcome("evt_3QsepaProcessing000001") == ("processed", f"payment {payment.pk} processing")

    deliver(fixture("payment_intent.succeeded"))
    process()
    assert state(payment) == ("succeeded", "paid", 0)
    sub = Subscription.objects.get(pk=payment.subscription_id)
    assert (sub.payments_made, sub.total_collected) == (1, 9800)
    assert [to for to, _ in emails("receipt")] == ["ada@example.com"]
    assert emails("admin_payment_succeeded") == [
        ("sam@recurra.example", "Payment received: €98.00 from Ada Lovelace")
    ]
    assert event_types(payment)[-2:] == ["payment.processing", "payment.succeeded"]
    assert Event.objects.filter(object_id=payment.pk, type="payment.succeeded").get().actor_name == "Stripe"
    assert outcome("evt_3QsepaSucceeded0000001") == ("processed", f"payment {payment.pk} succeeded")


def test_a_late_processing_after_succeeded_changes_nothing(stripe_settings: Any) -> None:
    payment = charged(
        status="pending", pi=SEPA_PI, key="renewal/inv_sepa/1", currency="EUR", method_type="sepa_debit"
    )
    deliver(fixture("payment_intent.succeeded"))
    deliver(fixture("payment_intent.processing"))  # sent first, delivered last
    process()
    assert state(payment) == ("succeeded", "paid", 0)
    assert outcome("evt_3QsepaProcessing000001") == (
        "processed",
        f"payment {payment.pk} is succeeded already: nothing changed",
    )
    assert event_types(payment).count("payment.succeeded") == 1
    assert "payment.processing" not in event_types(payment)
    assert len(emails("receipt")) == 1


def test_a_payment_is_found_by_its_key_when_its_intent_id_was_not_stored(stripe_settings: Any) -> None:
    payment = charged(
        status="pending", pi="", key="renewal/inv_sepa/1", currency="EUR", method_type="sepa_debit"
    )
    deliver(fixture("payment_intent.succeeded"))
    process()
    row = Payment.objects.get(pk=payment.pk)
    assert (row.status, row.gateway_charge_id) == ("succeeded", SEPA_PI)


def test_the_same_event_twice_is_stored_once_and_recorded_once(stripe_settings: Any) -> None:
    payment = charged(
        status="processing", pi=SEPA_PI, key="renewal/inv_sepa/1", currency="EUR", method_type="sepa_debit"
    )
    event = fixture("payment_intent.succeeded")
    first, again = deliver(event), deliver(event)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {"id": "evt_3QsepaSucceeded0000001", "received": True, "duplicate": True}
    assert StripeEvent.objects.count() == 1
    assert Job.objects.filter(kind="stripe_event").count() == 1
    process()
    deliver(event)  # once more, after it was processed
    process()
    assert state(payment) == ("succeeded", "paid", 0)
    assert event_types(payment).count("payment.succeeded") == 1
    assert len(emails("receipt")) == 1
    assert Job.objects.filter(kind="stripe_event").count() == 1


def test_a_declined_card_fails_the_payment_with_stripes_code(stripe_settings: Any, admin_user: Any) -> None:
    payment = charged(status="pending", pi=CARD_PI, key="renewal/inv_card/1")
    deliver(fixture("payment_intent.payment_failed"))
    process()
    row = Payment.objects.get(pk=payment.pk)
    assert (row.status, row.failure_code, row.failure_message, row.retryable) == (
        "failed",
        "insufficient_funds",
        "Your card has insufficient funds.",
        True,
    )
    assert Subscription.objects.get(pk=payment.subscription_id).status == "past_due"
    assert [to for to, _ in emails("payment_failed")] == ["ada@example.com"]
    assert [to for to, _ in emails("admin_payment_failed")] == ["sam@recurra.example"]


def test_an_intent_waiting_for_the_buyer_records_nothing(stripe_settings: Any) -> None:
    payment = charged(status="pending", pi="pi_3QcardThreeDS00000001", key="online/inv_3ds/1")
    deliver(fixture("payment_intent.requires_action"))
    process()
    assert state(payment) == ("pending", "open", 9800)
    assert outcome("evt_3QcardRequiresAction01") == (
        "processed",
        f"payment {payment.pk} waits for the buyer's authentication: nothing to record",
    )


def test_an_intent_of_another_amount_is_refused_not_recorded(stripe_settings: Any) -> None:
    payment = charged(status="pending", pi=CARD_PI, key="renewal/inv_card/1")
    deliver(fixture("payment_intent.payment_failed", amount=9900))
    process()
    assert state(payment) == ("pending", "open", 9800)
    assert outcome("evt_3QcardFailed000000001") == (
        "failed",
        f"{CARD_PI} is 9900 USD, but renewal/inv_card/1 is 9800 USD",
    )


def test_another_intent_of_the_same_key_is_not_the_payments(stripe_settings: Any) -> None:
    payment = charged(status="pending", pi="pi_3QtheStoredOne00000001", key="renewal/inv_card/1")
    deliver(fixture("payment_intent.payment_failed"))
    process()
    assert state(payment) == ("pending", "open", 9800)
    assert outcome("evt_3QcardFailed000000001") == (
        "failed",
        f"{CARD_PI} is not the PaymentIntent of payment {payment.pk} (pi_3QtheStoredOne00000001)",
    )


def test_an_intent_of_nothing_recurra_knows_and_an_unused_type_are_ignored(stripe_settings: Any) -> None:
    deliver(fixture("payment_intent.succeeded"))
    customer = fixture(
        "payment_intent.succeeded", event_id="evt_1Qcustomer", id="cus_QAda", object="customer"
    )
    customer["type"] = "customer.created"
    deliver(customer)
    process()
    assert outcome("evt_3QsepaSucceeded0000001") == (
        "ignored",
        f"no Recurra payment or pending purchase has {SEPA_PI}",
    )
    assert outcome("evt_1Qcustomer") == ("ignored", "not used")


def test_a_pending_purchase_is_completed_by_its_intent(stripe_settings: Any) -> None:
    item = LineItemInput(name="Pro plan", unit_amount=9800, currency="USD", billing_frequency="monthly")
    link = payment_link_create(name="Pro", line_items=[item], actor=SYSTEM, at=T0)
    purchase = Purchase.objects.create(
        payment_link=link,
        email="grace@example.com",
        first_name="Grace",
        gateway="stripe",
        gateway_method_id="pm_1Qgrace",
        gateway_charge_id=PAID_PI,
        method_type="card",
        brand="visa",
        last4="4242",
        amount=9800,
        currency="USD",
        idempotency_key="purchase/lnk/att_1",
        created_at=T0,
    )
    succeeded = fixture("payment_intent.succeeded", id=PAID_PI, currency="usd", metadata={})
    deliver(succeeded)
    process()
    purchase.refresh_from_db()
    assert purchase.status == "completed"
    assert purchase.payment is not None and purchase.payment.status == "succeeded"
    assert Subscription.objects.get(purchase=purchase).contact.email == "grace@example.com"
    assert outcome("evt_3QsepaSucceeded0000001") == (
        "processed",
        f"purchase {purchase.pk} completed; payment {purchase.payment.pk} succeeded",
    )


# -- signatures -----------------------------------------------------------------------------------


def test_a_delivery_without_a_good_signature_is_a_400_and_stores_nothing(stripe_settings: Any) -> None:
    event = fixture("payment_intent.succeeded")
    body = json.dumps(event).encode()
    answers = {
        "wrong secret": deliver(event, secret="whsec_someone_else"),
        "no header": deliver(event, header=""),
        "garbled header": deliver(event, header="t=abc,v1=xyz"),
        "tampered body": deliver(body.replace(b'"amount": 9800', b'"amount": 1'), header=signature(body)),
        "older than 300 s": deliver(event, timestamp=int(time.time()) - 301),
        "not JSON": deliver(b"not json"),
        "not an event": deliver(b'{"id": "evt_1", "type": "x"}'),
        "a list": deliver(b"[1, 2]"),
    }
    for why, answer in answers.items():
        assert answer.status_code == 400, why
        assert answer["Content-Type"] == "application/problem+json", why
        assert answer.json()["type"] == "urn:recurra:problem:webhook-refused", why
    assert answers["older than 300 s"].json()["detail"] == (
        "the Stripe-Signature header does not match: it is older than 300 seconds"
    )
    assert (
        answers["no header"].json()["detail"] == "the Stripe-Signature header does not match: there is none"
    )
    assert answers["not JSON"].json()["detail"] == "the body is not a Stripe event"
    assert StripeEvent.objects.count() == 0 and Job.objects.count() == 0


def test_a_delivery_within_300_s_is_taken(stripe_settings: Any) -> None:
    assert deliver(fixture("payment_intent.succeeded"), timestamp=int(time.time()) - 290).status_code == 200


def test_without_the_stripe_gateway_there_is_no_endpoint(settings: Any, db: None) -> None:
    settings.RECURRA_GATEWAY = "sandbox"
    answer = deliver(fixture("payment_intent.succeeded"))
    assert answer.status_code == 404
    assert answer.json()["type"] == "urn:recurra:problem:not-found"
    assert StripeEvent.objects.count() == 0


def test_only_post(stripe_settings: Any, client: Any) -> None:
    assert client.get("/webhooks/stripe").status_code == 405


# -- disputes -------------------------------------------------------------------------------------


def test_a_dispute_opened_then_won(stripe_settings: Any, admin_user: Any) -> None:
    payment = charged(status="succeeded", pi=PAID_PI, key="renewal/inv_paid/1", payments_made=1)
    deliver(fixture("charge.dispute.created"))
    process()
    row = Payment.objects.get(pk=payment.pk)
    assert (row.status, row.dispute_status) == ("disputed", "needs_response")
    [(to, subject)] = emails("admin_payment_disputed")
    assert (to, subject) == ("sam@recurra.example", "Payment disputed: $98.00 from Ada Lovelace")
    notice = EmailMessage.objects.get(kind="admin_payment_disputed")
    assert notice.data["reason"] == "product not received"
    assert notice.data["respond_by"] == "2027-01-31"  # evidence due 2027-01-31 23:59:59 (UTC, the account's)

    deliver(fixture("charge.dispute.closed"))
    process()
    row.refresh_from_db()
    assert (row.status, row.dispute_status) == ("succeeded", "won")
    assert emails("admin_payment_disputed")[1] == (
        "sam@recurra.example",
        "Dispute won: $98.00 from Ada Lovelace",
    )
    assert event_types(payment)[-2:] == ["payment.disputed", "payment.dispute_closed"]

    deliver(fixture("charge.dispute.created", event_id="evt_1QdisputeCreatedLate1"))  # late
    process()
    row.refresh_from_db()
    assert (row.status, row.dispute_status) == ("succeeded", "won")
    assert len(emails("admin_payment_disputed")) == 2
    assert outcome("evt_1QdisputeCreatedLate1") == (
        "processed",
        f"payment {payment.pk}: dispute needs_response is no news",
    )


def test_a_dispute_lost_stays_disputed(stripe_settings: Any, admin_user: Any) -> None:
    payment = charged(status="succeeded", pi=PAID_PI, key="renewal/inv_paid/1", payments_made=1)
    deliver(fixture("charge.dispute.created"))
    review = fixture("charge.dispute.created", event_id="evt_1Qreview", status="under_review")
    review["type"] = "charge.dispute.updated"
    deliver(review)
    deliver(fixture("charge.dispute.closed", status="lost"))
    process()
    row = Payment.objects.get(pk=payment.pk)
    assert (row.status, row.dispute_status) == ("disputed", "lost")
    assert [subject for _, subject in emails("admin_payment_disputed")] == [
        "Payment disputed: $98.00 from Ada Lovelace",
        "Dispute lost: $98.00 from Ada Lovelace",
    ]
    assert event_types(payment)[-3:] == [
        "payment.disputed",
        "payment.dispute_updated",
        "payment.dispute_closed",
    ]


def test_a_dispute_before_the_payments_outcome_waits_for_it(stripe_settings: Any) -> None:
    payment = charged(status="pending", pi=PAID_PI, key="renewal/inv_paid/1")
    deliver(fixture("charge.dispute.created"))
    process()
    assert outcome("evt_1QdisputeCreated00001")[0] == "failed"
    assert state(payment) == ("pending", "open", 9800)
    job = Job.objects.get(kind="stripe_event")
    assert (job.status, job.attempts) == ("queued", 1)

    deliver(fixture("payment_intent.succeeded", id=PAID_PI, currency="usd", metadata={}))
    process()
    clock.freeze(T0 + timedelta(minutes=2))  # the job's first retry is a minute later
    process()
    row = Payment.objects.get(pk=payment.pk)
    assert (row.status, row.dispute_status) == ("disputed", "needs_response")
    assert outcome("evt_1QdisputeCreated00001")[0] == "processed"


# -- refunds --------------------------------------------------------------------------------------


def test_a_refund_made_in_the_dashboard_is_recorded_once(stripe_settings: Any) -> None:
    payment = charged(
        status="succeeded", pi=PAID_PI, key="renewal/inv_paid/1", payments_made=1, total_collected=9800
    )
    deliver(fixture("charge.refunded"))
    deliver(fixture("charge.refunded", event_id="evt_3QchargeRefundedAgain1"))  # another event, same refund
    process()
    [refund] = Refund.objects.filter(payment=payment)
    assert (refund.amount, refund.status, refund.idempotency_key, refund.gateway_refund_id) == (
        3000,
        "succeeded",
        "stripe:re_3QdashboardRefund0001",
        "re_3QdashboardRefund0001",
    )
    row = Payment.objects.get(pk=payment.pk)
    assert (row.status, row.amount_refunded) == ("partially_refunded", 3000)
    assert Invoice.objects.get(pk=row.invoice_id).amount_refunded == 3000
    assert Subscription.objects.get(pk=row.subscription_id).total_collected == 6800
    assert event_types(refund) == ["refund.created", "refund.succeeded"]
    assert outcome("evt_3QchargeRefundedAgain1") == (
        "processed",
        f"payment {payment.pk}: its refunds are recorded already",
    )


def test_a_pending_refund_of_recurra_is_completed_by_the_event(stripe_settings: Any) -> None:
    payment = charged(
        status="succeeded", pi=PAID_PI, key="renewal/inv_paid/1", payments_made=1, total_collected=9800
    )
    with transaction.atomic():
        pending = refund_reserve(payment=payment, amount=3000, actor=SYSTEM, at=T0, key="refund/ours/1")
    event = fixture("charge.refunded")
    event["data"]["object"]["refunds"]["data"][0]["metadata"] = {"recurra_key": "refund/ours/1"}
    deliver(event)
    process()
    [refund] = Refund.objects.filter(payment=payment)
    assert (refund.pk, refund.status, refund.gateway_refund_id) == (
        pending.pk,
        "succeeded",
        "re_3QdashboardRefund0001",
    )
    assert state(payment)[0] == "partially_refunded"


def test_a_refund_before_the_payments_outcome_waits_for_it(stripe_settings: Any) -> None:
    payment = charged(status="pending", pi=PAID_PI, key="renewal/inv_paid/1")
    deliver(fixture("charge.refunded"))
    process()
    assert outcome("evt_3QchargeRefunded000001")[0] == "failed"
    assert Refund.objects.count() == 0
    deliver(fixture("payment_intent.succeeded", id=PAID_PI, currency="usd", metadata={}))
    clock.freeze(T0 + timedelta(minutes=2))
    process()
    assert outcome("evt_3QchargeRefunded000001")[0] == "processed"
    row = Payment.objects.get(pk=payment.pk)
    assert (row.status, row.amount_refunded) == ("partially_refunded", 3000)


def test_a_refund_of_a_disputed_payment_keeps_it_disputed(stripe_settings: Any) -> None:
    payment = charged(status="succeeded", pi=PAID_PI, key="renewal/inv_paid/1", payments_made=1)
    deliver(fixture("charge.dispute.created"))
    deliver(fixture("charge.refunded"))
    process()
    row = Payment.objects.get(pk=payment.pk)
    assert (row.status, row.dispute_status, row.amount_refunded) == ("disputed", "needs_response", 3000)


# -- payment methods ------------------------------------------------------------------------------


def saved_card(contact: Contact) -> PaymentMethod:
    return PaymentMethod.objects.create(
        contact=contact,
        gateway="stripe",
        gateway_method_id="pm_1QcardAda00000000002",
        gateway_customer_id="cus_QcardAdaLovelace",
        type="card",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2030,
    )


def test_a_card_updated_at_stripe_then_detached(stripe_settings: Any) -> None:
    method = saved_card(Contact.objects.create(email="ada@example.com"))
    deliver(fixture("payment_method.updated"))
    process()
    method.refresh_from_db()
    assert (method.exp_month, method.exp_year, method.detached_at) == (3, 2031, None)
    assert outcome("evt_1QpmUpdated0000000001") == (
        "processed",
        f"payment method {method.pk}: exp_month, exp_year updated",
    )

    older = fixture("payment_method.updated", event_id="evt_1QpmUpdatedEarlier01", created=1800900000)
    older["data"]["object"]["card"] = {**older["data"]["object"]["card"], "exp_month": 1, "exp_year": 2031}
    deliver(older)  # an earlier change, delivered late
    process()
    method.refresh_from_db()
    assert (method.exp_month, method.exp_year) == (3, 2031)

    deliver(fixture("payment_method.detached"))
    process()
    method.refresh_from_db()
    assert method.detached_at == T0
    assert event_types(method)[-2:] == ["paymentmethod.updated", "paymentmethod.detached"]


# -- the settings page ----------------------------------------------------------------------------


def test_the_settings_page_shows_the_last_webhook(stripe_settings: Any, admin: Any) -> None:
    charged(status="pending", pi=CARD_PI, key="renewal/inv_card/1")
    deliver(fixture("payment_intent.payment_failed"))
    html = admin.get("/settings/payments/").content.decode()
    assert "Last received: <code>payment_intent.payment_failed</code> on 15 Jan 2027, 09:30." in html
    assert '<span class="badge status-received">Received</span>' in html
    process()
    html = admin.get("/settings/payments/").content.decode()
    assert '<span class="badge status-processed">Processed</span>' in html
    assert "evt_3QcardFailed000000001" in html
