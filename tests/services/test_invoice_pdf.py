"""The invoice PDF: seller, buyer, the advanced settings and totals in the invoice's language."""

from __future__ import annotations

import re
import zlib
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from recurra.accounts.selectors import account_settings
from recurra.accounts.services import account_settings_update
from recurra.crm.services import company_create, contact_create
from recurra.invoicing.models import Invoice, InvoiceLine
from recurra.invoicing.pdf import invoice_filename, invoice_pdf, pdf_text
from tests.conftest import SYSTEM

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_SHOWN = re.compile(r"\(((?:\\.|[^\\)])*)\)\s*Tj")


def pdf_texts(data: bytes) -> list[str]:
    """The strings a PDF's pages show (fpdf2 core fonts: Windows-1252 text in ``(...) Tj``), with
    no-break spaces as plain ones (fpdf2 writes table cells' as plain spaces)."""
    shown: list[str] = []
    for raw in _STREAM.findall(data):
        try:
            content = zlib.decompress(raw)
        except zlib.error:
            content = raw
        text = content.decode("cp1252", errors="replace").replace("\xa0", " ")
        shown += [re.sub(r"\\(.)", r"\1", s) for s in _SHOWN.findall(text)]
    return shown


def make_invoice(**fields: Any) -> Invoice:
    """An open NOK invoice INV-42 of 3 × 457,22 less 10 % (137,166 → 137,17) = 1 234,49, +25 % tax
    (308,6225 → 308,62) = 1 543,11."""
    company = company_create(actor=SYSTEM, name="Fjordline AS")
    contact = contact_create(
        actor=SYSTEM,
        email="ingrid@fjordline.example",
        first_name="Ingrid",
        last_name="Hansen",
        company_id=company.pk,
    )
    values: dict[str, Any] = {
        "number": "INV-42",
        "status": "open",
        "contact": contact,
        "company": company,
        "currency": "NOK",
        "subtotal": 123449,
        "discount": 13717,
        "tax": 30862,
        "total": 154311,
        "amount_paid": 0,
        "amount_due": 154311,
        "collection_method": "send_invoice",
        "payment_terms": "net_30",
        "issued_on": date(2027, 1, 15),
        "due_on": date(2027, 2, 14),
        "period_start": date(2027, 1, 15),
        "period_end": date(2027, 2, 15),
        "language": "nb",
        "comments": "Takk for handelen — æøå ÆØÅ",
        "footer": "Fjordline AS • Bankkonto 1234.56.78903",
        "po_number": "PO-7788",
        "tax_id": "NO 999 888 777 MVA",
        "billing_address": {
            "line1": "Strandgata 1",
            "postal_code": "5013",
            "city": "Bergen",
            "country": "NO",
        },
        "subscription_name": "Pro årlig",
    }
    invoice = Invoice.objects.create(**{**values, **fields})
    InvoiceLine.objects.create(
        invoice=invoice,
        name="Pro plan",
        description="Årlig lisens",
        quantity=3,
        unit_amount=45722,
        discount_percent=Decimal("10"),
        tax_rate_percent=Decimal("25"),
        amount_discount=13717,
        amount_subtotal=123449,
        amount_tax=30862,
        amount_total=154311,
    )
    return invoice


@pytest.fixture
def invoice(frozen_clock: Any) -> Invoice:
    settings = account_settings()
    settings.business_name = "Nordlys Programvare AS"
    settings.save()
    return make_invoice()


def test_a_norwegian_invoice_has_seller_buyer_settings_and_nb_formats(invoice: Invoice) -> None:
    data = invoice_pdf(invoice)

    assert data.startswith(b"%PDF-")
    shown = pdf_texts(data)
    text = "\n".join(shown)
    for expected in (
        "Nordlys Programvare AS",
        "Faktura INV-42",
        "Fjordline AS",
        "Ingrid Hansen",
        "ingrid@fjordline.example",
        "Strandgata 1",
        "5013 Bergen",
        "PO-7788",
        "NO 999 888 777 MVA",
        "Pro årlig",
        "15. jan. 2027",
        "14. feb. 2027",
        "Åpen",
        "Takk for handelen — æøå ÆØÅ",
        "Fjordline AS • Bankkonto 1234.56.78903",
        "Årlig lisens",
    ):
        assert expected in text, expected
    # Money as Norwegian writes it: (no-break) space thousands, decimal comma; Babel's minus as "-".
    assert "1 371,66 kr" in shown
    assert "1 543,11 kr" in shown
    assert "-137,17 kr" in shown
    assert "25 %" in shown


def _from_block(shown: list[str], heading: str, next_heading: str) -> list[str]:
    start = shown.index(heading) + 1
    return shown[start : shown.index(next_heading, start)]


def test_the_seller_block_has_the_name_alone_until_details_are_set(invoice: Invoice) -> None:
    shown = pdf_texts(invoice_pdf(invoice))
    assert _from_block(shown, "Fra", "Faktureres til") == ["Nordlys Programvare AS"]


def test_the_seller_block_prints_the_details_that_are_set(invoice: Invoice) -> None:
    account_settings_update(
        actor=SYSTEM,
        seller_address={"line1": "Strandkaien 2", "postal_code": "5003", "city": "Bergen", "country": "NO"},
        seller_email="faktura@nordlys.example",
        seller_tax_id="NO 912 345 678 MVA",
        seller_website="nordlys.example",
    )
    shown = pdf_texts(invoice_pdf(invoice))
    assert _from_block(shown, "Fra", "Faktureres til") == [
        "Nordlys Programvare AS",
        "Strandkaien 2",
        "5003 Bergen",
        "NO",
        "faktura@nordlys.example",
        "MVA-nummer: NO 912 345 678 MVA",
        "https://nordlys.example",
    ]
    # the buyer's tax id stays among the invoice's facts, the buyer's address in "Bill to"
    assert "NO 999 888 777 MVA" in shown and "Strandgata 1" in shown

    account_settings_update(actor=SYSTEM, seller_phone="+47 55 00 00 00", seller_tax_id="")
    invoice.language = "en"
    english = pdf_texts(invoice_pdf(invoice))
    assert _from_block(english, "From", "Bill to") == [
        "Nordlys Programvare AS",
        "Strandkaien 2",
        "5003 Bergen",
        "NO",
        "faktura@nordlys.example",
        "+47 55 00 00 00",
        "https://nordlys.example",
    ]


def test_an_english_invoice_uses_english_labels_and_formats(frozen_clock: Any) -> None:
    invoice = make_invoice(language="en", currency="USD", comments="", footer="", po_number="")
    shown = pdf_texts(invoice_pdf(invoice))
    text = "\n".join(shown)
    assert "Invoice INV-42" in text
    assert "15 Jan 2027" in text
    assert "$1,371.66" in shown and "$1,543.11" in shown
    assert "PO number" not in text and "Comments" not in text


def test_a_draft_is_named_by_id_and_unknown_languages_fall_back_to_english(frozen_clock: Any) -> None:
    invoice = make_invoice(number=None, status="draft", language="de")
    assert invoice_filename(invoice) == f"{invoice.pk}.pdf"
    assert "Invoice Draft" in "\n".join(pdf_texts(invoice_pdf(invoice)))


def test_the_same_invoice_gives_the_same_bytes(invoice: Invoice) -> None:
    assert invoice_pdf(invoice) == invoice_pdf(invoice)


def test_text_outside_windows_1252_is_replaced_not_fatal() -> None:
    assert pdf_text("\u22121\u202f234 € → æ") == "-1\xa0234 € ? æ"


def test_the_totals_add_up_as_printed(invoice: Invoice) -> None:
    """Each line's amount is quantity × unit price (its discount under its name); then
    Subtotal − Discount + Tax = Total: 1 371,66 − 137,17 + 308,62 = 1 543,11."""
    shown = pdf_texts(invoice_pdf(invoice))
    line = shown.index("Pro plan")
    assert shown[line : line + 7] == [
        "Pro plan",
        "Årlig lisens",
        "Rabatt 10 %: -137,17 kr",
        "3",
        "457,22 kr",
        "25 %",
        "1 371,66 kr",
    ]
    totals = shown.index("Delsum")
    assert shown[totals : totals + 12] == [
        "Delsum",
        "1 371,66 kr",
        "Rabatt",
        "-137,17 kr",
        "Mva.",
        "308,62 kr",
        "Totalt",
        "1 543,11 kr",
        "Betalt",
        "0,00 kr",
        "Å betale",
        "1 543,11 kr",
    ]
