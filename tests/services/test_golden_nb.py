"""Golden files: every email (subject, text, HTML) and the invoice PDF in Norwegian bokmål, from a
fixed fixture (fixed dates, numbers and ids; nothing from the clock), compared with the files under
``tests/golden/nb/`` that a person has read.

After a deliberate change, write them again and read every changed one before committing:

    RECURRA_GOLDEN_WRITE=1 pytest tests/services/test_golden_nb.py

The PDF is compared by the text its page shows, line by line (``invoice.pdf.txt``): its bytes
change with the fpdf2 version, its words do not.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from recurra.accounts.services import account_settings_update
from recurra.invoicing.pdf import invoice_pdf
from recurra.notifications.models import EmailKind
from recurra.notifications.render import render
from tests.conftest import SYSTEM
from tests.services.test_invoice_pdf import make_invoice, pdf_texts

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "nb"
WRITE = os.environ.get("RECURRA_GOLDEN_WRITE") == "1"

COMMON: dict[str, Any] = {
    "business_name": "Fjordline Software AS",
    "contact_name": "Kari Nordmann",
    "contact_email": "kari@fjordline.example",
    "subscription_id": "sub_golden",
    "subscription_name": "Pro-abonnement",
    "currency": "NOK",
    "app_url": "https://billing.example.com/subscriptions/sub_golden/",
}
LINES = [
    {"name": "Pro-lisens", "quantity": 2, "amount": 100000},
    {"name": "Brukerstøtte", "quantity": 1, "amount": 23450},
]
# Stored data as the billing run queues it: in English (a method's type, a decline), put in the
# email's language when it is rendered.
EMAILS: dict[str, dict[str, Any]] = {
    EmailKind.RECEIPT: COMMON
    | {
        "amount": 123450,
        "invoice_number": "INV-0007",
        "paid_on": "2027-01-15",
        "period_start": "2027-01-15",
        "period_end": "2027-02-14",
        "payment_method": "Visa •••• 4242",
        "next_payment_date": "2027-02-15",
        "lines": LINES,
    },
    EmailKind.PAYMENT_REMINDER: COMMON
    | {"amount": 123450, "charge_on": "2027-02-15", "payment_method": "Bank debit (SEPA) •••• 3000"},
    EmailKind.INVOICE: COMMON
    | {
        "invoice_number": "INV-0008",
        "amount_due": 123450,
        "issued_on": "2027-01-15",
        "due_on": "2027-02-14",
        "payment_terms": "net_30",
        "pay_url": "https://billing.example.com/pay/invoices/tok/",
        "lines": LINES,
    },
    EmailKind.PAYMENT_FAILED: COMMON
    | {
        "amount": 123450,
        "invoice_number": "INV-0009",
        "failure_message": "Your card has insufficient funds.",
        "update_url": "https://billing.example.com/update-payment-method/tok/",
    },
    EmailKind.PAYMENT_ACTION_REQUIRED: COMMON
    | {
        "amount": 123450,
        "invoice_number": "INV-0009",
        "pay_url": "https://billing.example.com/pay/invoices/tok/",
    },
    EmailKind.PAYMENT_METHOD_UPDATE: COMMON
    | {"update_url": "https://billing.example.com/update-payment-method/tok/", "expires_on": "2027-01-22"},
    EmailKind.CANCELLATION: COMMON
    | {"canceled_on": "2027-01-15", "access_until": "2027-02-14", "refund_amount": 5000},
    EmailKind.SUBSCRIPTION_CHANGED: COMMON
    | {"next_payment_amount": 123450, "next_payment_date": "2027-02-15", "lines": LINES},
    EmailKind.ADMIN_PAYMENT_SUCCEEDED: COMMON | {"amount": 123450, "invoice_number": "INV-0007"},
    EmailKind.ADMIN_PAYMENT_FAILED: COMMON
    | {"amount": 123450, "invoice_number": "INV-0009", "failure_message": "No payment method is saved."},
    EmailKind.ADMIN_PAYMENT_DISPUTED: COMMON
    | {
        "amount": 123450,
        "invoice_number": "INV-0007",
        "outcome": "opened",
        "reason": "product not received",
        "respond_by": "2027-01-29",
    },
    EmailKind.EXPORT_READY: {
        "business_name": "Fjordline Software AS",
        "download_url": "https://billing.example.com/exports/exp_1/download/",
        "expires_on": "2027-02-14",
        "format": "xlsx",
    },
    EmailKind.ADMIN_WEBHOOK_DISABLED: {
        "business_name": "Fjordline Software AS",
        "url": "https://erp.fjordline.example/hooks/recurra",
        "failing_since": "2027-01-12",
        "reason": "svarte 500",  # said in the account's language when the email was queued
        "app_url": "https://billing.example.com/settings/webhooks/we_1/",
    },
    EmailKind.WORKFLOW_NOTIFICATION: {
        "business_name": "Fjordline Software AS",
        "subject": "Pro-abonnement er ubetalt",
        "body": "Pro-abonnement er ubetalt.\nNeste betaling: 15. feb. 2027.",
        "workflow_name": "Varsle eieren når et abonnement blir ubetalt",
        "record_url": "https://billing.example.com/subscriptions/sub_golden/",
    },
    EmailKind.LIST_EMAIL: {
        "business_name": "Fjordline Software AS",
        "subject": "Kari, Pro-abonnementet ditt slutter 14. feb. 2027",
        "body": "Hei Kari,\n\nForny nå på https://fjordline.example/forny og behold dataene.\n\nHilsen oss",
        "unsubscribe_url": "https://billing.example.com/unsubscribe/con_golden:sig/",
    },
    EmailKind.ADMIN_DIGEST: {
        "business_name": "Fjordline Software AS",
        "app_url": "https://billing.example.com/",
        "day": "2027-01-15",
        "succeeded": {"count": 1, "totals": [{"currency": "NOK", "amount": 123450}]},
        "failed": {
            "count": 1,
            "totals": [{"currency": "NOK", "amount": 19900}],
            "items": [
                {
                    "contact_name": "Ola Nordmann",
                    "subscription_name": "Basis",
                    "amount": 19900,
                    "currency": "NOK",
                    "failure_message": "Your card was declined.",
                },
            ],
        },
    },
}


def matches_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if WRITE:
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path}: write it with RECURRA_GOLDEN_WRITE=1, then read it"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.mark.parametrize("kind", list(EMAILS))
def test_each_email_in_bokmal_matches_its_golden_files(kind: str) -> None:
    rendered = render(kind, "nb", EMAILS[kind])
    matches_golden(f"{kind}.subject.txt", rendered.subject + "\n")
    matches_golden(f"{kind}.txt", rendered.text)
    matches_golden(f"{kind}.html", rendered.html)


def test_every_email_kind_has_golden_files() -> None:
    assert set(EMAILS) == set(EmailKind.values)


def test_the_invoice_pdf_in_bokmal_matches_its_golden_text(frozen_clock: Any) -> None:
    """``make_invoice``: INV-42 of 3 × 457,22 kr less 10 %, 25 % VAT, a comment and a footer."""
    account_settings_update(
        actor=SYSTEM,
        business_name="Nordlys Programvare AS",
        seller_address={"line1": "Strandkaien 2", "postal_code": "5003", "city": "Bergen", "country": "NO"},
        seller_email="faktura@nordlys.example",
        seller_tax_id="NO 912 345 678 MVA",
    )
    shown = "\n".join(pdf_texts(invoice_pdf(make_invoice()))) + "\n"
    matches_golden("invoice.pdf.txt", shown)
