"""/invoices and /payments: the read API over rows the billing run writes (made here with the ORM)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings

from recurra.crm.models import Contact
from recurra.invoicing.links import invoice_for_token
from recurra.invoicing.models import Invoice, InvoiceLine
from recurra.payments.models import Payment, PaymentMethod
from recurra.subscriptions.models import Subscription
from tests.api.support import T0_TEXT, assert_problem, ok
from tests.api.test_pagination import walk
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("frozen_clock", "ordered_ids")
BASE = "https://billing.example.com"


@pytest.fixture
def contact(db) -> Contact:
    return Contact.objects.create(email="ada@example.com")


@pytest.fixture
def subscription(contact) -> Subscription:
    return Subscription.objects.create(
        name="Pro plan",
        status="active",
        contact=contact,
        currency="USD",
        billing_frequency="monthly",
        billing_terms="auto_renew",
        start_date=date(2027, 1, 15),
        collection_method="charge_automatically",
    )


def invoice(contact, subscription=None, **values) -> Invoice:
    base = {
        "contact": contact,
        "subscription": subscription,
        "currency": "USD",
        "subtotal": 3598,
        "discount": 400,
        "tax": 900,
        "total": 4498,
        "amount_due": 4498,
        "collection_method": "charge_automatically",
        "payment_terms": "due_on_receipt",
        "issued_on": date(2027, 1, 15),
        "due_on": date(2027, 1, 15),
        "status": "open",
    }
    return Invoice.objects.create(**{**base, **values})


def payment(inv: Invoice, **values) -> Payment:
    base = {
        "invoice": inv,
        "subscription": inv.subscription,
        "contact": inv.contact,
        "amount": inv.total,
        "currency": inv.currency,
        "method_type": "card",
        "gateway": "sandbox",
        "idempotency_key": f"key-{Payment.objects.count()}",
    }
    return Payment.objects.create(**{**base, **values})


@override_settings(RECURRA_BASE_URL=BASE)
def test_an_invoice_with_its_lines(api, contact, subscription):
    inv = invoice(
        contact,
        subscription,
        number="INV-1",
        subscription_name="Pro",
        period_start=date(2027, 1, 15),
        period_end=date(2027, 2, 15),
    )
    line = InvoiceLine.objects.create(
        invoice=inv,
        subscription=subscription,
        name="Pro plan",
        quantity=2,
        unit_amount=1999,
        discount_percent=Decimal("10.0000"),
        tax_rate_percent=Decimal("25.0000"),
        amount_discount=400,
        amount_subtotal=3598,
        amount_tax=900,
        amount_total=4498,
        period_start=date(2027, 1, 15),
        period_end=date(2027, 2, 15),
    )

    body = ok(api.get(f"/invoices/{inv.pk}"))

    pay_url = body.pop("pay_url")
    assert pay_url.startswith(f"{BASE}/pay/invoices/") and pay_url.endswith("/")
    assert invoice_for_token(pay_url.removeprefix(f"{BASE}/pay/invoices/").removesuffix("/")) == inv
    assert body == {
        "id": inv.pk,
        "number": "INV-1",
        "status": "open",
        "subscription_id": subscription.pk,
        "subscription_ids": [subscription.pk],
        "subscription_name": "Pro",
        "contact_id": contact.pk,
        "currency": "USD",
        "lines": [
            {
                "id": line.pk,
                "name": "Pro plan",
                "description": "",
                "quantity": 2,
                "unit_amount": 1999,
                "discount_percent": "10",
                "tax_rate_percent": "25",
                "amount_discount": 400,
                "amount_subtotal": 3598,
                "amount_tax": 900,
                "amount_total": 4498,
                "subscription_id": subscription.pk,
                "period_start": "2027-01-15",
                "period_end": "2027-02-15",
            }
        ],
        "subtotal": 3598,
        "discount": 400,
        "tax": 900,
        "total": 4498,
        "amount_paid": 0,
        "amount_refunded": 0,
        "amount_due": 4498,
        "issued_on": "2027-01-15",
        "due_on": "2027-01-15",
        "period_start": "2027-01-15",
        "period_end": "2027-02-15",
        "collection_method": "charge_automatically",
        "payment_terms": "due_on_receipt",
        "paid_at": None,
        "created_at": T0_TEXT,
    }
    assert ok(api.get("/invoices"))["data"] == [{**body, "pay_url": pay_url}]


@pytest.mark.parametrize(
    ("status", "has_url"),
    [("draft", False), ("open", True), ("paid", True), ("void", False), ("uncollectible", True)],
)
def test_only_an_invoice_that_can_be_paid_or_seen_paid_has_a_pay_url(api, contact, status, has_url):
    inv = invoice(contact, status=status)
    assert (ok(api.get(f"/invoices/{inv.pk}"))["pay_url"] is not None) is has_url


def test_invoice_filters_and_pages(api, contact, subscription):
    other = Contact.objects.create(email="bob@example.com")
    a = invoice(contact, subscription, status="paid", amount_paid=4498, amount_due=0, paid_at=T0)
    b = invoice(contact, subscription)
    c = invoice(other)

    def ids(**params):
        return [row["id"] for row in ok(api.get("/invoices", **params))["data"]]

    assert ids() == [c.pk, b.pk, a.pk]
    assert ids(subscription_id=subscription.pk) == [b.pk, a.pk]
    assert ids(contact_id=other.pk) == [c.pk]
    assert ids(status="paid") == [a.pk]
    assert ids(status="open", subscription_id=subscription.pk) == [b.pk]
    assert ok(api.get(f"/invoices/{a.pk}"))["paid_at"] == T0_TEXT
    _, rows = walk(api, "/invoices", 1)
    assert [r["id"] for r in rows] == [c.pk, b.pk, a.pk]
    assert_problem(api.get("/invoices", status="overdue"), 422, "status")


def test_a_payment(api, contact, subscription):
    inv = invoice(contact, subscription)
    card = PaymentMethod.objects.create(
        contact=contact, gateway="sandbox", gateway_method_id="gw_1", type="card"
    )
    pay = payment(
        inv,
        payment_method=card,
        status="failed",
        failure_code="insufficient_funds",
        failure_message="Your card has insufficient funds.",
    )

    body = ok(api.get(f"/payments/{pay.pk}"))

    assert body == {
        "id": pay.pk,
        "invoice_id": inv.pk,
        "subscription_id": subscription.pk,
        "subscription_ids": [subscription.pk],
        "contact_id": contact.pk,
        "amount": 4498,
        "amount_refunded": 0,
        "currency": "USD",
        "method_type": "card",
        "payment_method_id": card.pk,
        "status": "failed",
        "failure_code": "insufficient_funds",
        "origin": "renewal",
        "offline_method": "",
        "reference": "",
        "failure_message": "Your card has insufficient funds.",
        "settled_at": None,
        "created_at": T0_TEXT,
    }
    assert ok(api.get("/payments"))["data"] == [body]


def test_payment_filters_and_pending_shows_as_processing(api, contact, subscription):
    first, second = invoice(contact, subscription), invoice(contact)
    succeeded = payment(first, status="succeeded", settled_at=T0)
    pending = payment(first)  # written, the gateway not yet answered
    processing = payment(second, method_type="ach", status="processing")

    def ids(**params):
        return [row["id"] for row in ok(api.get("/payments", **params))["data"]]

    assert ids() == [processing.pk, pending.pk, succeeded.pk]
    assert ids(subscription_id=subscription.pk) == [pending.pk, succeeded.pk]
    assert ids(invoice_id=second.pk) == [processing.pk]
    assert ids(status="processing") == [processing.pk, pending.pk]
    assert ids(status="succeeded") == [succeeded.pk]
    assert ok(api.get(f"/payments/{pending.pk}"))["status"] == "processing"
    assert ok(api.get(f"/payments/{succeeded.pk}"))["settled_at"] == T0_TEXT
    assert_problem(api.get("/payments", status="pending"), 422, "status")


def test_unknown_ids_are_404s(api):
    assert_problem(api.get("/invoices/in_nope"), 404)
    assert_problem(api.get("/payments/pay_nope"), 404)


def test_viewers_read_and_nobody_writes_here_yet(api_as, contact):
    inv = invoice(contact)
    pay = payment(inv)
    viewer = api_as("viewer")
    assert ok(viewer.get(f"/invoices/{inv.pk}"))["id"] == inv.pk
    assert ok(viewer.get(f"/payments/{pay.pk}"))["id"] == pay.pk
    assert_problem(api_as(None).get("/invoices"), 401)
    assert_problem(api_as(None).get("/payments"), 401)
    assert_problem(api_as("super_admin").post("/invoices", {}), 405)
