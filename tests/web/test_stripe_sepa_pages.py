"""SEPA Direct Debit on the buyer's pages on Stripe (no browser): who is offered it, the IBAN field that is
never posted, the mandate, and the SetupIntent endpoints' ``type``.

A page in euros that allows ``sepa_debit`` offers "Card" and "SEPA Direct Debit" (cards first, the
default), or SEPA alone where cards are not allowed; any other page is as it was. The Chromium side is in
``test_stripe_browser.py``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from recurra.accounts.services import account_settings_update
from recurra.catalog.line_items import LineItemInput
from recurra.commerce.links import checkout_url, quote_url
from recurra.commerce.models import PaymentLink
from recurra.commerce.payment_links import payment_link_create
from recurra.commerce.quotes import quote_create, quote_publish
from recurra.core import clock
from recurra.crm.services import contact_create, deal_create
from recurra.invoicing.links import pay_token
from recurra.subscriptions.update_links import update_link_create
from tests.conftest import SYSTEM, T0
from tests.localstripe import StripeWorld
from tests.web.test_stripe_pages import BUYER, SETUP_INTENTS, ask_setup, path
from tests.web.test_subscription_pages import make_invoice, make_subscription

pytestmark = pytest.mark.usefixtures("frozen_clock")

EURO = LineItemInput(name="Support", unit_amount=1000, currency="EUR", billing_frequency="monthly")
DOLLAR = LineItemInput(name="Support", unit_amount=1000, currency="USD", billing_frequency="monthly")
MANDATE = (
    "By providing your payment information and confirming this payment, you authorise (A) Fjordline "
    "Software AS and Stripe, our payment service provider, to send instructions to your bank to debit your "
    "account and (B) your bank to debit your account in accordance with those instructions. As part of your "
    "rights, you are entitled to a refund from your bank under the terms and conditions of your agreement "
    "with your bank. A refund must be claimed within 8 weeks starting from the date on which your account "
    "was debited. Your rights are explained in a statement that you can obtain from your bank. You agree to "
    "receive notifications for future debits up to 2 days before they occur."
)
NOT_HERE = "This payment method is not accepted here. Please choose another."


@pytest.fixture(autouse=True)
def business(db: None) -> None:
    account_settings_update(actor=SYSTEM, at=T0, business_name="Fjordline Software AS")


def link_of(item: LineItemInput = EURO, allowed: tuple[str, ...] = ("card", "sepa_debit")) -> PaymentLink:
    return payment_link_create(
        name="Support plan",
        line_items=[item],
        allowed_payment_methods=allowed,
        actor=SYSTEM,
        at=clock.now(),
    )


def tag(html: str, element_id: str) -> str:
    """The opening tag of the element with ``element_id``."""
    match = re.search(rf'<[a-z]+ [^>]*id="{element_id}"[^>]*>', html)
    assert match, element_id
    return match[0]


def words(html: str) -> str:
    return " ".join(html.split())


# The pages --------------------------------------------------------------------------------------


def test_a_euro_page_that_allows_sepa_offers_it_beside_the_card_with_an_iban_field_never_posted(
    stripe_gateway: StripeWorld,
) -> None:
    html = Client().get(path(checkout_url(link_of()))).content.decode()
    assert "<legend>Pay with</legend>" in html
    assert '<input type="radio" name="method_type" value="card" data-method-choice checked> Card' in html
    assert (
        '<input type="radio" name="method_type" value="sepa_debit" data-method-choice> SEPA Direct Debit'
        in html
    )
    assert '<div class="method-panel" data-method="card">' in html  # cards stay the default
    assert '<div class="method-panel" data-method="sepa_debit" hidden>' in html
    iban = tag(html, "sepa-iban")
    assert "name=" not in iban and 'autocomplete="off"' in iban  # never posted to Recurra
    assert '<label for="sepa-iban">IBAN</label>' in html
    assert MANDATE in words(html)
    assert 'id="sepa-name"' not in html  # the holder is the page's buyer: its name and email fields
    assert 'data-sepa-failed-text="The bank account could not be checked. Please try again."' in html
    assert 'role="group" aria-labelledby="card-label"' in html
    assert '<input type="hidden" name="payment_method" value="">' in html


def test_where_cards_are_not_allowed_sepa_is_the_only_method(stripe_gateway: StripeWorld) -> None:
    html = Client().get(path(checkout_url(link_of(allowed=("sepa_debit",))))).content.decode()
    assert "method_type" not in html and 'id="card-element"' not in html
    assert '<div class="method-panel" data-method="sepa_debit">' in html
    assert MANDATE in words(html)


@pytest.mark.parametrize(
    ("item", "allowed"),
    [(DOLLAR, ("card", "sepa_debit")), (EURO, ("card", "ach")), (DOLLAR, ("sepa_debit",))],
    ids=["dollars", "no-sepa", "sepa-in-dollars"],
)
def test_a_page_not_in_euros_or_without_sepa_takes_the_card_as_before(
    stripe_gateway: StripeWorld, item: LineItemInput, allowed: tuple[str, ...]
) -> None:
    html = Client().get(path(checkout_url(link_of(item, allowed)))).content.decode()
    assert "method_type" not in html and "sepa-iban" not in html and "authorise" not in html
    assert '<div class="method-panel" data-method="card">' in html
    assert 'role="group" aria-labelledby="card-label"' in html


def test_on_the_sandbox_a_sepa_page_keeps_its_test_tokens() -> None:
    html = Client().get(path(checkout_url(link_of()))).content.decode()
    assert "sepa-iban" not in html and "method_type" not in html and "data-stripe-card" not in html
    assert '<select id="id_payment_method" name="payment_method" required>' in html


def test_a_page_answered_again_keeps_the_buyers_choice_of_sepa(stripe_gateway: StripeWorld) -> None:
    url = path(checkout_url(link_of()))
    response = Client().post(url, {**BUYER, "email": "", "method_type": "sepa_debit", "payment_method": ""})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="sepa_debit" data-method-choice checked' in html
    assert '<div class="method-panel" data-method="card" hidden>' in html
    assert '<div class="method-panel" data-method="sepa_debit">' in html


def test_the_invoice_and_update_pages_ask_for_the_account_holder_filled_in_with_the_contact(
    records: Any, stripe_gateway: StripeWorld
) -> None:
    sepa = {"currency": "EUR", "allowed_payment_methods": ["card", "sepa_debit"]}
    sub = make_subscription(records.contact, payments_made=0, total_collected=0, **sepa)
    invoice = make_invoice(sub, number="INV-7", status="open", amount_paid=0, amount_due=9800)
    _, update_url = update_link_create(subscription=sub, actor=SYSTEM, at=T0, email=False)
    for url in (f"/pay/invoices/{pay_token(invoice)}/", path(update_url)):
        html = Client().get(url).content.decode()
        assert "name=" not in tag(html, "sepa-iban"), url
        name, email = tag(html, "sepa-name"), tag(html, "sepa-email")
        assert 'value="Ingrid Hansen"' in name and "name=" not in name.replace("data-holder-name", ""), url
        assert 'value="ingrid@fjordline.example"' in email and 'type="email"' in email, url
        assert '<label for="sepa-name">Account holder' in html, url
        assert MANDATE in words(html), url


# The SetupIntent endpoints' type ----------------------------------------------------------------


def test_a_sepa_debit_setup_intent_is_made_where_the_page_takes_it(stripe_gateway: StripeWorld) -> None:
    url = path(checkout_url(link_of()))
    sepa = ask_setup(url, **BUYER, type="sepa_debit")
    card = ask_setup(url, **BUYER)  # no type: a card, as before
    kinds = []
    for response in (sepa, card):
        assert response.status_code == 200, response.content
        intent_id = response.json()["client_secret"].split("_secret_")[0]
        intent = stripe_gateway.client().v1.setup_intents.retrieve(intent_id)
        kinds.append((intent.usage, intent.payment_method_types))
    assert kinds == [("off_session", ["sepa_debit"]), ("off_session", ["card"])]


@pytest.mark.parametrize(
    ("item", "allowed", "kind"),
    [
        (DOLLAR, ("card", "sepa_debit"), "sepa_debit"),
        (EURO, ("card", "ach"), "sepa_debit"),
        (EURO, ("sepa_debit",), "card"),
        (EURO, ("card", "sepa_debit"), "ach"),
    ],
    ids=["dollars", "not-allowed", "no-cards", "unknown"],
)
def test_a_type_the_page_does_not_take_is_a_422_with_a_message_and_asks_stripe_nothing(
    stripe_gateway: StripeWorld, item: LineItemInput, allowed: tuple[str, ...], kind: str
) -> None:
    response = ask_setup(path(checkout_url(link_of(item, allowed))), **BUYER, type=kind)
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == NOT_HERE
    assert [e["field"] for e in body["errors"]] == ["type"]
    assert stripe_gateway.proxy.calls("POST", SETUP_INTENTS) == []


def test_the_invoice_and_update_endpoints_follow_their_subscriptions_methods_and_currency(
    records: Any, stripe_gateway: StripeWorld
) -> None:
    euros = make_subscription(
        records.contact,
        payments_made=0,
        total_collected=0,
        currency="EUR",
        allowed_payment_methods=["sepa_debit"],
    )
    dollars = make_subscription(
        records.contact, payments_made=0, total_collected=0, allowed_payment_methods=["card", "sepa_debit"]
    )
    answers = {}
    for name, sub in (("euros", euros), ("dollars", dollars)):
        invoice = make_invoice(sub, number=f"INV-{name}", status="open", amount_paid=0, amount_due=9800)
        _, update_url = update_link_create(subscription=sub, actor=SYSTEM, at=T0, email=False)
        for page in (f"/pay/invoices/{pay_token(invoice)}/", path(update_url)):
            answers[(name, page.split("/")[1])] = ask_setup(page, type="sepa_debit").status_code
    assert answers == {
        ("euros", "pay"): 200,
        ("euros", "update-payment-method"): 200,
        ("dollars", "pay"): 422,
        ("dollars", "update-payment-method"): 422,
    }


def test_a_euro_quote_that_allows_sepa_offers_it_and_its_endpoint_makes_a_sepa_setup_intent(
    stripe_gateway: StripeWorld,
) -> None:
    ola = contact_create(actor=SYSTEM, email="ola@example.com", first_name="Ola", last_name="Nordmann")
    deal = deal_create(actor=SYSTEM, name="Acme", contact_id=ola.pk, line_items=[EURO])
    quote = quote_create(
        deal=deal,
        payment_enabled=True,
        allowed_payment_methods=("card", "sepa_debit"),
        actor=SYSTEM,
        at=clock.now(),
    )
    quote_publish(quote=quote, actor=SYSTEM, at=clock.now())
    url = path(quote_url(quote))
    html = Client().get(url).content.decode()
    assert 'value="sepa_debit" data-method-choice' in html and "name=" not in tag(html, "sepa-iban")
    assert MANDATE in words(html)
    response = ask_setup(url, email="ola@example.com", type="sepa_debit")
    assert response.status_code == 200, response.content
    intent_id = response.json()["client_secret"].split("_secret_")[0]
    intent = stripe_gateway.client().v1.setup_intents.retrieve(intent_id)
    assert (intent.payment_method_types, intent.metadata["recurra_contact"]) == (["sepa_debit"], ola.pk)
