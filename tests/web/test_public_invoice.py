"""The buyer's invoice page behind a pay link: no sign-in; a bad or expired link reveals nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from recurra.accounts.selectors import account_settings
from recurra.core import clock
from recurra.invoicing.links import MAX_AGE_DAYS, pay_token
from recurra.invoicing.models import Invoice
from tests.conftest import T0
from tests.web.html import table_rows, text
from tests.web.test_subscription_pages import make_invoice, make_subscription

NOT_FOUND = (
    "This link is not valid The link may have expired or been copied incompletely. "
    "Ask the business that sent it for a new one."
)


@pytest.fixture
def open_invoice(records: Any) -> Invoice:
    settings = account_settings()
    settings.business_name = "Fjordline Software AS"
    settings.save()
    sub = make_subscription(records.contact)
    return make_invoice(sub, number="INV-7", status="open", amount_paid=0, amount_due=9800)


def test_the_buyer_sees_the_invoice_without_signing_in(open_invoice: Invoice) -> None:
    response = Client().get(f"/pay/invoices/{pay_token(open_invoice)}/")
    assert response.status_code == 200
    page = text(response.content)
    assert "Fjordline Software AS Invoice INV-7 Open" in page
    assert "Amount due $98.00 Due date 15 Jan 2027 Issued 15 Jan 2027 Billed to Ingrid Hansen" in page
    assert table_rows(response.content, "table-lines") == [
        ["Pro plan 15 Jan 2027 – 15 Feb 2027", "2", "$49.00", "—", "—", "$98.00"]
    ]
    assert "Total $98.00 Amount paid $0.00 Amount due $98.00" in page
    assert "Online payment is coming soon." in page
    html = response.content.decode()
    assert "<button" not in html.split('<main id="main"')[1]  # no fake pay button
    assert 'class="sidebar"' not in html and "Sign out" not in html  # none of the app around it
    assert open_invoice.subscription_id not in html and open_invoice.pk not in html


def test_a_paid_invoice_says_so_and_offers_no_payment(open_invoice: Invoice) -> None:
    Invoice.objects.filter(pk=open_invoice.pk).update(status="paid", amount_paid=9800, amount_due=0)
    page = text(Client().get(f"/pay/invoices/{pay_token(open_invoice)}/").content)
    assert "Invoice INV-7 Paid" in page
    assert "This invoice is paid. Thank you." in page
    assert "Online payment is coming soon." not in page


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature altered
        lambda token: token.replace(token.split(":")[0], "in_01aaaaaaaaaaaaaaaaaaaaaaaa"),  # another id
        lambda token: "nonsense",
    ],
)
def test_a_tampered_link_is_a_404_that_reveals_nothing(open_invoice: Invoice, tamper: Any) -> None:
    response = Client().get(f"/pay/invoices/{tamper(pay_token(open_invoice))}/")
    assert response.status_code == 404
    assert text(response.content).endswith(NOT_FOUND)
    html = response.content.decode()
    assert "INV-7" not in html and "Fjordline" not in html and "$98.00" not in html


def test_an_expired_link_is_the_same_404(open_invoice: Invoice) -> None:
    token = pay_token(open_invoice)
    clock.freeze(T0 + timedelta(days=MAX_AGE_DAYS, seconds=1))
    response = Client().get(f"/pay/invoices/{token}/")
    assert response.status_code == 404
    assert text(response.content).endswith(NOT_FOUND)


def test_a_link_to_a_deleted_invoice_is_the_same_404(records: Any) -> None:
    invoice = make_invoice(make_subscription(records.contact), status="open", amount_paid=0, amount_due=9800)
    token = pay_token(invoice)
    invoice.lines.all().delete()
    invoice.delete()
    response = Client().get(f"/pay/invoices/{token}/")
    assert response.status_code == 404
    assert text(response.content).endswith(NOT_FOUND)


def test_an_editor_opening_the_link_gets_no_clock_control(editor: Client, open_invoice: Invoice) -> None:
    html = editor.get(f"/pay/invoices/{pay_token(open_invoice)}/").content.decode()
    assert "clock-control" not in html
    assert "Sandbox mode" in html  # the buyer is told no real money moves


def test_a_draft_has_no_public_page(open_invoice: Invoice) -> None:
    Invoice.objects.filter(pk=open_invoice.pk).update(status="draft", number=None)
    response = Client().get(f"/pay/invoices/{pay_token(open_invoice)}/")
    assert response.status_code == 404
    assert text(response.content).endswith(NOT_FOUND)
