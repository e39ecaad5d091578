"""The buyer's checkout and quote pages (no sign-in): content, paying, declines, languages, bad links."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from recurra.catalog.line_items import BillingStart, LineItemInput
from recurra.commerce.links import checkout_url, quote_url
from recurra.commerce.models import PaymentLink, Quote
from recurra.commerce.payment_links import payment_link_create, payment_link_delete, payment_link_update
from recurra.commerce.quotes import quote_create, quote_publish
from recurra.core import clock
from recurra.crm.models import Contact
from recurra.crm.services import contact_create, deal_create
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM, T0
from tests.web.html import text

pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2027-01-15

MONTHLY = LineItemInput(name="Support", unit_amount=1000, currency="USD", billing_frequency="monthly")
LATER = LineItemInput(
    name="Hosting",
    unit_amount=2000,
    currency="USD",
    billing_frequency="monthly",
    billing_start=BillingStart(type="delay_months", months=1),
)
BUYER = {"email": "mia@example.com", "first_name": "Mia", "last_name": "Hansen", "attempt": "att_1"}


def path(url: str) -> str:
    return url.split("8000", 1)[-1] if "8000" in url else "/" + url.split("/", 3)[3]


@pytest.fixture
def link() -> PaymentLink:
    return payment_link_create(name="Support plan", line_items=[MONTHLY, LATER], actor=SYSTEM, at=clock.now())


def test_the_checkout_shows_todays_charge_and_the_future_charges(link: PaymentLink) -> None:
    response = Client().get(path(checkout_url(link)))
    assert response.status_code == 200
    page = text(response.content)
    assert "Support plan" in page and "Total due today $10.00" in page
    assert "Future charges $20.00 every month, starting 15 Feb 2027: Hosting" in page
    assert "Pay $10.00" in page
    assert response["Cache-Control"] == "no-store"


def test_the_checkout_speaks_norwegian(link: PaymentLink) -> None:
    page = text(Client().get(path(checkout_url(link)) + "?lang=nb").content)
    assert "Å betale i dag" in page and "Fremtidige trekk" in page and "Betal" in page
    browser = Client(HTTP_ACCEPT_LANGUAGE="nb-NO,nb;q=0.9")
    assert "Fremtidige trekk" in text(browser.get(path(checkout_url(link))).content)


def test_paying_creates_the_subscriptions_and_a_reload_charges_nothing_more(link: PaymentLink) -> None:
    url = path(checkout_url(link))
    response = Client().post(url, {**BUYER, "payment_method": "tok_visa"})
    assert response.status_code == 200, text(response.content)
    page = text(response.content)
    assert "Payment of $10.00 received." in page and "A receipt is on its way to mia@example.com." in page
    assert "Support plan" in page or "Support" in page
    again = Client().post(url, {**BUYER, "payment_method": "tok_visa"})  # the same attempt
    assert again.status_code == 200
    assert Subscription.objects.count() == 2  # Support now, Hosting from 15 Feb
    assert Contact.objects.get().email == "mia@example.com"


def test_a_declined_card_says_why_and_creates_nothing(link: PaymentLink) -> None:
    response = Client().post(path(checkout_url(link)), {**BUYER, "payment_method": "tok_decline"})
    assert response.status_code == 422
    page = text(response.content)
    assert "Your payment was declined:" in page and "Nothing was charged." in page
    assert (Subscription.objects.count(), Contact.objects.count()) == (0, 0)
    missing = Client().post(path(checkout_url(link)), {"email": "nope", "payment_method": "tok_visa"})
    assert missing.status_code == 422 and "is not a valid email address" in text(missing.content)


def test_bad_inactive_and_deleted_links_have_clear_pages(link: PaymentLink) -> None:
    url = path(checkout_url(link))
    assert Client().get(url[:-3] + "xx/").status_code == 404
    payment_link_update(link=link, active=False, actor=SYSTEM, at=clock.now())
    inactive = Client().get(url)
    assert inactive.status_code == 200 and "not taking payments right now" in text(inactive.content)
    payment_link_delete(link=link, actor=SYSTEM, at=clock.now())
    gone = Client().get(url)
    assert gone.status_code == 410 and "has been deleted" in text(gone.content)


@pytest.fixture
def quote() -> Quote:
    contact = contact_create(actor=SYSTEM, email="ola@example.com", first_name="Ola", last_name="Nordmann")
    deal = deal_create(actor=SYSTEM, name="Acme", contact_id=contact.pk, line_items=[MONTHLY])
    made = quote_create(deal=deal, expires_on=date(2027, 1, 31), language="nb", actor=SYSTEM, at=clock.now())
    return quote_publish(quote=made, actor=SYSTEM, at=clock.now())


def test_the_buyer_accepts_a_quote_with_their_typed_name(quote: Quote) -> None:
    url = path(quote_url(quote))
    page = text(Client().get(url + "?lang=en").content)
    assert "Valid until" in page and "Type your full name to accept" in page
    assert "Gyldig til" in text(Client().get(url).content)  # the quote's own language

    response = Client().post(url + "?lang=en", {"signed_name": "Ola Nordmann", "attempt": "att_q"})

    assert response.status_code == 200
    assert "Accepted by Ola Nordmann on" in text(response.content)
    quote.refresh_from_db()
    assert (quote.status, quote.signed_name) == ("accepted", "Ola Nordmann")


def test_an_expired_quote_says_so_and_has_no_form(quote: Quote) -> None:
    clock.freeze(T0 + timedelta(days=17))
    response = Client().get(path(quote_url(quote)) + "?lang=en")
    page = text(response.content)
    assert "This quote expired on" in page and "Type your full name" not in page
    post = Client().post(path(quote_url(quote)) + "?lang=en", {"signed_name": "Ola"})
    assert post.status_code == 409


def test_a_draft_quote_has_no_page(quote: Any) -> None:
    contact = quote.contact
    deal = deal_create(actor=SYSTEM, name="Draft", contact_id=contact.pk, line_items=[MONTHLY])
    draft = quote_create(deal=deal, actor=SYSTEM, at=clock.now())
    assert Client().get(path(quote_url(draft))).status_code == 404
