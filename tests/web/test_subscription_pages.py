"""Subscription, invoice and payment pages: lists, records, the upcoming schedule, timelines, roles.

Test data is written with the ORM (the billing services are tested on their
own); ``make_*`` here are shared with the other billing page tests.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from recurra.core import events
from recurra.core.models import Event
from recurra.crm.models import Contact
from recurra.invoicing.links import pay_url
from recurra.invoicing.models import Invoice, InvoiceLine
from recurra.notifications.models import EmailMessage
from recurra.payments.models import Payment, PaymentMethod
from recurra.subscriptions.models import Subscription, SubscriptionLineItem
from tests.conftest import SYSTEM, T0
from tests.web.html import table_rows, text


def make_subscription(contact: Contact, **fields: Any) -> Subscription:
    """An active monthly $98.00 subscription (2 × $49.00) anchored 15 Jan 2027, its first period paid."""
    values: dict[str, Any] = {
        "name": "Pro monthly",
        "status": "active",
        "contact": contact,
        "company": contact.company,
        "currency": "USD",
        "billing_frequency": "monthly",
        "billing_terms": "auto_renew",
        "start_date": date(2027, 1, 15),
        "periods_billed": 1,
        "next_payment_date": date(2027, 2, 15),
        "next_payment_amount": 9800,
        "last_payment_amount": 9800,
        "payments_made": 1,
        "total_collected": 9800,
        "line_items_mrr": 9800,
        "collection_method": "charge_automatically",
        "payment_terms": "due_on_receipt",
    }
    sub = Subscription.objects.create(**{**values, **fields})
    SubscriptionLineItem.objects.create(
        subscription=sub,
        name="Pro plan",
        unit_amount=4900,
        currency=sub.currency,
        quantity=2,
        billing_frequency=sub.billing_frequency,
    )
    return sub


def make_invoice(sub: Subscription, *, number: str = "INV-1", index: int = 0, **fields: Any) -> Invoice:
    """A paid invoice of period ``index`` with one line (2 × $49.00)."""
    values: dict[str, Any] = {
        "number": number,
        "status": "paid",
        "subscription": sub,
        "contact": sub.contact,
        "currency": sub.currency,
        "subtotal": 9800,
        "total": 9800,
        "amount_paid": 9800,
        "amount_due": 0,
        "collection_method": sub.collection_method,
        "payment_terms": sub.payment_terms,
        "issued_on": date(2027, 1 + index, 15),
        "due_on": date(2027, 1 + index, 15),
        "period_start": date(2027, 1 + index, 15),
        "period_end": date(2027, 2 + index, 15),
        "period_index": index,
    }
    invoice = Invoice.objects.create(**{**values, **fields})
    InvoiceLine.objects.create(
        invoice=invoice,
        subscription_id=invoice.subscription_id,  # the period's line bills the invoice's subscription
        name="Pro plan",
        quantity=2,
        unit_amount=4900,
        discount_percent=Decimal(0),
        tax_rate_percent=Decimal(0),
        amount_discount=0,
        amount_subtotal=9800,
        amount_tax=0,
        amount_total=9800,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
    )
    return invoice


def make_method(contact: Contact) -> PaymentMethod:
    return PaymentMethod.objects.create(
        contact=contact,
        gateway="sandbox",
        gateway_method_id="pm_visa",
        type="card",
        brand="visa",
        last4="4242",
    )


def make_payment(invoice: Invoice, **fields: Any) -> Payment:
    values: dict[str, Any] = {
        "invoice": invoice,
        "subscription": invoice.subscription,
        "contact": invoice.contact,
        "amount": invoice.total,
        "currency": invoice.currency,
        "method_type": "card",
        "status": "succeeded",
        "gateway": "sandbox",
        "idempotency_key": f"pay-{invoice.pk}-{Payment.objects.count()}",
        "gateway_charge_id": f"ch_{Payment.objects.count() + 1}",
    }
    return Payment.objects.create(**{**values, **fields})


@pytest.fixture
def billed(records: Any) -> Any:
    """A subscription paid by Visa with one paid invoice, its payment, a receipt and audit events."""
    method = make_method(records.contact)
    sub = make_subscription(records.contact, payment_method=method)
    invoice = make_invoice(sub)
    payment = make_payment(invoice, payment_method=method)
    EmailMessage.objects.create(
        to=records.contact.email,
        kind="receipt",
        subject="Your receipt from Fjordline",
        status="logged",
        run_at=T0,
        sent_at=T0,
        subscription_id=sub.pk,
        invoice_id=invoice.pk,
        payment_id=payment.pk,
    )
    events.record(type="subscription.created", obj=sub, actor=SYSTEM, after=events.snapshot(sub))
    events.record(
        type="invoice.paid", obj=invoice, actor=SYSTEM, before={"status": "open"}, after={"status": "paid"}
    )
    records.sub, records.invoice, records.payment = sub, invoice, payment
    return records


def test_subscription_detail_shows_properties_lines_and_related_records(viewer: Client, billed: Any) -> None:
    response = viewer.get(f"/subscriptions/{billed.sub.pk}/")
    assert response.status_code == 200
    page = text(response.content)
    assert "Pro monthly Active Ingrid Hansen · Fjordline" in page
    for fact in (
        "Billing frequency Monthly",
        "Billing terms Renew automatically until cancelled",
        "Payments made 1 ",
        "Start date 15 Jan 2027",
        "Next payment 15 Feb 2027 · $98.00",
        "End date —",
        "Last payment $98.00",
        "Total collected $98.00",
        "MRR $98.00",
        "Collection Charge automatically",
        "Payment terms Due on receipt",
        "Payment method Visa •••• 4242",
    ):
        assert fact in page, fact
    assert table_rows(response.content, "table-lines") == [["Pro plan", "2", "$49.00", "—", "—", "$98.00"]]
    assert table_rows(response.content, "table-invoices") == [
        ["INV-1", "Paid", "15 Jan 2027 – 15 Feb 2027", "15 Jan 2027", "15 Jan 2027", "$98.00", "$0.00"]
    ]
    assert table_rows(response.content, "table-payments") == [
        ["15 Jan 2027, 09:30", "$98.00", "Visa •••• 4242", "Succeeded", "—"]
    ]
    assert table_rows(response.content, "table-emails") == [
        ["Receipt", "ingrid@fjordline.example", "Your receipt from Fjordline", "Logged", "15 Jan 2027, 09:30"]
    ]
    html = response.content.decode()
    assert f'href="/invoices/{billed.invoice.pk}/"' in html
    assert f'href="/payments/{billed.payment.pk}/"' in html
    assert f'href="/contacts/{billed.contact.pk}/"' in html


def test_timeline_is_newest_first_with_actor_and_changed_fields(viewer: Client, billed: Any) -> None:
    events.record(type="note.added", obj=billed.contact, actor=SYSTEM, after={"x": 1})  # another record's
    page = text(viewer.get(f"/subscriptions/{billed.sub.pk}/").content)
    timeline = page[page.index("Timeline") :]
    assert timeline.index("Invoice paid") < timeline.index("Subscription created")
    assert f"Recurra · {billed.invoice.pk} status: open → paid" in timeline
    assert "Note added" not in timeline


def test_upcoming_schedule_from_a_jan_31_anchor_clamps_to_month_ends(viewer: Client, records: Any) -> None:
    sub = make_subscription(
        records.contact,
        status="scheduled",
        start_date=date(2027, 1, 31),
        periods_billed=0,
        payments_made=0,
        next_payment_date=date(2027, 1, 31),
    )
    rows = table_rows(viewer.get(f"/subscriptions/{sub.pk}/").content, "table-upcoming")
    assert [row[1] for row in rows] == [
        "Sun 31 Jan 2027",
        "Sun 28 Feb 2027",
        "Wed 31 Mar 2027",
        "Fri 30 Apr 2027",
        "Mon 31 May 2027",
        "Wed 30 Jun 2027",
        "Sat 31 Jul 2027",
        "Tue 31 Aug 2027",
        "Thu 30 Sep 2027",
        "Sun 31 Oct 2027",
        "Tue 30 Nov 2027",
        "Fri 31 Dec 2027",
    ]
    assert {(row[0].isdigit(), row[2]) for row in rows} == {(True, "$98.00")}


def test_upcoming_schedule_stops_at_the_end_of_a_fixed_term(viewer: Client, records: Any) -> None:
    sub = make_subscription(
        records.contact, billing_terms="fixed", number_of_payments=3, end_date=date(2027, 4, 15)
    )
    response = viewer.get(f"/subscriptions/{sub.pk}/")
    assert table_rows(response.content, "table-upcoming") == [
        ["2 of 3", "Mon 15 Feb 2027", "$98.00"],
        ["3 of 3", "Mon 15 Mar 2027", "$98.00"],
    ]
    assert "Payments made 1 of 3" in text(response.content)


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"status": "paused"}, "No upcoming payments while paused."),
        ({"status": "canceled", "next_payment_date": None}, "No upcoming payments."),
        ({"status": "expired", "next_payment_date": None}, "No upcoming payments."),
        ({"cancel_at_period_end": True}, "No upcoming payments: cancels at the end of the current period."),
    ],
)
def test_no_upcoming_schedule_when_nothing_more_will_be_billed(
    viewer: Client, records: Any, fields: dict[str, Any], why: str
) -> None:
    sub = make_subscription(records.contact, **fields)
    response = viewer.get(f"/subscriptions/{sub.pk}/")
    assert table_rows(response.content, "table-upcoming") == []
    assert why in text(response.content)


def test_past_due_shows_as_unpaid_with_the_failed_payment(viewer: Client, records: Any) -> None:
    sub = make_subscription(records.contact, status="past_due")
    invoice = make_invoice(sub, status="open", amount_paid=0, amount_due=9800)
    make_payment(invoice, status="failed", failure_code="card_declined", failure_message="Declined")
    response = viewer.get(f"/subscriptions/{sub.pk}/")
    assert '<span class="badge status-past_due">Unpaid</span>' in response.content.decode()
    assert "past_due" not in text(response.content)
    assert table_rows(response.content, "table-payments")[0][2:] == ["Card", "Failed", "card_declined"]
    assert table_rows(viewer.get("/subscriptions/").content)[0][3] == "Unpaid"


def test_subscription_list_by_next_payment_with_amount_frequency_and_mrr(
    viewer: Client, records: Any
) -> None:
    make_subscription(
        records.contact, name="Old plan", status="canceled", next_payment_date=None, line_items_mrr=0
    )
    make_subscription(records.contact, name="Annual", billing_frequency="annually", line_items_mrr=817)
    response = viewer.get("/subscriptions/")
    assert response.status_code == 200
    assert table_rows(response.content) == [
        [
            "Annual",
            "Ingrid Hansen",
            "Fjordline",
            "Active",
            "15 Feb 2027",
            "$98.00",
            "Annually",
            "$8.17",
            "15 Jan 2027",
        ],
        [
            "Old plan",
            "Ingrid Hansen",
            "Fjordline",
            "Canceled",
            "—",
            "$98.00",
            "Monthly",
            "$0.00",
            "15 Jan 2027",
        ],
    ]
    assert [r[0] for r in table_rows(viewer.get("/subscriptions/?status=canceled").content)] == ["Old plan"]
    assert [r[0] for r in table_rows(viewer.get("/subscriptions/?q=annu").content)] == ["Annual"]
    assert table_rows(viewer.get("/subscriptions/?status=bogus").content) != []  # unknown filter: ignored


def test_invoice_page_shows_amounts_pay_link_payments_and_timeline(
    viewer: Client, editor: Client, billed: Any
) -> None:
    open_invoice = make_invoice(
        billed.sub, number="INV-2", index=1, status="open", amount_paid=0, amount_due=9800
    )
    response = viewer.get(f"/invoices/{open_invoice.pk}/")
    assert response.status_code == 200
    page = text(response.content)
    assert "Invoice INV-2 Open $98.00 Ingrid Hansen" in page
    assert "Subscription Pro monthly" in page
    assert "Subtotal $98.00 Tax $0.00 Total $98.00 Amount paid $0.00 Amount due $98.00" in page
    assert "Only editors see the pay link: whoever has it can pay as the buyer." in page  # core.redaction
    assert "/pay/invoices/" not in response.content.decode()
    shown = editor.get(f"/invoices/{open_invoice.pk}/").content.decode()
    assert f'id="pay-url" value="{pay_url(open_invoice)}" readonly' in shown
    assert "No payments yet." in page

    paid = text(viewer.get(f"/invoices/{billed.invoice.pk}/").content)
    assert "Only an open invoice has a pay link." in paid
    assert "Invoice paid" in paid and "status: open → paid" in paid
    assert "Subscription created" not in paid  # the subscription's own events stay on its page


def test_invoice_and_payment_lists_filter_by_subscription(viewer: Client, billed: Any) -> None:
    other = make_subscription(billed.contact, name="Other")
    make_invoice(other, number="INV-9")
    assert [r[0] for r in table_rows(viewer.get("/invoices/").content)] == ["INV-9", "INV-1"]
    scoped = viewer.get(f"/invoices/?subscription_id={billed.sub.pk}")
    assert [r[0] for r in table_rows(scoped.content)] == ["INV-1"]
    assert "Of Pro monthly" in text(scoped.content)
    assert [r[0] for r in table_rows(viewer.get("/invoices/?q=inv-9").content)] == ["INV-9"]
    payments = table_rows(viewer.get(f"/payments/?subscription_id={billed.sub.pk}").content)
    assert payments == [["15 Jan 2027, 09:30", "Ingrid Hansen", "$98.00", "Visa •••• 4242", "Succeeded", "—"]]
    assert table_rows(viewer.get(f"/payments/?subscription_id={other.pk}").content) == []


def test_payment_page_shows_outcome_and_links(viewer: Client, records: Any) -> None:
    sub = make_subscription(records.contact, status="past_due")
    invoice = make_invoice(sub, status="open", amount_paid=0, amount_due=9800)
    payment = make_payment(
        invoice,
        status="failed",
        failure_code="insufficient_funds",
        failure_message="The card has insufficient funds.",
        gateway_charge_id="ch_sandbox_1",
        retryable=True,
    )
    events.record(
        type="payment.failed",
        obj=payment,
        actor=SYSTEM,
        before={"status": "pending"},
        after={"status": "failed"},
    )
    response = viewer.get(f"/payments/{payment.pk}/")
    assert response.status_code == 200
    page = text(response.content)
    assert "Payment of $98.00 Failed Ingrid Hansen" in page
    for fact in (
        "Failure code insufficient_funds",
        "Failure message The card has insufficient funds.",
        "Invoice INV-1",
        "Subscription Pro monthly",
        "Gateway charge ID ch_sandbox_1",
        "will be retried",
        "Payment failed",
        "status: pending → failed",
    ):
        assert fact in page, fact
    html = response.content.decode()
    assert f'href="/invoices/{invoice.pk}/"' in html and f'href="/subscriptions/{sub.pk}/"' in html


@pytest.mark.parametrize("path", ["subscriptions", "invoices", "payments"])
def test_unknown_records_are_404(viewer: Client, records: Any, path: str) -> None:
    assert viewer.get(f"/{path}/nope/").status_code == 404


def test_pages_need_sign_in_and_change_nothing(billed: Any) -> None:
    before = Event.objects.count()
    for url in (
        "/subscriptions/",
        f"/subscriptions/{billed.sub.pk}/",
        "/invoices/",
        f"/invoices/{billed.invoice.pk}/",
        "/payments/",
        f"/payments/{billed.payment.pk}/",
    ):
        assert Client().get(url)["Location"] == f"/login/?next={url}"
        assert Client().post(url).status_code == 302
    assert Event.objects.count() == before


def test_nav_links_to_the_billing_pages(viewer: Client) -> None:
    html = viewer.get("/invoices/").content.decode()
    assert '<a href="/subscriptions/">Subscriptions</a>' in html
    assert '<a href="/invoices/" aria-current="page">Invoices</a>' in html
    assert '<a href="/payments/">Payments</a>' in html
    assert "Coming with the billing engine" not in html
