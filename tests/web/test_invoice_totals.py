"""An invoice with a discount adds up wherever it is shown: the seller's page, the buyer's page, the PDF
and the invoice email. Subtotal − Discount + Tax = Total, and Total is the sum of the lines as stored.

The billing run bills, on 15 Jan 2027 (T0), a send_invoice subscription of two lines:

    Pro plan  3 × $45.99 = $137.97, 12.5 % off: $17.24625 → $17.25 (half up), net $120.72, no tax
    Support   1 × $20.00 = $20.00, no discount, 25 % tax: $5.00, total $25.00

    Subtotal $157.97 − Discount $17.25 + Tax $5.00 = Total $145.72 = $120.72 + $25.00
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from recurra.billing.run import billing_run
from recurra.catalog.line_items import LineItemInput
from recurra.crm.models import Contact
from recurra.invoicing.links import pay_token
from recurra.invoicing.models import Invoice
from recurra.invoicing.pdf import invoice_pdf
from recurra.notifications.models import EmailMessage
from recurra.notifications.render import render
from recurra.subscriptions.services import subscription_create
from tests.conftest import SYSTEM, T0
from tests.services.test_invoice_pdf import pdf_texts
from tests.web.html import table_rows, text

PERIOD = "15 Jan 2027 – 15 Feb 2027"


@pytest.fixture
def invoice(frozen_clock: Any) -> Invoice:
    contact = Contact.objects.create(email="ada@example.com", first_name="Ada", last_name="Lovelace")
    items = [
        LineItemInput(
            name="Pro plan",
            unit_amount=4599,
            currency="USD",
            quantity=3,
            discount_percent=Decimal("12.5"),
            billing_frequency="monthly",
        ),
        LineItemInput(
            name="Support",
            unit_amount=2000,
            currency="USD",
            tax_rate_percent=Decimal(25),
            billing_frequency="monthly",
        ),
    ]
    subscription_create(
        contact=contact,
        line_items=items,
        collection_method="send_invoice",
        payment_terms="due_on_receipt",
        actor=SYSTEM,
        at=T0,
    )
    billing_run(at=T0)
    return Invoice.objects.get()


def test_the_stored_invoice_is_the_sum_of_its_lines(invoice: Invoice) -> None:
    lines = list(invoice.lines.all())
    assert [
        (line.amount_discount, line.amount_subtotal, line.amount_tax, line.amount_total) for line in lines
    ] == [
        (1725, 12072, 0, 12072),
        (0, 2000, 500, 2500),
    ]
    assert (invoice.subtotal, invoice.discount, invoice.tax, invoice.total) == (14072, 1725, 500, 14572)
    assert invoice.total == sum(line.amount_total for line in lines)
    assert invoice.amount_before_discount - invoice.discount + invoice.tax == invoice.total


def test_the_sellers_page_adds_up(viewer: Client, invoice: Invoice) -> None:
    response = viewer.get(f"/invoices/{invoice.pk}/")
    assert table_rows(response.content, "table-lines") == [
        [f"Pro plan {PERIOD}", "3", "$45.99", "−$17.25 12.5 %", "—", "$120.72"],
        [f"Support {PERIOD}", "1", "$20.00", "—", "$5.00", "$25.00"],
    ]
    assert (
        "Subtotal $157.97 Discount −$17.25 Tax $5.00 Total $145.72 Amount paid $0.00 Amount due $145.72"
        in text(response.content)
    )


def test_the_buyers_page_adds_up(invoice: Invoice) -> None:
    response = Client().get(f"/pay/invoices/{pay_token(invoice)}/")
    assert table_rows(response.content, "invoice-lines") == [
        [f"Pro plan 3 × $45.99 · 12.5 % discount (−$17.25) {PERIOD}", "$137.97"],
        [f"Support 1 × $20.00 · 25 % tax {PERIOD}", "$20.00"],
    ]
    assert "Subtotal $157.97 Discount −$17.25 Tax $5.00 Total $145.72 Amount due $145.72" in text(
        response.content
    )


def test_the_pdf_adds_up(invoice: Invoice) -> None:
    shown = pdf_texts(invoice_pdf(invoice))
    lines = shown.index("Pro plan")
    assert shown[lines : shown.index("Subtotal")] == [
        *("Pro plan", PERIOD, "Discount 12.5%: -$17.25", "3", "$45.99", "0%", "$137.97"),
        *("Support", PERIOD, "1", "$20.00", "25%", "$20.00"),
    ]
    totals = shown.index("Subtotal")
    assert shown[totals : totals + 12] == [
        "Subtotal",
        "$157.97",
        "Discount",
        "-$17.25",
        "Tax",
        "$5.00",
        "Total",
        "$145.72",
        "Amount paid",
        "$0.00",
        "Amount due",
        "$145.72",
    ]


def test_the_invoice_email_adds_up(invoice: Invoice) -> None:
    email = EmailMessage.objects.get(kind="invoice", invoice_id=invoice.pk)
    body = render(email.kind, email.language, email.data).text
    assert "- Pro plan × 3: $120.72\n- Support × 1: $25.00\nAmount due: $145.72\n" in body
