"""Timelines as people read them: money in the record's currency, line items as lines, statuses by the
labels the pages use, records by their numbers, times in the account's zone to the minute.

The account is in Oslo (UTC+1 in winter). At 15 Jan 2027 09:30 UTC (T0, 10:30 in Oslo) Ada's
subscription (2 × Pro plan, $49.00 a month, Visa •••• 4242) is billed by the real billing run: INV-1
and its payment of $98.00. A day later (10:30 in Oslo) an editor makes it 3 × Pro plan at 10 % off
and adds Support ($20.00 a month), without proration.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from recurra.accounts.services import account_settings_update
from recurra.billing.run import billing_run
from recurra.catalog.line_items import LineItemInput
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.crm.models import Contact
from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment
from recurra.payments.services import payment_method_add
from recurra.subscriptions.editing import SubscriptionChanges, subscription_change
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.services import subscription_create
from tests.conftest import SYSTEM, T0
from tests.web.html import text, timeline

PRO = {"name": "Pro plan", "unit_amount": 4900, "currency": "USD", "billing_frequency": "monthly"}


@pytest.fixture
def billed(frozen_clock: Any) -> Subscription:
    account_settings_update(actor=SYSTEM, at=T0, timezone="Europe/Oslo")
    contact = Contact.objects.create(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    method = payment_method_add(contact=contact, token="tok_visa", actor=SYSTEM, at=T0)
    sub = subscription_create(
        contact=contact,
        line_items=[LineItemInput(quantity=2, **PRO)],  # type: ignore[arg-type]
        collection_method="charge_automatically",
        payment_method=method,
        payment_terms=None,
        actor=SYSTEM,
        at=T0,
    )
    billing_run(at=T0)
    later = T0 + timedelta(days=1)
    clock.freeze(later)
    items = [
        LineItemInput(quantity=3, discount_percent=Decimal(10), **PRO),  # type: ignore[arg-type]
        LineItemInput(name="Support", unit_amount=2000, currency="USD", billing_frequency="monthly"),
    ]
    subscription_change(
        subscription=sub,
        changes=SubscriptionChanges(line_items=items),
        actor=Actor("user", "1", "Erik Editor"),
        at=later,
    )
    return Subscription.objects.get(pk=sub.pk)


def test_the_subscription_timeline_reads_as_the_pages_do(viewer: Client, billed: Subscription) -> None:
    entries = timeline(viewer.get(f"/subscriptions/{billed.pk}/").content)

    assert entries[0] == {
        "title": "Subscription updated",
        "meta": "16 Jan 2027, 10:30 · Erik Editor",
        "changes": [
            "Next payment amount: $98.00 → $152.30",
            "MRR: $98.00 → $152.30",
            "Line items:",
            "Removed: 2 × Pro plan, $49.00/month",
            "Added: 3 × Pro plan, $49.00/month, 10 % off",
            "Added: 1 × Support, $20.00/month",
        ],
    }
    titles = [(entry["title"], entry["meta"]) for entry in entries[1:]]
    assert titles == [
        ("Subscription updated", "15 Jan 2027, 10:30 · Recurra"),
        ("Invoice INV-1: Open → Paid", "15 Jan 2027, 10:30 · Recurra"),
        ("Payment of $98.00: Pending → Succeeded", "15 Jan 2027, 10:30 · Recurra"),
        ("Invoice INV-1 created", "15 Jan 2027, 10:30 · Recurra"),
        ("Payment of $98.00 created", "15 Jan 2027, 10:30 · Recurra"),
        ("Subscription updated", "15 Jan 2027, 10:30 · Recurra"),
        ("Subscription created", "15 Jan 2027, 10:30 · Recurra"),
    ]
    changes = {entry["title"]: entry["changes"] for entry in entries[1:]}
    assert changes["Invoice INV-1: Open → Paid"] == [
        "Amount paid: $0.00 → $98.00",
        "Amount due: $98.00 → $0.00",
        "Paid: — → 15 Jan 2027, 10:30",
    ]
    assert changes["Payment of $98.00: Pending → Succeeded"][1] == "Settled: — → 15 Jan 2027, 10:30"


def test_no_internals_show(viewer: Client, billed: Subscription) -> None:
    html = viewer.get(f"/subscriptions/{billed.pk}/").content.decode()
    start = html.index('<ol class="timeline">')
    shown = html[start : html.index("</ol>", start)]
    invoice, payment = Invoice.objects.get(), Payment.objects.get()
    read = text(shown)  # what a reader sees (the <time> elements' machine-readable ISO left out)
    for internal in (
        "9800",
        "15230",
        "{'",
        "past_due",
        "succeeded",
        ".000",
        "T09:30",
        invoice.pk,
        payment.pk,
    ):
        assert internal not in read, internal
    assert f'<a href="/invoices/{invoice.pk}/">Invoice INV-1</a>' in shown
    assert f'<a href="/payments/{payment.pk}/">Payment of $98.00</a>' in shown


def test_the_invoice_and_payment_pages_show_their_own_activity(viewer: Client, billed: Subscription) -> None:
    invoice, payment = Invoice.objects.get(), Payment.objects.get()
    on_invoice = [entry["title"] for entry in timeline(viewer.get(f"/invoices/{invoice.pk}/").content)]
    assert on_invoice == [
        "Invoice INV-1: Open → Paid",
        "Payment of $98.00: Pending → Succeeded",
        "Invoice INV-1 created",
        "Payment of $98.00 created",
    ]
    [succeeded, created] = timeline(viewer.get(f"/payments/{payment.pk}/").content)
    assert (succeeded["title"], succeeded["meta"]) == (
        "Payment of $98.00: Pending → Succeeded",
        "15 Jan 2027, 10:30 · Recurra",
    )
    assert succeeded["changes"] == [
        f"Gateway charge ID: — → {payment.gateway_charge_id}",
        "Settled: — → 15 Jan 2027, 10:30",
    ]
    assert created == {
        "title": "Payment of $98.00 created",
        "meta": "15 Jan 2027, 10:30 · Recurra",
        "changes": [],
    }
