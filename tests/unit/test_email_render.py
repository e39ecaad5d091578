"""Email rendering: every kind in English and Norwegian bokmål, from its snapshotted data alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from recurra.notifications.models import EmailKind
from recurra.notifications.render import REQUIRED, MissingData, render, supported_language
from recurra.notifications.services import EmailDraft

NOTIFICATIONS = Path(__file__).resolve().parents[2] / "recurra" / "notifications"
TEMPLATES = NOTIFICATIONS / "templates" / "notifications" / "email"
CATALOGUE = NOTIFICATIONS / "locale" / "nb" / "LC_MESSAGES" / "django.po"

COMMON: dict[str, Any] = {
    "business_name": "Fjord Software AS",
    "contact_name": "Kari Nordmann",
    "contact_email": "kari@example.com",
    "subscription_id": "sub_1",
    "subscription_name": "Pro plan",
    "currency": "NOK",
    "app_url": "https://billing.example.com/app/subscriptions/sub_1",
}
LINES = [
    {"name": "Pro <plan>", "quantity": 2, "amount": 100000},
    {"name": "Support", "quantity": 1, "amount": 23450},
]
SAMPLES: dict[str, dict[str, Any]] = {
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
    | {"amount": 123450, "charge_on": "2027-02-15", "payment_method": "Visa •••• 4242"},
    EmailKind.INVOICE: COMMON
    | {
        "invoice_number": "INV-0008",
        "amount_due": 123450,
        "issued_on": "2027-01-15",
        "due_on": "2027-02-14",
        "payment_terms": "net_30",
        "pay_url": "https://billing.example.com/pay/inv_8",
        "lines": LINES,
    },
    EmailKind.PAYMENT_FAILED: COMMON
    | {
        "amount": 123450,
        "invoice_number": "INV-0009",
        "failure_message": "Your card has insufficient funds.",
        "update_url": "https://billing.example.com/update/tok",
    },
    EmailKind.PAYMENT_METHOD_UPDATE: COMMON
    | {"update_url": "https://billing.example.com/update/tok", "expires_on": "2027-01-22"},
    EmailKind.CANCELLATION: COMMON
    | {"canceled_on": "2027-01-15", "access_until": "2027-02-14", "refund_amount": 5000},
    EmailKind.SUBSCRIPTION_CHANGED: COMMON
    | {"next_payment_amount": 123450, "next_payment_date": "2027-02-15", "lines": LINES},
    EmailKind.ADMIN_PAYMENT_SUCCEEDED: COMMON | {"amount": 123450, "invoice_number": "INV-0007"},
    EmailKind.ADMIN_PAYMENT_FAILED: COMMON
    | {"amount": 123450, "invoice_number": "INV-0009", "failure_message": "Card declined."},
    EmailKind.ADMIN_PAYMENT_DISPUTED: COMMON
    | {
        "amount": 123450,
        "invoice_number": "INV-0007",
        "outcome": "opened",
        "reason": "product not received",
        "respond_by": "2027-01-29",
        "app_url": "https://billing.example.com/payments/pay_1/",
    },
    EmailKind.PAYMENT_ACTION_REQUIRED: COMMON
    | {"amount": 123450, "invoice_number": "INV-0009", "pay_url": "https://billing.example/pay/invoices/t/"},
    EmailKind.EXPORT_READY: {
        "business_name": "Fjord Software AS",
        "download_url": "https://billing.example.com/exports/exp_1/file",
        "expires_on": "2027-02-14",
        "format": "xlsx",
    },
    EmailKind.ADMIN_WEBHOOK_DISABLED: {
        "business_name": "Fjord Software AS",
        "url": "https://example.com/hooks/recurra",
        "failing_since": "2027-01-12",
        "reason": "answered 500",
        "app_url": "https://billing.example.com/settings/webhooks/we_1/",
    },
    EmailKind.WORKFLOW_NOTIFICATION: {
        "business_name": "Fjord Software AS",
        "subject": "Pro plan is Unpaid",
        "body": "The last payment failed.\nOpen it: https://billing.example.com/subscriptions/sub_1/",
        "workflow_name": "Notify the owner",
        "record_url": "https://billing.example.com/subscriptions/sub_1/",
    },
    EmailKind.LIST_EMAIL: {
        "business_name": "Fjord Software AS",
        "subject": "Kari, your Pro plan ends on 14 Feb 2027",
        "body": "Hi Kari,\n\nRenew <now> at https://fjord.example/renew and keep your data.",
        "unsubscribe_url": "https://billing.example.com/unsubscribe/con_1:sig/",
    },
    EmailKind.ADMIN_DIGEST: {
        "business_name": "Fjord Software AS",
        "app_url": "https://billing.example.com/",
        "day": "2027-01-15",
        "succeeded": {"count": 1, "totals": [{"currency": "NOK", "amount": 123450}]},
        "failed": {
            "count": 3,
            "totals": [{"currency": "NOK", "amount": 5000}, {"currency": "USD", "amount": 1999}],
            "items": [
                {
                    "contact_name": "Ola Nordmann",
                    "subscription_name": "Basic",
                    "amount": 1999,
                    "currency": "USD",
                    "failure_message": "Card declined.",
                },
            ],
        },
    },
}

RECEIPT_EN = """Hi Kari Nordmann,

Thank you for your payment of NOK1,234.50 for Pro plan.

Invoice number: INV-0007
Paid on: 15 Jan 2027
Billing period: 15 Jan 2027 – 14 Feb 2027
Payment method: Visa •••• 4242

- Pro <plan> × 2: NOK1,000.00
- Support × 1: NOK234.50
Total paid: NOK1,234.50

Your next payment is due on 15 Feb 2027.

--
Sent by Fjord Software AS.
"""

RECEIPT_NB = """Hei Kari Nordmann,

Takk for betalingen på 1\xa0234,50\xa0kr for Pro plan.

Fakturanummer: INV-0007
Betalt: 15. jan. 2027
Faktureringsperiode: 15. jan. 2027 – 14. feb. 2027
Betalingsmåte: Visa •••• 4242

- Pro <plan> × 2: 1\xa0000,00\xa0kr
- Support × 1: 234,50\xa0kr
Totalt betalt: 1\xa0234,50\xa0kr

Neste betaling forfaller 15. feb. 2027.

--
Sendt av Fjord Software AS.
"""


def test_samples_cover_every_kind() -> None:
    assert set(SAMPLES) == set(EmailKind.values) == set(REQUIRED)


def test_receipt_in_english_exactly() -> None:
    email = render("receipt", "en", SAMPLES["receipt"])
    assert email.subject == "Receipt from Fjord Software AS: NOK1,234.50"
    assert email.text == RECEIPT_EN


def test_receipt_in_norwegian_exactly() -> None:
    email = render("receipt", "nb", SAMPLES["receipt"])
    assert email.subject == "Kvittering fra Fjord Software AS: 1\xa0234,50\xa0kr"
    assert email.text == RECEIPT_NB


def test_html_is_escaped_and_self_contained() -> None:
    html = render("receipt", "nb", SAMPLES["receipt"]).html
    assert html.startswith('<!doctype html>\n<html lang="nb">')
    assert "Pro &lt;plan&gt;" in html and "Pro <plan>" not in html
    assert '<td style="padding:3px 12px 3px 0;color:#52606d;vertical-align:top;">Fakturanummer</td>' in html
    assert "<link" not in html and "<script" not in html and "<img" not in html and "class=" not in html


@pytest.mark.parametrize("kind", sorted(SAMPLES))
@pytest.mark.parametrize("language", ["en", "nb"])
def test_every_kind_renders_with_its_data(kind: str, language: str) -> None:
    email = render(kind, language, SAMPLES[kind])
    assert email.subject and "\n" not in email.subject
    for body in (email.text, email.html):
        assert "%(" not in body and "{{" not in body and "{%" not in body
        assert "None" not in body
    assert "Fjord Software AS" in email.text and "Fjord Software AS" in email.html
    assert email.html.rstrip().endswith("</html>")


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_norwegian_differs_from_english(kind: str) -> None:
    en, nb = render(kind, "en", SAMPLES[kind]), render(kind, "nb", SAMPLES[kind])
    own_subject = kind in ("workflow_notification", "list_email")  # its author's words, in any language
    assert (en.subject == nb.subject) if own_subject else (en.subject != nb.subject)
    assert en.text != nb.text
    assert en.html != nb.html


def test_norwegian_subjects() -> None:
    subjects = {kind: render(kind, "nb", data).subject for kind, data in SAMPLES.items()}
    assert subjects == {
        "receipt": "Kvittering fra Fjord Software AS: 1\xa0234,50\xa0kr",
        "payment_reminder": "Kommende betaling for Pro plan 15. feb. 2027",
        "invoice": "Faktura INV-0008 fra Fjord Software AS",
        "payment_failed": "Betalingen din for Pro plan mislyktes",
        "payment_method_update": "Oppdater betalingsmåten for Pro plan",
        "cancellation": "Abonnementet ditt Pro plan er kansellert",
        "subscription_changed": "Abonnementet ditt Pro plan er endret",
        "admin_payment_succeeded": "Betaling mottatt: 1\xa0234,50\xa0kr fra Kari Nordmann",
        "admin_payment_failed": "Betaling mislyktes: 1\xa0234,50\xa0kr fra Kari Nordmann",
        "admin_payment_disputed": "Betaling omtvistet: 1\xa0234,50\xa0kr fra Kari Nordmann",
        "payment_action_required": "Bekreft betalingen for Pro plan",
        "export_ready": "Eksporten din er klar",
        "admin_digest": "Betalingsoversikt for 15. jan. 2027",
        "admin_webhook_disabled": "Webhook-endepunkt deaktivert: https://example.com/hooks/recurra",
        "workflow_notification": "Pro plan is Unpaid",  # the workflow's own words, as its author wrote them
        "list_email": "Kari, your Pro plan ends on 14 Feb 2027",  # its author's words likewise
    }


def test_invoice_shows_terms_and_pay_link() -> None:
    email = render("invoice", "en", SAMPLES["invoice"])
    assert "Due on: 14 Feb 2027\nPayment terms: net 30 days\n" in email.text
    assert "Pay the invoice online: https://billing.example.com/pay/inv_8" in email.text
    assert 'href="https://billing.example.com/pay/inv_8"' in email.html
    assert "Betalingsbetingelser: 30 dager netto" in render("invoice", "nb", SAMPLES["invoice"]).text


def test_optional_data_left_out() -> None:
    failed = SAMPLES["payment_failed"] | {"update_url": None}
    text = render("payment_failed", "en", failed).text
    assert "Please contact us to update your payment method." in text
    assert "Update your payment method:" not in text
    receipt = SAMPLES["receipt"] | {"next_payment_date": None}
    assert "next payment" not in render("receipt", "en", receipt).text
    cancel = {k: v for k, v in SAMPLES["cancellation"].items() if k not in ("access_until", "refund_amount")}
    text = render("cancellation", "en", cancel).text
    assert "was canceled on 15 Jan 2027." in text
    assert "stays active" not in text and "refunded" not in text


def test_greeting_without_a_name() -> None:
    text = render("payment_reminder", "nb", SAMPLES["payment_reminder"] | {"contact_name": ""}).text
    assert text.startswith("Hei,\n\nDette er en påminnelse om at 1\xa0234,50\xa0kr for Pro plan")


def test_admin_notice_falls_back_to_the_email_and_links_the_app() -> None:
    data = SAMPLES["admin_payment_failed"] | {"contact_name": ""}
    email = render("admin_payment_failed", "en", data)
    assert email.subject == "Payment failed: NOK1,234.50 from kari@example.com"
    assert email.text.startswith(
        "A payment of NOK1,234.50 from kari@example.com for Pro plan (invoice INV-0009) failed.\n"
        "Reason: Card declined.\n\n"
        "View the subscription: https://billing.example.com/app/subscriptions/sub_1\n"
    )


def test_dispute_notice_opened_won_and_lost() -> None:
    opened = render("admin_payment_disputed", "en", SAMPLES["admin_payment_disputed"])
    assert opened.subject == "Payment disputed: NOK1,234.50 from Kari Nordmann"
    assert opened.text == (
        "The bank of Kari Nordmann disputes a payment of NOK1,234.50 for Pro plan (invoice INV-0007).\n"
        "Reason given: product not received\n"
        "Send your evidence from the Stripe Dashboard by 29 Jan 2027.\n\n"
        "View the payment: https://billing.example.com/payments/pay_1/\n\n"
        "--\nSent by Fjord Software AS.\n"
    )
    won = render("admin_payment_disputed", "en", SAMPLES["admin_payment_disputed"] | {"outcome": "won"})
    assert won.subject == "Dispute won: NOK1,234.50 from Kari Nordmann"
    assert won.text.startswith(
        "The dispute of a payment of NOK1,234.50 from Kari Nordmann for Pro plan (invoice INV-0007) "
        "was closed in your favour: the payment stands.\n\nView the payment:"
    )
    assert "evidence" not in won.text and "evidence" not in won.html
    lost = render("admin_payment_disputed", "nb", SAMPLES["admin_payment_disputed"] | {"outcome": "lost"})
    assert lost.subject == "Tvist tapt: 1\xa0234,50\xa0kr fra Kari Nordmann"
    assert "ble tapt: banken har gitt pengene tilbake til kjøperen." in lost.text


def test_digest_counts_with_plurals_and_lists_failures() -> None:
    text = render("admin_digest", "en", SAMPLES["admin_digest"]).text
    assert text == (
        "Payments on 15 Jan 2027:\n\n"
        "1 payment succeeded\n  NOK1,234.50\n\n"
        "3 payments failed\n  NOK50.00\n  $19.99\n\n"
        "Failed payments:\n- Ola Nordmann · Basic: $19.99 (Card declined.)\n"
        "The first 1 of 3 are listed.\n\n"
        "Open Recurra: https://billing.example.com/\n\n"
        "--\nSent by Fjord Software AS.\n"
    )
    nb = render("admin_digest", "nb", SAMPLES["admin_digest"]).text
    assert "1 betaling gikk gjennom\n" in nb and "3 betalinger mislyktes\n" in nb


def test_missing_data_is_refused() -> None:
    data = {k: v for k, v in SAMPLES["receipt"].items() if k not in ("amount", "lines")}
    with pytest.raises(MissingData, match="receipt email data lacks amount, lines"):
        render("receipt", "en", data)
    with pytest.raises(ValueError, match="lacks amount_due, issued_on, due_on, payment_terms, pay_url"):
        EmailDraft(kind="invoice", to="a@example.com", language="en", data=SAMPLES["receipt"])
    with pytest.raises(ValueError, match="unknown email kind 'newsletter'"):
        EmailDraft(kind="newsletter", to="a@example.com", language="en", data={})
    with pytest.raises(ValueError, match="needs a recipient"):
        EmailDraft(kind="export_ready", to="", language="en", data=SAMPLES["export_ready"])


def test_languages_without_a_catalogue_fall_back_to_english() -> None:
    assert [supported_language(x) for x in ("nb", "nb-NO", "nb_NO", "NB", "de", "", "en-GB")] == [
        "nb",
        "nb",
        "nb",
        "nb",
        "en",
        "en",
        "en",
    ]
    assert render("export_ready", "de", SAMPLES["export_ready"]).subject == "Your export is ready"


def test_list_email_is_the_authors_text_escaped_with_the_unsubscribe_link() -> None:
    email = render("list_email", "en", SAMPLES["list_email"])
    assert email.subject == "Kari, your Pro plan ends on 14 Feb 2027"
    assert email.text == (
        "Hi Kari,\n\nRenew <now> at https://fjord.example/renew and keep your data.\n\n"
        "--\nSent by Fjord Software AS.\n"
        "Unsubscribe from these emails: https://billing.example.com/unsubscribe/con_1:sig/\n"
    )
    assert "Renew &lt;now&gt; at" in email.html and "<now>" not in email.html
    assert (
        '<a href="https://fjord.example/renew" rel="nofollow">https://fjord.example/renew</a>' in email.html
    )
    assert '<a href="https://billing.example.com/unsubscribe/con_1:sig/"' in email.html
    assert "Unsubscribe</a>" in email.html
    nb = render("list_email", "nb", SAMPLES["list_email"])
    assert nb.text.endswith(
        "--\nSendt av Fjord Software AS.\n"
        "Meld deg av disse e-postene: https://billing.example.com/unsubscribe/con_1:sig/\n"
    )
    assert "Meld deg av</a>" in nb.html


def test_a_list_email_marked_as_a_test() -> None:
    email = render("list_email", "nb", SAMPLES["list_email"] | {"test": True})
    assert email.subject == "[Test] Kari, your Pro plan ends on 14 Feb 2027"
    assert email.text.startswith("Dette er en test. Avmeldingslenken i den melder ingen av.\n\nHi Kari,")
    assert "Dette er en test." in email.html
    assert "test" not in render("list_email", "en", SAMPLES["list_email"]).text.lower().split("--")[0]
