"""The buyer's invoice page behind a pay link: no sign-in; a bad or expired link reveals nothing; an open
invoice is paid on it (card or bank debit, addresses, "save for future charges"), in English or Norwegian.

INV-7: 2 × Pro plan at $49.00 = $98.00, issued and due 15 Jan 2027 (T0), its subscription's first period
(nothing paid yet). CSRF is enforced on every payment below, as a browser would send it.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from recurra.accounts.selectors import account_settings
from recurra.accounts.services import account_settings_update
from recurra.core import clock
from recurra.core.models import Event
from recurra.invoicing.links import MAX_AGE_DAYS, pay_token
from recurra.invoicing.models import Invoice
from recurra.notifications.models import EmailMessage
from recurra.payments.gateways.models import SandboxCharge
from recurra.payments.models import Payment, PaymentMethod
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM, T0
from tests.web.html import table_rows, text
from tests.web.test_subscription_pages import make_invoice, make_subscription

NOT_FOUND = (
    "This link is not valid The link may have expired or been copied incompletely. "
    "Ask the business that sent it for a new one."
)
UNPAID = {"payments_made": 0, "total_collected": 0, "last_payment_amount": None}


@pytest.fixture
def open_invoice(records: Any) -> Invoice:
    """INV-7 of a charge_automatically subscription that accepts online payment (the defaults)."""
    settings = account_settings()
    settings.business_name = "Fjordline Software AS"
    settings.save()
    sub = make_subscription(records.contact, **UNPAID)
    return make_invoice(sub, number="INV-7", status="open", amount_paid=0, amount_due=9800)


@pytest.fixture
def sent_invoice(open_invoice: Invoice) -> Invoice:
    """INV-7, of a send_invoice subscription (net 30)."""
    Subscription.objects.filter(pk=open_invoice.subscription_id).update(
        collection_method="send_invoice", payment_terms="net_30"
    )
    Invoice.objects.filter(pk=open_invoice.pk).update(
        collection_method="send_invoice", payment_terms="net_30"
    )
    return Invoice.objects.get(pk=open_invoice.pk)


def url(invoice: Invoice, query: str = "") -> str:
    return f"/pay/invoices/{pay_token(invoice)}/{query}"


def pay(invoice: Invoice, query: str = "", **fields: str) -> Any:
    """Open the page and submit its form (with its CSRF token) as a browser would."""
    client = Client(enforce_csrf_checks=True)
    page = client.get(url(invoice, query))
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert match, page.content
    data = {"csrfmiddlewaretoken": match[1].decode(), "payment_method_token": "tok_visa", **fields}
    return client.post(url(invoice, query), data)


def main_html(response: Any) -> str:
    return response.content.decode().split('<main id="main"')[1]


def update_sub(invoice: Invoice, **fields: Any) -> None:
    Subscription.objects.filter(pk=invoice.subscription_id).update(**fields)


def test_the_buyer_sees_the_invoice_and_its_payment_form_without_signing_in(open_invoice: Invoice) -> None:
    response = Client().get(url(open_invoice))
    assert response.status_code == 200
    page = text(response.content)
    assert "Fjordline Software AS Invoice INV-7 Open" in page
    assert "Amount due $98.00 Due date 15 Jan 2027 Issued 15 Jan 2027 Billed to Ingrid Hansen" in page
    assert table_rows(response.content, "invoice-lines") == [
        ["Pro plan 2 × $49.00 15 Jan 2027 – 15 Feb 2027", "$98.00"]
    ]
    assert "Subtotal $98.00 Tax $0.00 Total $98.00 Amount due $98.00" in page
    assert "Pay this invoice Payment method Visa •••• 4242 (tok_visa)" in page
    assert "Test Bank •••• 6789 (tok_ach)" in page  # cards and bank debits: both allowed
    assert "Accepted: card, bank debit (ACH)." in page
    assert "Save this payment method for future charges" in page
    assert "Billing address" not in page and "Shipping address" not in page  # not collected
    assert page.endswith("Pay $98.00")
    html = response.content.decode()
    assert 'class="sidebar"' not in html and "Sign out" not in html  # none of the app around it
    assert open_invoice.subscription_id not in html and open_invoice.pk not in html
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "same-origin"


def test_discounts_and_taxes_are_told_under_each_line(open_invoice: Invoice) -> None:
    open_invoice.lines.update(
        discount_percent=Decimal(10), tax_rate_percent=Decimal(25), amount_discount=980, amount_subtotal=8820
    )
    open_invoice.lines.update(amount_tax=2205, amount_total=11025)
    Invoice.objects.filter(pk=open_invoice.pk).update(
        subtotal=8820, discount=980, tax=2205, total=11025, amount_due=11025, language="nb"
    )
    response = Client().get(url(open_invoice))
    assert table_rows(response.content, "invoice-lines") == [
        [
            "Pro plan 2 × 49,00 USD · 10 % rabatt (−9,80 USD) · 25 % MVA 15. jan. 2027 – 15. feb. 2027",
            "98,00 USD",
        ]
    ]
    # 98,00 − 9,80 + 22,05 = 110,25: the figures add up as shown.
    assert "Delsum 98,00 USD Rabatt −9,80 USD Mva. 22,05 USD Totalt 110,25 USD Å betale 110,25 USD" in (
        text(response.content)
    )


def test_paying_by_card_shows_the_thanks_and_the_paid_invoice(open_invoice: Invoice) -> None:
    response = pay(open_invoice)
    assert response.status_code == 200
    page = text(response.content)
    assert (
        "Invoice INV-7 Paid Thank you! Your payment of $98.00 was received. "
        "A receipt is on its way to your email. Amount due $0.00"
    ) in page
    assert "Total $98.00 Amount paid −$98.00 Amount due $0.00" in page
    assert "<form" not in main_html(response)  # nothing left to pay
    invoice = Invoice.objects.get(pk=open_invoice.pk)
    assert (invoice.status, invoice.amount_paid) == ("paid", 9800)
    (payment,) = Payment.objects.all()
    assert (payment.origin, payment.status) == ("online", "succeeded")
    assert EmailMessage.objects.filter(kind="receipt", payment_id=payment.pk).count() == 1

    again = Client().get(url(open_invoice))
    assert "This invoice was paid on 15 Jan 2027. Thank you." in text(again.content)
    assert "<form" not in main_html(again)


def test_saving_the_method_switches_a_send_invoice_subscription_to_automatic(sent_invoice: Invoice) -> None:
    response = pay(sent_invoice, payment_method_token="tok_mastercard", save_payment_method="1")
    assert response.status_code == 200
    assert (
        "Your payment method Mastercard •••• 4444 is saved: the next invoices for Pro monthly will be "
        "charged to it automatically."
    ) in text(response.content)
    sub = Subscription.objects.get(pk=sent_invoice.subscription_id)
    method = PaymentMethod.objects.get()
    assert (sub.collection_method, sub.payment_method_id, method.detached_at) == (
        "charge_automatically",
        method.pk,
        None,
    )
    assert Event.objects.filter(type="subscription.collection_switched", object_id=sub.pk).count() == 1


def test_without_the_tick_nothing_is_saved(sent_invoice: Invoice) -> None:
    response = pay(sent_invoice)
    assert "is saved" not in text(response.content)
    sub = Subscription.objects.get(pk=sent_invoice.subscription_id)
    assert (sub.collection_method, sub.payment_method_id) == ("send_invoice", None)
    assert PaymentMethod.objects.get().detached_at == T0


def test_a_subscription_that_does_not_let_the_buyer_save_shows_no_tick_and_saves_nothing(
    sent_invoice: Invoice,
) -> None:
    update_sub(sent_invoice, save_payment_method=False)
    assert "Save this payment method" not in text(Client().get(url(sent_invoice)).content)
    response = pay(sent_invoice, save_payment_method="1")  # sent anyway: ignored
    assert response.status_code == 200
    assert Subscription.objects.get(pk=sent_invoice.subscription_id).collection_method == "send_invoice"
    assert PaymentMethod.objects.get().detached_at == T0


def test_a_declined_card_shows_the_reason_and_the_form_to_try_again(sent_invoice: Invoice) -> None:
    response = pay(sent_invoice, payment_method_token="tok_decline", save_payment_method="1")
    assert response.status_code == 422
    page = text(response.content)
    assert (
        "Your payment was declined: Your card was declined. "
        "Nothing was charged. Please try again, or choose another payment method."
    ) in page
    html = main_html(response)
    assert 'value="tok_decline" checked' in html and 'name="save_payment_method" value="1" checked' in html
    assert page.endswith("Pay $98.00")
    assert Payment.objects.get().status == "failed"
    assert Invoice.objects.get(pk=sent_invoice.pk).status == "open"

    assert pay(sent_invoice, payment_method_token="tok_visa").status_code == 200
    assert Invoice.objects.get(pk=sent_invoice.pk).status == "paid"


def test_a_bank_debit_is_on_its_way_and_cannot_be_paid_twice(sent_invoice: Invoice) -> None:
    response = pay(sent_invoice, payment_method_token="tok_ach")
    assert response.status_code == 200
    assert (
        "Thank you! Your bank debit of $98.00 is on its way. It takes a few business days to clear; "
        "you will get a receipt by email when it has."
    ) in text(response.content)
    later = Client().get(url(sent_invoice))
    page = text(later.content)
    assert "Invoice INV-7 Open" in page
    assert "A payment of $98.00 is on its way. A bank debit takes a few business days to clear." in page
    assert "<form" not in main_html(later)


def test_paying_a_paid_invoice_again_charges_nothing(open_invoice: Invoice) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(url(open_invoice))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert token
    data = {"csrfmiddlewaretoken": token[1].decode(), "payment_method_token": "tok_visa"}
    assert client.post(url(open_invoice), data).status_code == 200
    twice = client.post(url(open_invoice), data)  # the form sent again (a reload, a second tab)
    assert twice.status_code == 409
    assert "Nothing was charged: this invoice is already paid, or a payment of it is on its way." in text(
        twice.content
    )
    assert SandboxCharge.objects.count() == Payment.objects.count() == 1


def test_collected_addresses_are_asked_required_and_stored(sent_invoice: Invoice) -> None:
    update_sub(sent_invoice, collect_billing_address=True, collect_shipping_address=True)
    page = text(Client().get(url(sent_invoice)).content)
    assert "Billing address Address * Address line 2 City * State or region Postal code *" in page
    assert "Shipping address Address *" in page

    response = pay(sent_invoice, billing_line1="Storgata 1", billing_city="Oslo")
    assert response.status_code == 422
    assert "Please check the form." in text(response.content)
    html = main_html(response)
    assert re.search(r'id="id_billing_postal_code_error">Required<', html)
    assert re.search(r'id="id_billing_country_error">Required<', html)
    assert re.search(r'id="id_shipping_line1_error">Required<', html)
    assert 'name="billing_line1" value="Storgata 1"' in html  # what was typed stays
    assert not Payment.objects.exists()

    address = {"line1": "Storgata 1", "city": "Oslo", "postal_code": "0155", "country": "no"}
    fields = {f"{kind}_{part}": value for kind in ("billing", "shipping") for part, value in address.items()}
    assert pay(sent_invoice, **fields).status_code == 200
    invoice = Invoice.objects.get(pk=sent_invoice.pk)
    assert invoice.status == "paid"
    assert (
        invoice.billing_address
        == invoice.shipping_address
        == {
            "line1": "Storgata 1",
            "line2": "",
            "city": "Oslo",
            "state": "",
            "postal_code": "0155",
            "country": "NO",
        }
    )


def test_only_the_allowed_method_types_are_offered(sent_invoice: Invoice) -> None:
    update_sub(sent_invoice, allowed_payment_methods=["card"])
    page = text(Client().get(url(sent_invoice)).content)
    assert "tok_visa" in page and "tok_ach" not in page
    assert "Accepted: card." in page
    response = pay(sent_invoice, payment_method_token="tok_ach")  # a crafted post
    assert response.status_code == 422
    assert "This payment method cannot be used here. Please choose another." in text(response.content)
    assert not Payment.objects.exists()


def test_no_method_chosen_is_asked_for(sent_invoice: Invoice) -> None:
    response = pay(sent_invoice, payment_method_token="")
    assert response.status_code == 422
    assert "Choose a payment method." in text(response.content)


def test_an_invoice_not_paid_online_says_how_to_pay_and_refuses_a_post(sent_invoice: Invoice) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(url(sent_invoice))
    update_sub(sent_invoice, accept_online_payment=False)
    shown = client.get(url(sent_invoice))
    assert "Please pay as agreed with Fjordline Software AS." in text(shown.content)
    assert "<form" not in main_html(shown)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert token
    posted = client.post(
        url(sent_invoice), {"csrfmiddlewaretoken": token[1].decode(), "payment_method_token": "tok_visa"}
    )
    assert posted.status_code == 409
    assert not Payment.objects.exists()


def test_the_page_speaks_the_invoices_language_and_the_buyer_may_switch(sent_invoice: Invoice) -> None:
    Invoice.objects.filter(pk=sent_invoice.pk).update(language="nb")
    page = text(Client().get(url(sent_invoice)).content)
    assert "Fjordline Software AS Faktura INV-7 Åpen" in page
    assert "Å betale 98,00 USD Forfallsdato 15. jan. 2027 Fakturadato 15. jan. 2027" in page
    assert "Faktureres til Ingrid Hansen" in page
    assert "Betal fakturaen Betalingsmåte" in page
    assert "Godtas: kort, banktrekk (ACH)." in page
    assert "Lagre betalingsmåten for fremtidige trekk" in page
    assert page.endswith("Betal 98,00 USD")
    english = text(Client().get(url(sent_invoice, "?lang=en")).content)
    assert "Invoice INV-7 Open" in english and english.endswith("Pay $98.00")

    declined = pay(sent_invoice, payment_method_token="tok_decline")
    assert "Betalingen din ble avvist: Kortet ditt ble avvist." in text(declined.content)
    paid = pay(sent_invoice, payment_method_token="tok_visa")
    assert "Takk! Betalingen din på 98,00 USD er mottatt." in text(paid.content)
    assert "Faktura INV-7 Betalt" in text(paid.content)


def test_an_english_invoice_in_norwegian_on_request(sent_invoice: Invoice) -> None:
    response = pay(sent_invoice, "?lang=nb", payment_method_token="tok_ach")
    assert "Takk! Banktrekket ditt på 98,00 USD er på vei." in text(response.content)


def test_a_post_without_csrf_is_refused_quietly(
    sent_invoice: Invoice, caplog: pytest.LogCaptureFixture
) -> None:
    token = pay_token(sent_invoice)
    with caplog.at_level(logging.DEBUG):
        refused = Client(enforce_csrf_checks=True).post(
            url(sent_invoice), {"payment_method_token": "tok_visa"}
        )
        declined = pay(sent_invoice, payment_method_token="tok_decline")  # a 422 from a working link
        other = Client().put(url(sent_invoice))
    assert refused.status_code == 403
    assert "This page has expired" in text(refused.content)
    assert declined.status_code == 422 and other.status_code == 405
    assert Payment.objects.count() == 1  # the declined one only
    assert token not in caplog.text and "/pay/invoices/" not in caplog.text
    assert "CSRF check failed" in caplog.text


def test_a_failure_is_a_page_of_its_own_and_keeps_the_link_out_of_the_log(
    sent_invoice: Invoice, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recurra.web.views import public

    def broken(invoice: Invoice) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(public, "online_terms", broken)
    with caplog.at_level(logging.DEBUG):
        response = Client().get(url(sent_invoice))
    assert response.status_code == 500
    assert text(response.content).endswith(
        "Fjordline Software AS Something went wrong Please try again in a few minutes. "
        "If it keeps happening, contact Fjordline Software AS."
    )
    assert "boom" in caplog.text and pay_token(sent_invoice) not in caplog.text


def test_a_paid_invoice_says_so_and_offers_no_payment(open_invoice: Invoice) -> None:
    Invoice.objects.filter(pk=open_invoice.pk).update(status="paid", amount_paid=9800, amount_due=0)
    response = Client().get(url(open_invoice))
    page = text(response.content)
    assert "Invoice INV-7 Paid" in page
    assert "This invoice is paid. Thank you." in page
    assert "<form" not in main_html(response)


def test_a_void_invoice_has_nothing_to_pay(open_invoice: Invoice) -> None:
    Invoice.objects.filter(pk=open_invoice.pk).update(status="void")
    response = Client().get(url(open_invoice))
    assert "Invoice INV-7 Void" in text(response.content)
    assert "This invoice was cancelled: there is nothing to pay." in text(response.content)
    assert "<form" not in main_html(response)


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
    posted = Client().post(
        f"/pay/invoices/{tamper(pay_token(open_invoice))}/", {"payment_method_token": "tok_visa"}
    )
    assert posted.status_code == 404
    assert not Payment.objects.exists()


def test_an_expired_link_is_the_same_404(open_invoice: Invoice) -> None:
    token = pay_token(open_invoice)
    clock.freeze(T0 + timedelta(days=MAX_AGE_DAYS, seconds=1))
    response = Client().get(f"/pay/invoices/{token}/")
    assert response.status_code == 404
    assert text(response.content).endswith(NOT_FOUND)


def test_the_404_speaks_the_browsers_language(open_invoice: Invoice) -> None:
    response = Client().get("/pay/invoices/nonsense/", headers={"Accept-Language": "nb-NO,nb;q=0.9"})
    assert response.status_code == 404
    assert text(response.content).endswith(
        "Denne lenken er ikke gyldig Lenken kan ha utløpt eller blitt kopiert ufullstendig. "
        "Be bedriften som sendte den om en ny."
    )


def test_a_link_to_a_deleted_invoice_is_the_same_404(records: Any) -> None:
    invoice = make_invoice(make_subscription(records.contact), status="open", amount_paid=0, amount_due=9800)
    token = pay_token(invoice)
    invoice.lines.all().delete()
    invoice.delete()
    response = Client().get(f"/pay/invoices/{token}/")
    assert response.status_code == 404
    assert text(response.content).endswith(NOT_FOUND)


def test_an_editor_opening_the_link_gets_no_clock_control(editor: Client, open_invoice: Invoice) -> None:
    html = editor.get(url(open_invoice)).content.decode()
    assert "clock-control" not in html
    assert "Sandbox mode" in html  # the buyer is told no real money moves


def test_a_draft_has_no_public_page(open_invoice: Invoice) -> None:
    Invoice.objects.filter(pk=open_invoice.pk).update(status="draft", number=None)
    response = Client().get(url(open_invoice))
    assert response.status_code == 404
    assert text(response.content).endswith(NOT_FOUND)


def test_the_sellers_address_is_under_its_name_once_set(open_invoice: Invoice) -> None:
    before = main_html(Client().get(url(open_invoice)))
    assert "public-seller" not in before and "<address>" not in before  # nothing set: the name alone

    account_settings_update(
        actor=SYSTEM,
        seller_address={"line1": "Bryggen 1", "postal_code": "5003", "city": "Bergen", "country": "NO"},
        seller_email="billing@fjordline.example",  # on the PDF, not on this page
    )
    page = text(Client().get(url(open_invoice)).content)
    assert "Fjordline Software AS Bryggen 1 5003 Bergen NO Invoice INV-7 Open" in page
    assert "billing@fjordline.example" not in page
