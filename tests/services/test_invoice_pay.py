"""Paying an open invoice online (billing.online.invoice_pay): charged once, declines recorded, methods saved.

A send_invoice subscription of 40.00 USD a month, net 30, billed by the real billing run at T0
(2027-01-15 09:30 UTC, frozen): INV-1 open, 40.00 due on 14 Feb, emailed to the buyer.

    T0 INV-1 open ── buyer pays (tok_visa) ── paid, receipt ── Feb 15: INV-2 emailed (not saved)
                                  └─ with save ── method saved, charge_automatically ── Feb 15: INV-2 charged
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from recurra.billing.online import buyer, invoice_pay, online_terms
from recurra.billing.run import billing_run
from recurra.catalog.line_items import LineItemInput
from recurra.core import clock
from recurra.core.errors import Conflict, Unavailable, ValidationFailed
from recurra.core.models import Event
from recurra.crm.models import Contact
from recurra.invoicing.models import Invoice
from recurra.notifications.models import EmailMessage
from recurra.payments.gateways.models import SandboxCharge
from recurra.payments.models import Payment, PaymentMethod
from recurra.payments.services import PaymentDeclined, payment_method_add
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.services import subscription_create
from recurra.worker.steps import run_due_work
from tests.conftest import SYSTEM, T0

pytestmark = pytest.mark.usefixtures("frozen_clock")
AMOUNT = 4000
ADDRESS = {"line1": "Storgata 1", "city": "Oslo", "postal_code": "0155", "country": "no"}


def billed(email: str = "ada@example.com", **settings: Any) -> Invoice:
    """The open first invoice of a send_invoice subscription (``settings``: its online-payment ones)."""
    contact = Contact.objects.create(email=email, first_name="Ada")
    item = LineItemInput(name="Pro plan", unit_amount=AMOUNT, currency="USD", billing_frequency="monthly")
    sub = subscription_create(
        contact=contact,
        line_items=[item],
        collection_method="send_invoice",
        payment_terms="net_30",
        actor=SYSTEM,
        at=T0,
        **settings,
    )
    billing_run(at=T0)
    return Invoice.objects.get(subscription=sub)


def pay(invoice: Invoice, **values: Any) -> Payment:
    return invoice_pay(invoice=invoice, actor=buyer(invoice), at=T0, **values)


def fields_of(caught: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [e.field for e in caught.value.errors]


def test_a_new_card_pays_the_invoice_once_and_the_receipt_follows() -> None:
    invoice = billed()
    payment = pay(invoice, token="tok_visa")
    assert (payment.status, payment.origin, payment.amount, payment.method_type) == (
        "succeeded",
        "online",
        AMOUNT,
        "card",
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.amount_due, invoice.paid_at) == (
        "paid",
        AMOUNT,
        0,
        T0,
    )
    sub = Subscription.objects.get(pk=invoice.subscription_id)
    assert (sub.status, sub.payments_made, sub.total_collected) == ("active", 1, AMOUNT)
    assert SandboxCharge.objects.count() == 1
    receipt = EmailMessage.objects.get(kind="receipt")
    assert (receipt.to, receipt.payment_id, receipt.data["payment_method"]) == (
        "ada@example.com",
        payment.pk,
        "Visa •••• 4242",
    )
    # Not asked to keep it: the method names the payment but is detached, and nothing else changes.
    method = PaymentMethod.objects.get(pk=payment.payment_method_id)
    assert method.detached_at == T0
    assert (sub.collection_method, sub.payment_method_id) == ("send_invoice", None)
    assert Event.objects.filter(type="paymentmethod.detached", object_id=method.pk).count() == 1
    assert not Event.objects.filter(type="subscription.collection_switched").exists()
    created = Event.objects.get(type="payment.created", object_id=payment.pk)
    assert (created.actor_type, created.actor_id, created.actor_name) == (
        "system",
        invoice.pk,
        "Buyer (invoice payment page)",
    )
    with pytest.raises(Conflict, match="nothing left to pay"):
        pay(invoice, token="tok_visa")
    assert SandboxCharge.objects.count() == 1

    clock.freeze(T0 + relativedelta(months=1))
    billing_run(at=clock.now())
    second = Invoice.objects.filter(subscription=sub).order_by("period_start").last()
    assert second is not None and (second.collection_method, second.status) == ("send_invoice", "open")
    assert not second.payments.exists()


def test_saving_switches_the_subscription_to_charging_automatically() -> None:
    invoice = billed()
    payment = pay(invoice, token="tok_mastercard", save_payment_method=True)
    sub = Subscription.objects.get(pk=invoice.subscription_id)
    method = PaymentMethod.objects.get(pk=payment.payment_method_id)
    assert (method.detached_at, method.contact_id, method.last4) == (None, sub.contact_id, "4444")
    assert (sub.collection_method, sub.payment_method_id, sub.status) == (
        "charge_automatically",
        method.pk,
        "active",
    )
    switched = Event.objects.get(type="subscription.collection_switched", object_id=sub.pk)
    assert switched.data == {
        "before": {"collection_method": "send_invoice", "payment_method_id": None},
        "after": {"collection_method": "charge_automatically", "payment_method_id": method.pk},
    }
    assert switched.actor_id == invoice.pk

    clock.freeze(T0 + relativedelta(months=1))
    billing_run(at=clock.now())
    second = Invoice.objects.filter(subscription=sub).order_by("period_start").last()
    assert second is not None and (second.collection_method, second.status) == (
        "charge_automatically",
        "paid",
    )
    (renewal,) = second.payments.all()
    assert (renewal.origin, renewal.payment_method_id, renewal.status) == ("renewal", method.pk, "succeeded")
    assert not EmailMessage.objects.filter(kind="invoice", invoice_id=second.pk).exists()


def test_a_saved_method_of_an_automatic_subscription_just_becomes_its_method() -> None:
    invoice = billed()
    Subscription.objects.filter(pk=invoice.subscription_id).update(collection_method="charge_automatically")
    payment = pay(invoice, token="tok_visa", save_payment_method=True)
    sub = Subscription.objects.get(pk=invoice.subscription_id)
    assert sub.payment_method_id == payment.payment_method_id
    assert not Event.objects.filter(type="subscription.collection_switched").exists()
    updated = Event.objects.get(type="subscription.updated", object_id=sub.pk, actor_id=invoice.pk)
    assert updated.data == {
        "before": {"payment_method_id": None},
        "after": {"payment_method_id": payment.payment_method_id},
    }


def test_a_decline_is_recorded_raises_with_the_reason_and_keeps_nothing() -> None:
    invoice = billed()
    with pytest.raises(PaymentDeclined) as caught:
        pay(invoice, token="tok_decline", save_payment_method=True)
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("payment_method", "Your payment was declined: Your card was declined.")
    ]
    assert caught.value.reason == "Your card was declined."
    failed = Payment.objects.get()
    assert (failed.status, failed.origin, failed.failure_code) == ("failed", "online", "card_declined")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_due) == ("open", AMOUNT)
    sub = Subscription.objects.get(pk=invoice.subscription_id)
    assert (sub.collection_method, sub.payment_method_id) == ("send_invoice", None)
    assert PaymentMethod.objects.get(pk=failed.payment_method_id).detached_at == T0
    assert not EmailMessage.objects.filter(kind__in=["receipt", "payment_failed"]).exists()
    # The buyer was told on the page; not yet due, the invoice is not overdue nor the subscription Unpaid.
    assert (invoice.overdue_at, sub.status) == (None, "active")

    payment = pay(invoice, token="tok_visa", save_payment_method=True)
    assert payment.status == "succeeded"
    sub.refresh_from_db()
    assert (sub.status, sub.collection_method, sub.payment_method_id) == (
        "active",
        "charge_automatically",
        payment.payment_method_id,
    )


def test_a_bank_debit_on_its_way_counts_as_accepted_and_blocks_a_second_payment() -> None:
    invoice = billed()
    payment = pay(invoice, token="tok_ach", save_payment_method=True)
    assert (payment.status, payment.method_type) == ("processing", "ach")
    sub = Subscription.objects.get(pk=invoice.subscription_id)
    assert (sub.collection_method, sub.payment_method_id) == (
        "charge_automatically",
        payment.payment_method_id,
    )
    with pytest.raises(Conflict, match="on its way"):
        pay(invoice, token="tok_visa")
    assert Payment.objects.count() == 1
    assert online_terms(invoice) is not None

    clock.freeze(T0 + timedelta(days=4))
    run_due_work(at=clock.now())
    invoice.refresh_from_db()
    assert (invoice.status, Payment.objects.get(pk=payment.pk).status) == ("paid", "succeeded")
    assert EmailMessage.objects.filter(kind="receipt", payment_id=payment.pk).count() == 1


def test_a_saved_method_by_id_is_charged_and_stays_saved() -> None:
    invoice = billed()
    contact = invoice.contact
    saved = payment_method_add(contact=contact, token="tok_visa", actor=SYSTEM, at=T0)
    payment = pay(invoice, payment_method=saved)
    assert (payment.status, payment.payment_method_id) == ("succeeded", saved.pk)
    saved.refresh_from_db()
    assert saved.detached_at is None
    assert not Event.objects.filter(type="paymentmethod.detached").exists()


def test_a_foreign_removed_or_unaccepted_saved_method_is_refused() -> None:
    invoice = billed(allowed_payment_methods=["card"])
    theirs = payment_method_add(
        contact=Contact.objects.create(email="bob@example.com"), token="tok_visa", actor=SYSTEM, at=T0
    )
    removed = payment_method_add(contact=invoice.contact, token="tok_visa", actor=SYSTEM, at=T0)
    PaymentMethod.objects.filter(pk=removed.pk).update(detached_at=T0)
    removed.refresh_from_db()
    bank = payment_method_add(contact=invoice.contact, token="tok_ach", actor=SYSTEM, at=T0)
    for method, field in (
        (theirs, "payment_method.id"),
        (removed, "payment_method.id"),
        (bank, "payment_method"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            pay(invoice, payment_method=method)
        assert fields_of(caught) == [field]
    assert not Payment.objects.exists() and not SandboxCharge.objects.exists()


def test_a_new_method_of_a_type_the_subscription_does_not_allow_is_422_and_saves_nothing() -> None:
    invoice = billed(allowed_payment_methods=["card"], collect_billing_address=True)
    methods = PaymentMethod.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        pay(invoice, token="tok_ach", billing_address=ADDRESS, save_payment_method=True)
    assert fields_of(caught) == ["payment_method"]
    assert "ach payment method is not accepted here (card)" in caught.value.errors[0].message
    assert PaymentMethod.objects.count() == methods
    invoice.refresh_from_db()
    assert invoice.billing_address["line1"] == ""  # stored only with the method: rolled back together
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"token": "tok_nonsense"}, ["payment_method.token"]),
        ({}, ["payment_method"]),
        ({"token": "tok_visa", "payment_method": "both"}, ["payment_method"]),
    ],
    ids=["unknown-token", "neither", "both"],
)
def test_the_method_must_be_one_known_token_or_one_saved_method(
    values: dict[str, Any], fields: list[str]
) -> None:
    invoice = billed()
    if values.get("payment_method") == "both":
        values["payment_method"] = payment_method_add(
            contact=invoice.contact, token="tok_visa", actor=SYSTEM, at=T0
        )
    with pytest.raises(ValidationFailed) as caught:
        pay(invoice, **values)
    assert fields_of(caught) == fields
    assert not Payment.objects.exists()


def test_saving_where_the_subscription_does_not_allow_it_is_422() -> None:
    invoice = billed(save_payment_method=False)
    with pytest.raises(ValidationFailed) as caught:
        pay(invoice, token="tok_visa", save_payment_method=True)
    assert fields_of(caught) == ["save_payment_method"]
    assert online_terms(invoice).can_save is False  # type: ignore[union-attr]
    assert not Payment.objects.exists() and PaymentMethod.objects.count() == 0


def test_collected_addresses_are_required_part_by_part() -> None:
    invoice = billed(collect_billing_address=True, collect_shipping_address=True)
    with pytest.raises(ValidationFailed) as caught:
        pay(invoice, token="tok_visa")
    assert fields_of(caught) == ["billing_address", "shipping_address"]
    with pytest.raises(ValidationFailed) as caught:
        pay(
            invoice,
            token="tok_visa",
            billing_address={"line1": "Storgata 1"},
            shipping_address={"country": "XYZ"},
        )
    assert fields_of(caught) == [
        "billing_address.city",
        "billing_address.postal_code",
        "billing_address.country",
        "shipping_address.country",
        "shipping_address.line1",
        "shipping_address.city",
        "shipping_address.postal_code",
    ]
    assert caught.value.errors[3].message == "must be at most 2 characters"
    assert not Payment.objects.exists() and PaymentMethod.objects.count() == 0


def test_addresses_are_stored_on_the_invoice_and_a_blank_contact() -> None:
    invoice = billed(collect_billing_address=True)
    shipping = {**ADDRESS, "line1": "Lager 7", "line2": "Port 3"}
    pay(invoice, token="tok_visa", billing_address=ADDRESS, shipping_address=shipping)
    invoice.refresh_from_db()
    stored = {
        "line1": "Storgata 1",
        "line2": "",
        "city": "Oslo",
        "state": "",
        "postal_code": "0155",
        "country": "NO",
    }
    assert invoice.billing_address == stored
    assert invoice.shipping_address == {**stored, "line1": "Lager 7", "line2": "Port 3"}
    assert Contact.objects.get(pk=invoice.contact_id).address == stored
    assert Event.objects.filter(type="invoice.updated", object_id=invoice.pk).count() == 1
    assert Event.objects.filter(type="contact.updated", object_id=invoice.contact_id).count() == 1


def test_a_contact_with_an_address_keeps_it() -> None:
    invoice = billed()
    Contact.objects.filter(pk=invoice.contact_id).update(city="Bergen", country="NO")
    pay(invoice, token="tok_visa", billing_address=ADDRESS)
    contact = Contact.objects.get(pk=invoice.contact_id)
    assert (contact.city, contact.address_line1) == ("Bergen", "")
    invoice.refresh_from_db()
    assert (invoice.billing_address["city"], invoice.shipping_address) == ("Oslo", {})
    assert not Event.objects.filter(type="contact.updated").exists()


@pytest.mark.parametrize("state", ["paid", "void", "offline_only", "no_subscription"])
def test_what_cannot_be_paid_online_is_a_conflict(state: str) -> None:
    invoice = billed()
    if state == "paid":
        Invoice.objects.filter(pk=invoice.pk).update(status="paid", amount_paid=AMOUNT, amount_due=0)
    elif state == "void":
        Invoice.objects.filter(pk=invoice.pk).update(status="void")
    elif state == "offline_only":
        Subscription.objects.filter(pk=invoice.subscription_id).update(accept_online_payment=False)
    else:
        Invoice.objects.filter(pk=invoice.pk).update(subscription=None)
    with pytest.raises(Conflict):
        pay(invoice, token="tok_visa")
    assert not Payment.objects.exists() and PaymentMethod.objects.count() == 0


def test_losing_the_race_for_the_invoice_charges_nothing_and_keeps_no_new_method(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another caller's attempt got the invoice's lock first: ours writes no payment (a 409)."""
    from recurra.billing import online
    from recurra.billing.outcomes import Outcomes

    invoice = billed()
    monkeypatch.setattr(online, "charge_invoices", lambda *args, **kwargs: Outcomes())
    with pytest.raises(Conflict, match="paid meanwhile"):
        pay(invoice, token="tok_visa", save_payment_method=True)
    (method,) = PaymentMethod.objects.all()
    assert method.detached_at == T0
    assert Subscription.objects.get(pk=invoice.subscription_id).collection_method == "send_invoice"


def test_no_answer_from_the_gateway_is_unavailable_and_switches_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from recurra.payments.gateways.base import GatewayError
    from recurra.payments.gateways.sandbox import SandboxGateway

    def silent(self: Any, requests: Any, *, at: Any) -> Any:
        raise GatewayError("timeout")

    invoice = billed()
    monkeypatch.setattr(SandboxGateway, "charge_many", silent)
    with pytest.raises(Unavailable):
        pay(invoice, token="tok_visa", save_payment_method=True)
    (payment,) = Payment.objects.all()
    assert (payment.status, payment.origin) == ("pending", "online")
    sub = Subscription.objects.get(pk=invoice.subscription_id)
    assert (sub.collection_method, sub.payment_method_id) == ("send_invoice", None)
    assert PaymentMethod.objects.get().detached_at is None  # asked to be saved: kept on the contact
