"""The checkout and quote pages in Debian's Chromium, completed as a buyer would, on a phone and a desktop.

Each test saves a screenshot of what the buyer sees: under ``tmp_path``, and
into ``docs/screenshots/`` when ``RECURRA_SCREENSHOTS`` is set (how the
docs' pictures are refreshed).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from recurra.accounts.selectors import account_settings
from recurra.catalog.line_items import BillingStart, LineItemInput
from recurra.commerce.links import checkout_url, quote_url
from recurra.commerce.payment_links import payment_link_create
from recurra.commerce.quotes import quote_create, quote_publish
from recurra.core import clock
from recurra.crm.services import contact_create, deal_create
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM, T0
from tests.web import chromium
from tests.web.chromium import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 812}
MONTHLY = LineItemInput(name="Pro plan", unit_amount=4900, currency="USD", billing_frequency="monthly")
SETUP = LineItemInput(name="Onboarding", unit_amount=15000, currency="USD", billing_frequency="one_time")
LATER = LineItemInput(
    name="Priority support",
    unit_amount=1900,
    currency="USD",
    billing_frequency="monthly",
    billing_start=BillingStart(type="delay_months", months=1),
)


@pytest.fixture(autouse=True)
def business() -> None:
    clock.freeze(T0)
    settings = account_settings()
    settings.business_name = "Fjordline Software AS"
    settings.save()


def local(url: str, live_server: Any) -> str:
    return live_server.url + "/" + url.split("/", 3)[3]


def fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_buyer_pays_a_payment_link_on_a_phone(browser: Any, live_server: Any, tmp_path: Path) -> None:
    link = payment_link_create(
        name="Pro plan with onboarding",
        line_items=[MONTHLY, SETUP, LATER],
        collect_billing_address=True,
        actor=SYSTEM,
        at=clock.now(),
    )
    context = browser.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(5000)
    try:
        page.goto(local(checkout_url(link), live_server))
        assert page.get_by_test_id("amount-today").inner_text() == "$199.00"
        assert "Priority support" in page.get_by_test_id("future-charge").inner_text()
        assert fits_the_screen(page)
        page.get_by_label("Email").fill("mia@example.com")
        page.get_by_label("First name").fill("Mia")
        page.get_by_label("Last name").fill("Hansen")
        page.locator("#id_billing_line1").fill("Storgata 1")
        page.get_by_label("City").fill("Oslo")
        page.get_by_label("Postal code").fill("0155")
        page.get_by_label("Country (two letters, e.g. NO)").fill("NO")

        page.get_by_label("Pay with").select_option("tok_decline")
        page.get_by_role("button", name="Pay $199.00").click()
        assert "Your payment was declined" in page.get_by_test_id("declined").inner_text()
        assert not Subscription.objects.exists()

        page.get_by_label("Pay with").select_option("tok_visa")
        shoot(page, "checkout.png", tmp_path)  # the filled-in form
        page.get_by_role("button", name="Pay $199.00").click()
        assert page.get_by_test_id("outcome").inner_text() == "Payment of $199.00 received."
        assert page.get_by_test_id("subscription").count() == 2
        assert fits_the_screen(page)
    finally:
        context.close()
    assert Subscription.objects.filter(payment_link=link).count() == 2


def test_a_buyer_accepts_and_pays_a_quote_in_norwegian(page: Any, live_server: Any, tmp_path: Path) -> None:
    contact = contact_create(actor=SYSTEM, email="ola@example.com", first_name="Ola", last_name="Nordmann")
    deal = deal_create(actor=SYSTEM, name="Acme", contact_id=contact.pk, line_items=[MONTHLY, SETUP])
    quote = quote_create(
        deal=deal,
        name="Tilbud: Pro plan",
        expires_on=date(2027, 2, 14),
        payment_enabled=True,
        language="nb",
        actor=SYSTEM,
        at=clock.now(),
    )
    quote_publish(quote=quote, actor=SYSTEM, at=clock.now())

    page.goto(local(quote_url(quote), live_server))
    assert page.get_by_label("E-post").input_value() == "ola@example.com"  # the quote's contact
    page.get_by_label("Betal med").select_option("tok_visa")
    page.get_by_label("Skriv inn fullt navn for å godta").fill("Ola Nordmann")
    shoot(page, "quote.png", tmp_path)
    page.get_by_role("button", name="Godta og betal").click()

    assert "Godtatt av Ola Nordmann" in page.get_by_test_id("accepted").inner_text()
    assert "Betaling på" in page.get_by_test_id("paid").inner_text()
    quote.refresh_from_db()
    assert (quote.status, quote.signed_name) == ("accepted", "Ola Nordmann")
    assert Subscription.objects.get(quote=quote).payments_made == 1


def test_the_phone_layout_never_scrolls_sideways(browser: Any, live_server: Any) -> None:
    link = payment_link_create(name="Pro", line_items=[MONTHLY], actor=SYSTEM, at=clock.now())
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        for lang in ("en", "nb"):
            page.goto(local(checkout_url(link), live_server) + f"?lang={lang}")
            assert fits_the_screen(page), lang
    finally:
        context.close()
    assert chromium.CHROMIUM == "/usr/bin/chromium"


def test_on_a_phone_every_amount_and_the_total_are_in_view(browser: Any, live_server: Any) -> None:
    """At 375, 390 and 420 px, in English and Norwegian, each line's amount and the total lie inside the
    screen's width and inside the items' box: the lines stack, nothing scrolls sideways. The items' box
    is reached with Tab all the same."""
    workshop = LineItemInput(
        name="Onboarding and data migration workshop",
        description="Two days on site",
        unit_amount=1500000,
        currency="USD",
        billing_frequency="one_time",
    )
    seats = LineItemInput(
        name="Pro plan", unit_amount=4900, quantity=12, currency="USD", billing_frequency="monthly"
    )
    link = payment_link_create(
        name="Pro plan with onboarding", line_items=[workshop, seats], actor=SYSTEM, at=clock.now()
    )
    amounts = {
        "en": ["$15,000.00", "$588.00", "$15,588.00"],
        "nb": ["15\xa0000,00\xa0USD", "588,00\xa0USD", "15\xa0588,00\xa0USD"],
    }
    for width in (375, 390, 420):
        context = browser.new_context(viewport={"width": width, "height": 812})
        page = context.new_page()
        page.set_default_timeout(5000)
        try:
            for lang, expected in amounts.items():
                page.goto(local(checkout_url(link), live_server) + f"?lang={lang}")
                cells = [
                    *page.locator(".table-lines tbody td:last-child").all(),
                    page.get_by_test_id("amount-today"),
                ]
                assert [cell.inner_text() for cell in cells] == expected, (width, lang)
                wrap = page.locator(".table-wrap").bounding_box()
                for cell in cells:
                    box = cell.bounding_box()
                    assert cell.is_visible() and box is not None and box["width"] > 0
                    inside = (
                        0 <= wrap["x"] <= box["x"] and box["x"] + box["width"] <= wrap["x"] + wrap["width"]
                    )
                    assert inside and wrap["x"] + wrap["width"] <= width, (
                        width,
                        lang,
                        cell.inner_text(),
                        box,
                        wrap,
                    )
                assert page.evaluate(
                    "[...document.querySelectorAll('.table-wrap')].every(w => w.scrollWidth <= w.clientWidth)"
                )
                assert fits_the_screen(page), (width, lang)
            items = page.get_by_role("group", name="Å betale i dag")  # the Norwegian page is still open
            for _ in range(3):  # the skip link, "English", then the items
                page.keyboard.press("Tab")
            expect(items).to_be_focused()  # reachable by keyboard, should it ever scroll
        finally:
            context.close()
