"""Paying an emailed invoice online and saving the card: the subscription charges automatically after.

2027-01-15 09:30 UTC  subscribed, 100.00 + 10 % tax a month, send_invoice, net_30
                      INV-1 (110.00) emailed with its pay link
        09:45         the buyer opens the link, pays with a Visa card and ticks "save for future charges":
                      INV-1 paid, receipt; the card is the subscription's; now charge_automatically
Feb 1                 the reminder of the automatic charge 14 days ahead (send-invoice ones get none)
Feb 15                INV-2 charged to the saved card by the billing run (no invoice email), receipt
Mar 15                INV-3 the same
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.test import Client

from recurra.core.models import Event
from recurra.payments.gateways.models import SandboxCharge
from tests.scenarios.conftest import freeze_at, item

pytestmark = pytest.mark.django_db(transaction=True)
BUYER = "ivy@example.com"


def pay_on_the_page(pay_url: str, **fields: str) -> str:
    """What the buyer's browser does: open the emailed link, submit its form; the answer's text."""
    path = "/" + pay_url.split("://", 1)[1].split("/", 1)[1]
    client = Client(enforce_csrf_checks=True)
    page = client.get(path)
    assert page.status_code == 200
    csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert csrf
    answer = client.post(path, {"csrfmiddlewaretoken": csrf[1].decode(), **fields})
    assert answer.status_code == 200, answer.content
    return " ".join(re.sub(r"<[^>]+>", " ", answer.content.decode()).split())


def test_the_buyer_pays_the_emailed_invoice_saves_the_card_and_is_charged_automatically_after(scenario):
    freeze_at(2027, 1, 15, 9, 30)
    sub = scenario.subscribe(
        scenario.contact(BUYER, "Ivy"),
        item(name="Hosting", amount=10000, tax="10"),
        collection="send_invoice",
        payment_terms="net_30",
    )
    scenario.advance(datetime(2027, 1, 15, 9, 30, tzinfo=UTC))
    (email,) = scenario.emails(kind="invoice", sub=sub)

    scenario.advance(datetime(2027, 1, 15, 9, 45, tzinfo=UTC))
    shown = pay_on_the_page(
        scenario.delivered_link(email, "pay_url"), payment_method_token="tok_visa", save_payment_method="1"
    )
    assert "Thank you! Your payment of $110.00 was received." in shown
    assert (
        "Your payment method Visa •••• 4242 is saved: the next invoices for Hosting will be charged" in shown
    )
    scenario.advance(datetime(2027, 1, 15, 10, 0, tzinfo=UTC))  # the worker sends the receipt

    (first,) = scenario.invoices(sub)
    assert (first.number, first.status, first.amount_paid, first.collection_method) == (
        "INV-1",
        "paid",
        11000,
        "send_invoice",
    )
    now = scenario.fresh(sub)
    assert (now.collection_method, now.status, now.payments_made, now.total_collected) == (
        "charge_automatically",
        "active",
        1,
        11000,
    )
    card = now.payment_method
    assert card is not None and (card.brand, card.last4, card.detached_at) == ("visa", "4242", None)
    switched = Event.objects.get(type="subscription.collection_switched", object_id=sub.pk)
    assert switched.data["after"] == {
        "collection_method": "charge_automatically",
        "payment_method_id": card.pk,
    }

    scenario.advance(date(2027, 2, 15))
    scenario.advance(date(2027, 3, 15))

    invoices = scenario.invoices(sub)
    assert [(i.number, i.collection_method, i.status, i.amount_paid) for i in invoices] == [
        ("INV-1", "send_invoice", "paid", 11000),
        ("INV-2", "charge_automatically", "paid", 11000),
        ("INV-3", "charge_automatically", "paid", 11000),
    ]
    assert [(p.origin, p.status, p.payment_method_id) for p in scenario.payments(sub)] == [
        ("online", "succeeded", card.pk),
        ("renewal", "succeeded", card.pk),
        ("renewal", "succeeded", card.pk),
    ]
    assert SandboxCharge.objects.count() == 3
    assert scenario.kinds(sub) == [
        ("invoice", BUYER, date(2027, 1, 15)),
        ("receipt", BUYER, date(2027, 1, 15)),  # paid on the page
        ("payment_reminder", BUYER, date(2027, 2, 1)),
        ("receipt", BUYER, date(2027, 2, 15)),
        ("payment_reminder", BUYER, date(2027, 3, 1)),
        ("receipt", BUYER, date(2027, 3, 15)),
    ]
    final = scenario.fresh(sub)
    assert (final.status, final.payments_made, final.total_collected, final.next_payment_date) == (
        "active",
        3,
        33000,
        date(2027, 4, 15),
    )
    scenario.check_invariants()


def test_without_saving_the_next_invoice_is_emailed_again(scenario):
    freeze_at(2027, 1, 15, 9, 30)
    sub = scenario.subscribe(
        scenario.contact(BUYER, "Ivy"),
        item(name="Hosting", amount=4000),
        collection="send_invoice",
        payment_terms="net_30",
    )
    scenario.advance(datetime(2027, 1, 15, 9, 30, tzinfo=UTC))
    (email,) = scenario.emails(kind="invoice", sub=sub)
    shown = pay_on_the_page(scenario.delivered_link(email, "pay_url"), payment_method_token="tok_mastercard")
    assert "is saved" not in shown
    scenario.advance(datetime(2027, 1, 15, 10, 0, tzinfo=UTC))

    scenario.advance(date(2027, 2, 15))
    first, second = scenario.invoices(sub)
    assert (first.status, second.status, second.collection_method) == ("paid", "open", "send_invoice")
    assert [e.kind for e in scenario.emails(sub=sub)] == ["invoice", "receipt", "invoice"]
    assert scenario.fresh(sub).payment_method_id is None
    assert SandboxCharge.objects.count() == 1
    scenario.check_invariants()
