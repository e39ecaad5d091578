"""The buyer's pages on Stripe (no browser): Stripe.js and its CSP, the SetupIntent endpoints, 3-D Secure.

On the sandbox nothing changes (the strict policy, the test tokens). On Stripe each page with a payment
form loads Stripe.js and ``stripe_pay.js``, and its policy lets exactly Stripe.js in; its SetupIntent
endpoint is scoped like the page and answers JSON, errors included. A payment the buyer's bank wants
authenticated answers the page again with the same attempt and the payment's client secret.
Stripe is localstripe behind the recording proxy (``stripe_gateway``); the Chromium side is in
``test_stripe_browser.py``.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

import pytest
from django.test import Client

from recurra.catalog.line_items import LineItemInput
from recurra.commerce.links import checkout_url, quote_url
from recurra.commerce.models import PaymentLink, Quote
from recurra.commerce.payment_links import payment_link_create, payment_link_update
from recurra.commerce.quotes import quote_create, quote_publish
from recurra.core import clock
from recurra.crm.models import Contact
from recurra.crm.services import contact_create, deal_create
from recurra.invoicing.links import pay_token
from recurra.invoicing.models import Invoice
from recurra.payments.services import PaymentNeedsAction
from recurra.subscriptions.update_links import update_link_create
from tests.conftest import SYSTEM, T0
from tests.localstripe import PUBLISHABLE_KEY, StripeWorld
from tests.services.test_update_links import past_due_subscription
from tests.web.html import text
from tests.web.test_security_headers import POLICY
from tests.web.test_subscription_pages import make_invoice, make_subscription

pytestmark = pytest.mark.usefixtures("frozen_clock")

MONTHLY = LineItemInput(name="Support", unit_amount=1000, currency="USD", billing_frequency="monthly")
BUYER = {"email": "mia@example.com", "first_name": "Mia", "last_name": "Hansen"}
SETUP_INTENTS = r"^/v1/setup_intents$"


def path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def policy(response: Any) -> set[str]:
    return set(response["Content-Security-Policy"].split("; "))


def with_stripe(extra: dict[str, str], base: set[str] = POLICY) -> set[str]:
    """The strict policy with ``extra``'s sources added to its directives (or as new ones)."""
    parts = {p.split(" ", 1)[0]: p for p in base}
    for name, sources in extra.items():
        parts[name] = f"{parts[name]} {sources}" if name in parts else f"{name} {sources}"
    return set(parts.values())


@pytest.fixture
def link() -> PaymentLink:
    return payment_link_create(name="Support plan", line_items=[MONTHLY], actor=SYSTEM, at=clock.now())


def paying_quote(**fields: Any) -> Quote:
    contact = contact_create(actor=SYSTEM, email="ola@example.com", first_name="Ola", last_name="Nordmann")
    deal = deal_create(actor=SYSTEM, name="Acme", contact_id=contact.pk, line_items=[MONTHLY])
    quote = quote_create(
        deal=deal,
        expires_on=date(2027, 2, 14),
        actor=SYSTEM,
        at=clock.now(),
        **{"payment_enabled": True, **fields},
    )
    quote_publish(quote=quote, actor=SYSTEM, at=clock.now())
    return quote


def open_invoice(records: Any) -> Invoice:
    sub = make_subscription(records.contact, payments_made=0, total_collected=0, last_payment_amount=None)
    return make_invoice(sub, number="INV-7", status="open", amount_paid=0, amount_due=9800)


def csrf_client(page_url: str) -> tuple[Client, str]:
    """A browser-like client that opened ``page_url``, and the page's CSRF token."""
    client = Client(enforce_csrf_checks=True)
    page = client.get(page_url)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert match, page.content
    return client, match[1].decode()


def ask_setup(page_url: str, **fields: str) -> Any:
    """What stripe_pay.js does: the page's form fields, posted to the page's SetupIntent endpoint."""
    client, token = csrf_client(page_url)
    return client.post(page_url + "setup-intent/", {"csrfmiddlewaretoken": token, **fields})


# The pages --------------------------------------------------------------------------------------


def test_on_the_sandbox_the_pages_load_no_stripe_js_and_keep_the_strict_policy(link: PaymentLink) -> None:
    response = Client().get(path(checkout_url(link)))
    assert policy(response) == POLICY
    html = response.content.decode()
    assert "stripe_pay.js" not in html and "data-stripe-card" not in html
    assert '<select id="id_payment_method" name="payment_method" required>' in html


def test_on_stripe_the_checkout_loads_stripe_js_and_lets_exactly_it_in(
    stripe_gateway: StripeWorld, link: PaymentLink
) -> None:
    url = path(checkout_url(link))
    response = Client().get(url)
    assert response.status_code == 200
    local = stripe_gateway.server.url  # localstripe's Stripe.js calls its own origin
    assert policy(response) == with_stripe({"script-src": local, "connect-src": f"'self' {local}"})
    html = response.content.decode()
    assert f'<script src="{stripe_gateway.server.js_url}" defer></script>' in html
    assert '<script src="/static/web/stripe_pay.js" defer></script>' in html
    assert f'data-stripe-key="{PUBLISHABLE_KEY}"' in html
    assert f'data-setup-url="{url}setup-intent/?lang=en"' in html
    assert 'data-token-field="payment_method"' in html and "data-action-secret" not in html
    assert '<input type="hidden" name="payment_method" value="">' in html
    assert 'id="id_payment_method"' not in html and "test payment methods" not in text(response.content)
    assert 'role="group" aria-labelledby="card-label"' in html


def test_with_stripes_own_stripe_js_the_policy_adds_its_api_and_frames(
    settings: Any, link: PaymentLink
) -> None:
    settings.RECURRA_GATEWAY = "stripe"
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    response = Client().get(path(checkout_url(link)))
    assert policy(response) == with_stripe(
        {
            "script-src": "https://js.stripe.com",
            "connect-src": "'self' https://api.stripe.com",
            "frame-src": "https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com",
        }
    )
    assert '<script src="https://js.stripe.com/v3/" defer></script>' in response.content.decode()
    settings.RECURRA_GATEWAY = "sandbox"  # the policy follows the settings of each request
    assert policy(Client().get(path(checkout_url(link)))) == POLICY


def test_on_stripe_each_buyer_page_with_a_form_takes_the_card_with_stripe_js(
    records: Any, request: pytest.FixtureRequest
) -> None:
    invoice = open_invoice(records)
    sub = past_due_subscription("ada@example.com", allowed=("card",))  # made on the sandbox
    _, update_url = update_link_create(subscription=sub, actor=SYSTEM, at=T0, email=False)
    quote = paying_quote()
    request.getfixturevalue("stripe_gateway")
    pages = {
        f"/pay/invoices/{pay_token(invoice)}/": "payment_method_token",
        path(update_url): "payment_method_token",
        path(quote_url(quote)): "payment_method",
    }
    for url, field in pages.items():
        html = Client().get(url).content.decode()
        assert f'data-setup-url="{url}setup-intent/?lang=en"' in html, url
        assert f'<input type="hidden" name="{field}" value="">' in html, url
        assert "stripe_pay.js" in html and "test payment methods" not in html, url


def test_a_page_without_a_payment_form_loads_no_stripe_js(stripe_gateway: StripeWorld) -> None:
    quote = paying_quote(payment_enabled=False)
    html = Client().get(path(quote_url(quote))).content.decode()
    assert "Accept quote" in html and "stripe_pay.js" not in html and "data-stripe-card" not in html


# The SetupIntent endpoints ----------------------------------------------------------------------


def test_the_checkouts_setup_intent_is_the_buyers_customers(
    stripe_gateway: StripeWorld, link: PaymentLink
) -> None:
    response = ask_setup(path(checkout_url(link)), **BUYER, attempt="att_1", payment_method="")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"  # the answer; a refusal is a problem+json
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "same-origin"
    secret = response.json()["client_secret"]
    intent = stripe_gateway.client().v1.setup_intents.retrieve(secret.split("_secret_")[0])
    assert intent.usage == "off_session" and intent.client_secret == secret
    customer = stripe_gateway.client().v1.customers.retrieve(intent.customer)
    assert (customer.email, customer.name) == ("mia@example.com", "Mia Hansen")
    assert len(stripe_gateway.proxy.calls("POST", SETUP_INTENTS)) == 1


def test_a_known_buyers_setup_intent_names_their_contact(
    stripe_gateway: StripeWorld, link: PaymentLink
) -> None:
    mia = Contact.objects.create(email="mia@example.com", first_name="Mia")
    response = ask_setup(path(checkout_url(link)), **{**BUYER, "email": "MIA@example.com"})
    intent_id = response.json()["client_secret"].split("_secret_")[0]
    assert stripe_gateway.client().v1.setup_intents.retrieve(intent_id).metadata.to_dict() == {
        "recurra_contact": mia.pk
    }


@pytest.mark.parametrize("email", ["", "mia@", "not an email"])
def test_a_bad_email_is_a_422_with_a_message_and_asks_stripe_nothing(
    stripe_gateway: StripeWorld, link: PaymentLink, email: str
) -> None:
    response = ask_setup(path(checkout_url(link)), **{**BUYER, "email": email})
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "Please enter a valid email address first."
    assert body["errors"] == [{"field": "email", "message": "is not a valid email address"}]
    assert stripe_gateway.proxy.requests == []


def test_the_endpoint_is_csrf_checked_post_only_and_keeps_the_link_out_of_the_log(
    stripe_gateway: StripeWorld, link: PaymentLink, caplog: pytest.LogCaptureFixture
) -> None:
    url = path(checkout_url(link)) + "setup-intent/"
    token = url.split("/")[2]
    with caplog.at_level(logging.DEBUG):
        refused = Client(enforce_csrf_checks=True).post(url, BUYER)
        asked = Client().get(url)
        unknown = Client().post("/buy/nothing-here/setup-intent/", BUYER)
    assert refused.status_code == 403
    assert refused.json()["message"] == "This page has expired. Please reload it and try again."
    assert asked.status_code == 405 and asked["Allow"] == "POST"
    assert unknown.status_code == 404 and "does not work" in unknown.json()["message"]
    assert stripe_gateway.proxy.requests == []
    assert token not in caplog.text and "/buy/" not in caplog.text
    assert "CSRF check failed" in caplog.text


def test_a_link_not_selling_and_the_sandbox_answer_409(
    settings: Any, link: PaymentLink, request: pytest.FixtureRequest
) -> None:
    sandbox = ask_setup(path(checkout_url(link)), **BUYER)
    assert sandbox.status_code == 409  # the sandbox takes its test tokens
    assert sandbox.json()["message"] == "This page cannot take a payment right now. Please reload it."
    request.getfixturevalue("stripe_gateway")
    client, token = csrf_client(path(checkout_url(link)))
    payment_link_update(link=link, active=False, actor=SYSTEM, at=clock.now())
    closed = client.post(path(checkout_url(link)) + "setup-intent/", {"csrfmiddlewaretoken": token, **BUYER})
    assert closed.status_code == 409


def test_a_failure_is_a_json_500_that_keeps_the_link_out_of_the_log(
    stripe_gateway: StripeWorld,
    link: PaymentLink,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from recurra.web.views import stripe_setup

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(stripe_setup, "setup_intent_create", broken)
    url = path(checkout_url(link))
    with caplog.at_level(logging.DEBUG):
        response = ask_setup(url, **BUYER)
    assert response.status_code == 500 and response["Content-Type"] == "application/problem+json"
    assert response.json()["message"] == "Something went wrong. Please try again."
    assert "checkout_setup_intent failed" in caplog.text and "RuntimeError: boom" in caplog.text
    assert url.split("/")[2] not in caplog.text and "/buy/" not in caplog.text


def test_no_answer_from_stripe_is_a_503_with_a_message(
    stripe_gateway: StripeWorld, link: PaymentLink
) -> None:
    stripe_gateway.proxy.no_answer(SETUP_INTENTS)
    response = ask_setup(path(checkout_url(link)), **BUYER)
    assert response.status_code == 503
    assert response.json()["message"] == "The payment processor did not answer. Please try again in a moment."


def test_the_quote_the_invoice_and_the_update_link_each_scope_their_own(
    records: Any, request: pytest.FixtureRequest
) -> None:
    invoice = open_invoice(records)
    sub = past_due_subscription("ada@example.com", allowed=("card",))
    _, update_url = update_link_create(subscription=sub, actor=SYSTEM, at=T0, email=False)
    quote = paying_quote()
    world: StripeWorld = request.getfixturevalue("stripe_gateway")

    def contact_of(response: Any) -> str:
        assert response.status_code == 200, response.content
        intent_id = response.json()["client_secret"].split("_secret_")[0]
        return str(world.client().v1.setup_intents.retrieve(intent_id).metadata["recurra_contact"])

    invoice_page = f"/pay/invoices/{pay_token(invoice)}/"
    assert contact_of(ask_setup(invoice_page)) == invoice.contact_id
    assert contact_of(ask_setup(path(update_url))) == sub.contact_id
    assert contact_of(ask_setup(path(quote_url(quote)), email="ola@example.com")) == quote.contact_id
    # One token does not open another page's endpoint; a page that takes no payment answers 409.
    assert Client().post(f"/q/{pay_token(invoice)}/setup-intent/").status_code == 404
    assert Client().post(f"/update-payment-method/{pay_token(invoice)}/setup-intent/").status_code == 404
    client, token = csrf_client(invoice_page)
    Invoice.objects.filter(pk=invoice.pk).update(status="paid", amount_paid=9800, amount_due=0)
    assert client.post(invoice_page + "setup-intent/", {"csrfmiddlewaretoken": token}).status_code == 409


# 3-D Secure on the page -------------------------------------------------------------------------


def test_a_payment_to_authenticate_answers_the_page_with_its_secret_and_the_same_attempt(
    stripe_gateway: StripeWorld, link: PaymentLink, records: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recurra.web.views import checkout, public, public_quote

    def needs_action(**kwargs: Any) -> Any:
        raise PaymentNeedsAction("pi_123_secret_456")

    monkeypatch.setattr(checkout, "checkout", needs_action)
    monkeypatch.setattr(public_quote, "quote_accept", needs_action)
    monkeypatch.setattr(public, "invoice_pay", needs_action)
    quote = paying_quote()
    invoice = open_invoice(records)
    posts = {
        path(checkout_url(link)): {**BUYER, "attempt": "att_same", "payment_method": "pm_1"},
        path(quote_url(quote)): {
            **BUYER,
            "attempt": "att_same",
            "payment_method": "pm_1",
            "signed_name": "Ola",
        },
        f"/pay/invoices/{pay_token(invoice)}/": {"payment_method_token": "pm_1"},
    }
    for url, fields in posts.items():
        response = Client().post(url, fields)
        assert response.status_code == 402, url
        html = response.content.decode()
        assert 'data-action-secret="pi_123_secret_456"' in html, url
        token_field = "payment_method_token" if "invoices" in url else "payment_method"
        assert f'<input type="hidden" name="{token_field}" value="pm_1">' in html, url
        if "attempt" in fields:
            assert '<input type="hidden" name="attempt" value="att_same">' in html, url
        assert "Your bank asks you to confirm this payment." in text(response.content)
        assert response["Cache-Control"] == "no-store"
