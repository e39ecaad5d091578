"""One date format everywhere: the pages this work touched, the buyer's invoice page, the emails and the
PDF write every day as "15 Jan 2027" (a time: "15 Jan 2027, 10:30", in the account's zone), never
"January 15, 2027", "Jan. 15, 2027", "Fri 15 Jan 2027" or "2027-01-15".

The data: tests/web/test_timeline.py's subscription (billed at T0, edited a day later; Oslo time).
"""

from __future__ import annotations

import re

from django.test import Client

from recurra.catalog.line_items import LineItemInput
from recurra.commerce.quotes import quote_create, quote_publish
from recurra.core import clock
from recurra.crm.services import deal_create
from recurra.invoicing.links import pay_token
from recurra.invoicing.models import Invoice
from recurra.invoicing.pdf import invoice_pdf
from recurra.notifications.models import EmailMessage
from recurra.notifications.render import render
from recurra.payments.models import Payment
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM
from tests.services.test_invoice_pdf import pdf_texts
from tests.web.html import text
from tests.web.test_timeline import billed  # noqa: F401 (a fixture)

MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept|Oct|Nov|Dec)"
ONE_FORMAT = re.compile(rf"\b\d{{1,2}} {MONTH} \d{{4}}(?:, \d{{2}}:\d{{2}})?")
OTHER_FORMATS = re.compile(
    r"\b(?:January|February|March|April|June|July|August|September|October|November|December)\b"
    r"|\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.? \d{1,2}, \d{4}"
    r"|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} "
    r"|\b\d{4}-\d{2}-\d{2}\b"
    r"|\d{2}:\d{2}:\d{2}"
)


def dates_in(shown: str) -> list[str]:
    """Every date the text shows, after checking none is written another way."""
    assert OTHER_FORMATS.findall(shown) == [], OTHER_FORMATS.findall(shown)
    return ONE_FORMAT.findall(shown)


def test_pages_emails_and_the_pdf_write_dates_one_way(
    viewer: Client,
    billed: Subscription,  # noqa: F811
) -> None:
    invoice, payment = Invoice.objects.get(), Payment.objects.get()
    item = LineItemInput(name="Pro plan", unit_amount=4900, currency="USD", billing_frequency="monthly")
    deal = deal_create(actor=SYSTEM, name="Ada's deal", contact_id=billed.contact_id, line_items=[item])
    quote_publish(quote=quote_create(deal=deal, actor=SYSTEM, at=clock.now()), actor=SYSTEM, at=clock.now())
    seen: set[str] = set()
    for url in (
        f"/subscriptions/{billed.pk}/",
        f"/invoices/{invoice.pk}/",
        f"/payments/{payment.pk}/",
        "/invoices/",
        "/payments/",
        f"/deals/{deal.pk}/",
        f"/pay/invoices/{pay_token(invoice)}/",
    ):
        page = text(viewer.get(url).content)
        seen.update(dates_in(page[page.index("No real money moves.") :]))  # the sandbox clock is UTC
    for email in EmailMessage.objects.all():
        rendered = render(email.kind, email.language, email.data)
        seen.update(dates_in(f"{rendered.subject}\n{rendered.text}"))
    seen.update(dates_in("\n".join(pdf_texts(invoice_pdf(invoice)))))

    assert seen >= {
        "15 Jan 2027",
        "15 Feb 2027",
        "15 Jan 2027, 10:30",  # 09:30 UTC, in Oslo
        "16 Jan 2027, 10:30",
        "15 Apr 2027",  # among the upcoming payments
    }
