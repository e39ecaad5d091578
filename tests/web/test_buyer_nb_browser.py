"""A Norwegian buyer walks every public page in Debian's Chromium and meets no English word.

Each page (a payment link's checkout, a quote with its signature error, an invoice's pay page,
the payment-method update page before and after saving, its invalid link, and the not-found
pages) is opened with the browser's language ``nb-NO`` and records in bokmål. What the page shows
(its ``<main>``: the language switch and the card) and its title are read word by word against a
stop list: the English words of the buyer's catalogues (``web``, ``commerce``, ``notifications``)
whose bokmål translation differs, less every word the bokmål translations use too (names, codes,
``Stripe``, ``Visa``), plus a short list by hand. Each page's language switch takes it to English
and back, keeping the page's token.

The sandbox banner and the skip link come from the app's frame (``web/base.html``); the last test
reads them on a public page too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from recurra.accounts.selectors import account_settings
from recurra.catalog.line_items import LineItemInput
from recurra.commerce.links import checkout_url, quote_url
from recurra.commerce.payment_links import payment_link_create
from recurra.commerce.quotes import quote_create, quote_publish
from recurra.core import clock
from recurra.crm.services import contact_create, deal_create
from recurra.invoicing.links import pay_token
from recurra.invoicing.models import Invoice
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM, T0
from tests.services.test_update_links import emailed_token, past_due_subscription
from tests.web.chromium import shoot
from tests.web.test_subscription_pages import make_invoice, make_subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RECURRA = Path(__file__).resolve().parents[2] / "recurra"
CATALOGUES = ("web", "commerce", "notifications")
# English words a buyer's page could show that the catalogues alone might miss.
BY_HAND = {
    "the",
    "and",
    "your",
    "you",
    "with",
    "pay",
    "payment",
    "payments",
    "invoice",
    "quote",
    "subscription",
    "amount",
    "due",
    "total",
    "email",
    "card",
    "method",
    "save",
    "accept",
    "accepted",
    "sandbox",
    "test",
    "clock",
    "link",
    "not",
    "valid",
    "expired",
    "thank",
    "details",
    "name",
    "address",
    "city",
    "country",
    "every",
    "month",
    "today",
    "please",
    "try",
    "again",
    "declined",
    "nothing",
    "owed",
    "skip",
    "content",
}
# Words bokmål has too that no translation happens to use ("Fjordline AS"; "bank").
ALSO_NORWEGIAN = {"as", "bank"}
# Sandbox mode's test payment methods: a test token's code ("Visa •••• 4242 (tok_visa)", a code the
# seller types in the API too) and the sandbox bank's name.
SANDBOX = re.compile(r"\(tok_\w+\)|Test Bank")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
NB = "Norsk bokmål"


def _words(text: str) -> set[str]:
    return {word.lower() for word in WORD.findall(text)}


def stop_list() -> set[str]:
    """English words of the buyer's catalogues that bokmål does not share (see the module's doc)."""
    english: set[str] = set()
    norwegian: set[str] = set()
    for app in CATALOGUES:
        with (RECURRA / app / "locale" / "nb" / "LC_MESSAGES" / "django.po").open("rb") as po:
            for message in read_po(po):
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if not message.id or not all(strings):
                    continue
                said = " ".join(strings)
                norwegian |= _words(PLACEHOLDER.sub(" ", said))
                if " ".join(ids) != said:
                    english |= _words(PLACEHOLDER.sub(" ", " ".join(ids)))
    return (english | BY_HAND) - norwegian - ALSO_NORWEGIAN


STOP = stop_list()


@pytest.fixture(autouse=True)
def business() -> None:
    clock.freeze(T0)
    settings = account_settings()
    settings.business_name = "Fjordline AS"
    settings.save()


@pytest.fixture
def nb_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nb-NO")
    context.set_default_timeout(5000)
    page = context.new_page()
    yield page
    context.close()


def english_on(page: Any) -> set[str]:
    """The stop list's words the page shows (its main part and its title)."""
    return (_words(SANDBOX.sub(" ", page.locator("main").inner_text())) | _words(page.title())) & STOP


def switches_to_english_and_back(page: Any, english: str, norwegian: str) -> None:
    """The switch names each language in its own name, marks the shown one, and keeps the path."""
    path = page.url.split("?")[0]
    switch = page.get_by_role("navigation", name="Språk")
    assert switch.locator('[aria-current="true"]').inner_text() == NB
    switch.get_by_role("link", name="English").focus()
    page.keyboard.press("Enter")  # a keyboard reaches it
    page.wait_for_url(re.compile(r"lang=en"))
    assert page.url.split("?")[0] == path
    assert english.lower() in page.locator("main").inner_text().lower()  # some labels are in capitals
    page.get_by_role("navigation", name="Language").get_by_role("link", name=NB).click()
    page.wait_for_url(re.compile(r"lang=nb"))
    assert norwegian.lower() in page.locator("main").inner_text().lower()
    assert not english_on(page)


def test_the_stop_list_holds_the_english_ui_words_and_no_norwegian_ones() -> None:
    assert {"payment", "invoice", "subscription", "accept", "quote", "owed", "declined"} <= STOP
    assert not {"stripe", "visa", "iban", "sepa", "kr", "faktura", "betaling"} & STOP


def test_checkout_of_a_payment_link(nb_page: Any, live_server: Any, tmp_path: Path) -> None:
    item = LineItemInput(name="Pro-lisens", unit_amount=49900, currency="NOK", billing_frequency="monthly")
    link = payment_link_create(
        name="Pro-abonnement", line_items=[item], collect_billing_address=True, actor=SYSTEM, at=clock.now()
    )
    page = nb_page
    page.goto(live_server.url + "/" + checkout_url(link).split("/", 3)[3])
    assert page.get_by_role("heading", name="Å betale i dag").is_visible()
    assert not english_on(page), english_on(page)
    page.get_by_role("button", name=re.compile("^Betal ")).click()  # nothing filled in: errors
    page.wait_for_load_state()
    assert "Rett opp feltene som er merket nedenfor." in page.locator("main").inner_text()
    assert not english_on(page), english_on(page)
    shoot(page, "checkout-nb.png", tmp_path)
    switches_to_english_and_back(page, "Due today", "Å betale i dag")


def test_a_quote_and_its_signature_error(nb_page: Any, live_server: Any, tmp_path: Path) -> None:
    contact = contact_create(actor=SYSTEM, email="ola@example.com", first_name="Ola", last_name="Nordmann")
    item = LineItemInput(name="Pro-lisens", unit_amount=49900, currency="NOK", billing_frequency="monthly")
    deal = deal_create(actor=SYSTEM, name="Nordlys", contact_id=contact.pk, currency="NOK", line_items=[item])
    quote = quote_create(deal=deal, language="nb", actor=SYSTEM, at=clock.now())
    assert quote.name == "Tilbud for Nordlys"  # written in the quote's language
    quote_publish(quote=quote, actor=SYSTEM, at=clock.now())
    page = nb_page
    page.goto(live_server.url + "/" + quote_url(quote).split("/", 3)[3])
    assert not english_on(page), english_on(page)
    page.get_by_role("button", name="Godta tilbudet").click()  # no name typed
    page.wait_for_load_state()
    assert "Skriv fullt navn for å godta tilbudet." in page.locator("main").inner_text()
    assert not english_on(page), english_on(page)
    shoot(page, "quote-nb.png", tmp_path)
    switches_to_english_and_back(page, "Valid until", "Gyldig til")


def test_an_invoices_pay_page(nb_page: Any, live_server: Any, records: Any, tmp_path: Path) -> None:
    sub = make_subscription(records.contact, payments_made=0, total_collected=0, last_payment_amount=None)
    invoice = make_invoice(sub, number="INV-7", status="open", amount_paid=0, amount_due=9800)
    Invoice.objects.filter(pk=invoice.pk).update(language="nb")
    page = nb_page
    page.goto(f"{live_server.url}/pay/invoices/{pay_token(invoice)}/")
    assert not english_on(page), english_on(page)
    shoot(page, "invoice-pay-nb.png", tmp_path)
    switches_to_english_and_back(page, "Amount due", "Å betale")


def test_the_payment_method_update_page(nb_page: Any, live_server: Any, tmp_path: Path) -> None:
    sub = past_due_subscription(allowed=("card",))
    Subscription.objects.filter(pk=sub.pk).update(invoice_language="nb")
    page = nb_page
    page.goto(f"{live_server.url}/update-payment-method/{emailed_token(sub)}/")
    assert page.get_by_role("heading", name="Oppdater betalingsmåten din").is_visible()
    assert not english_on(page), english_on(page)
    shoot(page, "update-payment-method-nb.png", tmp_path)
    switches_to_english_and_back(page, "Update your payment method", "Oppdater betalingsmåten din")

    page.get_by_role("combobox", name="Ny betalingsmåte").select_option("tok_decline")
    page.get_by_role("button", name=re.compile("^Lagre og betal")).click()
    outcome = page.get_by_role("region", name="Betalingsmåten din er lagret")
    assert "ble avvist: Kortet ditt ble avvist. Prøv en annen betalingsmåte." in outcome.inner_text()
    assert not english_on(page), english_on(page)
    page.get_by_role("combobox", name="Prøv en annen betalingsmåte").select_option("tok_visa")
    page.get_by_role("button", name=re.compile("^Lagre og betal")).click()
    assert "Takk." in page.get_by_role("region", name="Betalingsmåten din er lagret").inner_text()
    assert not english_on(page), english_on(page)
    shoot(page, "update-payment-method-done-nb.png", tmp_path)


@pytest.mark.parametrize(
    "path",
    ["/update-payment-method/x/", "/pay/invoices/x/", "/q/x/", "/buy/x/"],
    ids=["update-link", "invoice", "quote", "payment-link"],
)
def test_a_link_that_does_not_work(nb_page: Any, live_server: Any, path: str) -> None:
    page = nb_page
    page.goto(live_server.url + path)
    assert not english_on(page), english_on(page)
    assert page.get_by_role("navigation", name="Språk").is_visible()


def test_the_frame_of_a_public_page(nb_page: Any, live_server: Any) -> None:
    """The sandbox banner (test clock) and the skip link: ``web/base.html``, the app's frame (its
    words are translated with the app's frame, on branch h3 of issue 18)."""
    page = nb_page
    page.goto(live_server.url + "/buy/x/")
    shown = _words(SANDBOX.sub(" ", page.locator("body").inner_text())) | _words(page.title())
    assert not shown & STOP, shown & STOP
    assert page.get_by_test_id("test-clock").inner_text().startswith("15. jan. 2027, 09:30")
