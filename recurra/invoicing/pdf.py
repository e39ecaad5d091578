"""An invoice as a PDF: pure rendering of the invoice, its lines and the account settings.

Labels are English or Norwegian bokmål by the invoice's ``language`` (anything else: English), in
the words of docs/glossary.md;
money and numbers are written the way that locale writes them (``1 234,50 kr`` / ``$1,234.50``),
dates the way every page and email writes them (``core.formats``: ``15. jan. 2027`` / ``15 Jan 2027``).

Surprising cases:

- fpdf2's built-in fonts (Helvetica) need no font files but only know one-byte text, so text is
  written in Windows-1252 (WinAnsiEncoding: Latin-1 plus €, –, —, •, curly quotes): æøå and € come
  out as they are; what Windows-1252 lacks is replaced (Babel's minus sign U+2212 by ``-``, narrow
  and thin spaces by a no-break space, anything else by ``?``) instead of failing the whole PDF.
- The creation date is the invoice's ``created_at``, so the same invoice gives the same bytes.
- A draft has no number: it is shown as "Draft".
- A line's amount is quantity × unit price, its discount written under its name; the totals add
  up as printed: Subtotal (the lines' amounts) − Discount + Tax = Total (the sum of the lines).
- The seller ("From") is the account's business name and the seller's details that are set, as
  the settings are now: changing them changes the PDF of every invoice, old ones too.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from babel.numbers import format_decimal, format_percent
from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from fpdf import FPDF
from fpdf.fonts import FontFace

from recurra.accounts.models import AccountSettings
from recurra.accounts.selectors import account_settings
from recurra.core.formats import day_text, period_text
from recurra.core.money import Money
from recurra.invoicing.models import Invoice

ENCODING = "cp1252"
PDF = "application/pdf"
FONT = "Helvetica"

# The PDF's words (translated in the invoicing catalogue; an invoice status as the pages say it).
LABELS = {
    "invoice": _("Invoice"),
    "draft": _("Draft"),
    "from": _("From"),
    "bill_to": _("Bill to"),
    "number": _("Invoice number"),
    "status": _("Status"),
    "issued_on": _("Issue date"),
    "due_on": _("Due date"),
    "period": _("Period"),
    "po_number": _("PO number"),
    "tax_id": _("Tax ID"),
    "subscription": _("Subscription"),
    "description": _("Description"),
    "quantity": _("Qty"),
    "unit_amount": _("Unit price"),
    "tax_rate": _("Tax"),
    "amount": _("Amount"),
    "line_discount": _("Discount"),
    "subtotal": _("Subtotal"),
    "discount": _("Discount"),
    "tax": _("Tax"),
    "total": _("Total"),
    "amount_paid": _("Amount paid"),
    "refunded": _("Refunded"),
    "amount_due": _("Amount due"),
    "comments": _("Comments"),
    "draft_status": pgettext_lazy("invoice status", "Draft"),
    "open_status": pgettext_lazy("invoice status", "Open"),
    "paid_status": pgettext_lazy("invoice status", "Paid"),
    "void_status": pgettext_lazy("invoice status", "Void"),
    "uncollectible_status": pgettext_lazy("invoice status", "Uncollectible"),
}

# What Babel writes that Windows-1252 lacks, and what stands in for it.
_REPLACEMENTS = str.maketrans({"\u2212": "-", "\u202f": "\xa0", "\u2009": "\xa0", "\u2011": "-"})


def pdf_text(text: str) -> str:
    """``text`` with every character Windows-1252 can write; the rest replaced (see the module doc)."""
    return text.translate(_REPLACEMENTS).encode(ENCODING, errors="replace").decode(ENCODING)


def invoice_filename(invoice: Invoice) -> str:
    """``INV-7.pdf``; a draft (no number yet) by its id. Safe in a quoted header: characters other
    than ASCII letters, digits, ``.``, ``_`` and ``-`` (from a custom number prefix) become ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", invoice.number or invoice.pk) + ".pdf"


class _Writer:
    """The invoice's words in its language: labels, money, dates, numbers."""

    def __init__(self, invoice: Invoice) -> None:
        self.invoice = invoice
        spoken = {code for code, _name in settings.LANGUAGES}
        self.locale = invoice.language if invoice.language in spoken else "en"
        with translation.override(self.locale):
            self.labels = {key: str(text) for key, text in LABELS.items()}

    def label(self, key: str) -> str:
        return self.labels[key]

    def money(self, amount: int) -> str:
        return Money(amount, self.invoice.currency).format(self.locale)

    def day(self, value: date) -> str:
        return day_text(value, self.locale)

    def period(self, start: date, end: date) -> str:
        return period_text(start, end, self.locale)

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, value: Decimal) -> str:
        return format_percent(value / 100, locale=self.locale, decimal_quantization=False)


def _address_lines(address: dict[str, str]) -> list[str]:
    city = " ".join(part for part in (address.get("postal_code", ""), address.get("city", "")) if part)
    parts = [address.get("line1", ""), address.get("line2", ""), city, address.get("state", "")]
    parts.append(address.get("country", ""))
    return [part for part in parts if part]


def _seller_lines(account: AccountSettings, w: _Writer) -> list[str]:
    """The "From" block: the business's name, then its address, email, phone, tax id and website."""
    tax_id = f"{w.label('tax_id')}: {account.seller_tax_id}" if account.seller_tax_id else ""
    lines = [account.business_name, *_address_lines(account.address), account.seller_email]
    lines += [account.seller_phone, tax_id, account.seller_website]
    return [line for line in lines if line]


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as PDF bytes (A4): seller, buyer, facts, lines, totals, comments and footer."""
    w = _Writer(invoice)
    pdf = FPDF(format="A4", unit="mm")
    pdf.core_fonts_encoding = ENCODING
    pdf.set_creation_date(invoice.created_at)
    pdf.set_title(pdf_text(f"{w.label('invoice')} {invoice.number or w.label('draft')}"))
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    width = pdf.epw

    def text(value: str, *, size: float = 10, style: str = "", align: str = "L", h: float = 5) -> None:
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(width, h, pdf_text(value), align=align, new_x="LMARGIN", new_y="NEXT")

    account = account_settings()
    text(account.business_name, size=14, style="B", h=7)
    pdf.ln(2)
    text(f"{w.label('invoice')} {invoice.number or w.label('draft')}", size=20, style="B", h=10)
    pdf.ln(3)

    # Facts: label / value pairs.
    facts = [
        (w.label("number"), invoice.number or w.label("draft")),
        (w.label("status"), w.label(f"{invoice.status}_status")),
        (w.label("issued_on"), w.day(invoice.issued_on)),
        (w.label("due_on"), w.day(invoice.due_on)),
    ]
    if invoice.period_start and invoice.period_end:
        facts.append((w.label("period"), w.period(invoice.period_start, invoice.period_end)))
    if invoice.subscription_name:
        facts.append((w.label("subscription"), invoice.subscription_name))
    if invoice.po_number:
        facts.append((w.label("po_number"), invoice.po_number))
    if invoice.tax_id:
        facts.append((w.label("tax_id"), invoice.tax_id))
    for name, value in facts:
        pdf.set_font(FONT, "B", 10)
        pdf.cell(45, 5, pdf_text(name))
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(width - 45, 5, pdf_text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    # Seller and buyer side by side.
    contact = invoice.contact
    buyer = [contact.full_name, contact.email]
    if invoice.company is not None:
        buyer.insert(0, invoice.company.name)
    buyer += _address_lines(invoice.billing_address or {})
    top = bottom = pdf.get_y()
    column = width / 2 - 3
    for x, heading, lines in (
        (pdf.l_margin, w.label("from"), _seller_lines(account, w)),
        (pdf.l_margin + width / 2 + 3, w.label("bill_to"), [line for line in buyer if line]),
    ):
        pdf.set_xy(x, top)
        pdf.set_font(FONT, "B", 10)
        pdf.cell(column, 5, pdf_text(heading), new_x="LEFT", new_y="NEXT")
        pdf.set_font(FONT, "", 10)
        for line in lines:
            pdf.multi_cell(column, 5, pdf_text(line), new_x="LEFT", new_y="NEXT")
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(pdf.l_margin, bottom + 6)

    # Lines.
    pdf.set_font(FONT, "", 9)
    headings = ("description", "quantity", "unit_amount", "tax_rate", "amount")
    with pdf.table(
        col_widths=(80, 16, 30, 18, 30),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=FontFace(emphasis="BOLD"),
        line_height=5,
        padding=1.5,
    ) as table:
        row = table.row()
        for key in headings:
            row.cell(pdf_text(w.label(key)))
        for item in invoice.lines.all():
            described = [item.name]
            if item.description:
                described.append(item.description)
            if item.period_start and item.period_end:
                described.append(w.period(item.period_start, item.period_end))
            if item.discount_percent:
                described.append(
                    f"{w.label('line_discount')} {w.percent(item.discount_percent)}: "
                    f"-{w.money(item.amount_discount)}"
                )
            row = table.row()
            row.cell(pdf_text("\n".join(described)))
            row.cell(pdf_text(w.number(item.quantity)))
            row.cell(pdf_text(w.money(item.unit_amount)))
            row.cell(pdf_text(w.percent(item.tax_rate_percent)))
            row.cell(pdf_text(w.money(item.amount_before_discount)))
    pdf.ln(4)

    # Totals, right-aligned: the lines' amounts (before discount) − discount + tax = total.
    totals = [(w.label("subtotal"), invoice.amount_before_discount)]
    if invoice.discount:
        totals.append((w.label("discount"), -invoice.discount))
    totals += [
        (w.label("tax"), invoice.tax),
        (w.label("total"), invoice.total),
        (w.label("amount_paid"), invoice.amount_paid),
        (w.label("amount_due"), invoice.amount_due),
    ]
    if invoice.amount_refunded:  # given back since: not part of the sum above
        totals.append((w.label("refunded"), invoice.amount_refunded))
    for name, amount in totals:
        bold = "B" if name in (w.label("total"), w.label("amount_due")) else ""
        pdf.set_x(pdf.l_margin + width - 90)
        pdf.set_font(FONT, bold, 10)
        pdf.cell(50, 6, pdf_text(name))
        pdf.cell(40, 6, pdf_text(w.money(amount)), align="R", new_x="LMARGIN", new_y="NEXT")

    if invoice.comments:
        pdf.ln(6)
        text(w.label("comments"), style="B")
        text(invoice.comments)
    if invoice.footer:
        pdf.ln(8)
        text(invoice.footer, size=8, align="C", h=4)
    return bytes(pdf.output())


def invoice_pdf_response(invoice: Invoice) -> HttpResponse:
    """The PDF shown in the browser (``inline``), named ``<number>.pdf``: the API's and the web's."""
    response = HttpResponse(invoice_pdf(invoice), content_type=PDF)
    response["Content-Disposition"] = f'inline; filename="{invoice_filename(invoice)}"'
    return response
