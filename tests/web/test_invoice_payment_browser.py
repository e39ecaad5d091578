"""The buyer pays an invoice on its page in Debian's Chromium: on a phone (375 px wide) and on a desktop.

INV-7 ($98.00) of a send_invoice subscription that collects the billing address. With
RECURRA_SCREENSHOTS set, the desktop form is saved to docs/screenshots/invoice-payment.png (the
docs' screenshots are made on purpose, like ``make screenshots``; a test run leaves the docs alone).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from recurra.accounts.services import account_settings_update
from recurra.core import clock
from recurra.invoicing.links import pay_token
from recurra.invoicing.models import Invoice
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM, T0
from tests.web.test_browser import UNLABELLED
from tests.web.test_public_invoice import UNPAID
from tests.web.test_subscription_pages import make_invoice, make_subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "invoice-payment.png"
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.fixture
def invoice(records: Any) -> Invoice:
    clock.freeze(T0)
    account_settings_update(actor=SYSTEM, at=T0, business_name="Fjordline Software AS")
    sub = make_subscription(
        records.contact,
        collection_method="send_invoice",
        payment_terms="net_30",
        collect_billing_address=True,
        **UNPAID,
    )
    return make_invoice(sub, number="INV-7", status="open", amount_paid=0, amount_due=9800)


@pytest.fixture
def open_page(browser: Any, live_server: Any, invoice: Invoice) -> Any:
    """``open_page(viewport)``: a new browser page at the invoice's pay link."""
    contexts = []

    def open_(viewport: dict[str, int]) -> Any:
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(5000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/pay/invoices/{pay_token(invoice)}/")
        return page

    yield open_
    for context in contexts:
        context.close()


def fill_billing_address(page: Any) -> None:
    page.get_by_label("Address", exact=False).first.fill("Storgata 1")
    page.get_by_label("City").fill("Oslo")
    page.get_by_label("Postal code").fill("0155")
    page.get_by_label("Country").fill("NO")


def test_on_a_phone_the_buyer_pays_saves_the_card_and_sees_it_paid(open_page: Any, invoice: Invoice) -> None:
    page = open_page(PHONE)
    assert page.locator("h1").inner_text() == "Invoice INV-7"
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "the page scrolls sideways at 375 px"
    assert page.evaluate(UNLABELLED) == []
    page.get_by_label("Visa •••• 4242 (tok_visa)").check()
    fill_billing_address(page)
    page.get_by_label("Save this payment method for future charges").check()
    page.get_by_role("button", name="Pay $98.00").click()

    page.wait_for_selector("text=Thank you! Your payment of $98.00 was received.")
    assert page.get_by_text("Your payment method Visa •••• 4242 is saved").is_visible()
    assert page.locator(".public-head .badge").inner_text() == "Paid"
    assert page.get_by_test_id("amount-due").inner_text() == "$0.00"
    assert page.locator("form.pay-form").count() == 0
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    sub = Subscription.objects.get(pk=invoice.subscription_id)
    assert sub.collection_method == "charge_automatically" and sub.payment_method is not None
    assert Invoice.objects.get(pk=invoice.pk).billing_address["city"] == "Oslo"

    page.reload()  # the link still opens the invoice: paid, nothing to do
    assert page.get_by_text("This invoice was paid on 15 Jan 2027. Thank you.").is_visible()


def test_on_a_desktop_a_declined_card_is_explained_and_another_one_pays(
    open_page: Any, invoice: Invoice
) -> None:
    page = open_page(DESKTOP)
    fill_billing_address(page)
    if os.environ.get("RECURRA_SCREENSHOTS"):
        page.evaluate("document.activeElement.blur()")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.get_by_label("Visa •••• 0002 (tok_decline)").check()
    page.get_by_role("button", name="Pay $98.00").click()

    alert = page.get_by_test_id("declined")
    alert.wait_for()
    assert alert.inner_text().splitlines()[0] == "Your payment was declined: Your card was declined."
    assert page.get_by_label("City").input_value() == "Oslo"  # what was typed stays
    page.get_by_label("Mastercard •••• 4444 (tok_mastercard)").check()
    page.get_by_role("button", name="Pay $98.00").click()
    page.wait_for_selector("text=Thank you! Your payment of $98.00 was received.")
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"

    page.get_by_role("link", name="Norsk bokmål").click()
    page.wait_for_selector("text=Denne fakturaen ble betalt 15. jan. 2027. Takk.")
    assert page.locator("html").get_attribute("lang") == "nb"
