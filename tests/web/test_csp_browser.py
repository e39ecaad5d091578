"""The Content-Security-Policy in Debian's Chromium: the seller's pages and the buyer's pages, used with
clicks (htmx swaps, dialogs, copy buttons, forms that post), log no violation.

Every violation is caught twice: Chromium's console message ("... violates the following Content
Security Policy directive ...") and the page's ``securitypolicyviolation`` event, read before each
page is left. Screenshots: ``login-paused.png`` and ``server-error.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from recurra.accounts.selectors import account_settings
from recurra.catalog.line_items import LineItemInput
from recurra.commerce.links import checkout_url, quote_url
from recurra.commerce.payment_links import payment_link_create
from recurra.commerce.quotes import quote_create, quote_publish
from recurra.core import clock
from recurra.crm.models import Company, Contact
from recurra.crm.services import deal_create
from recurra.exports import services as exports
from recurra.invoicing.links import pay_url
from recurra.notifications.models import EmailMessage
from recurra.notifications.unsubscribe import unsubscribe_token
from recurra.saved_views.defaults import DEFAULT_VIEWS
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.update_links import update_link_create
from tests.conftest import SYSTEM
from tests.web import chromium
from tests.web.chromium import shoot
from tests.web.conftest import PASSWORD, make_user
from tests.web.test_subscription_pages import make_invoice, make_method, make_payment, make_subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONTHLY = LineItemInput(name="Pro plan", unit_amount=4900, currency="USD", billing_frequency="monthly")
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""


class Watch:
    """The violations a page reports, by console and by event, with the page they were on."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.found: list[str] = []
        page.add_init_script(LISTEN)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"{page.url}: script error: {error}"))

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "htmx:evalDisallowed" in message.text:
            self.found.append(f"{self.page.url}: {message.text}")

    def collect(self) -> None:
        events = self.page.evaluate("window.__csp || []")
        self.found += [f"{self.page.url}: event: {event}" for event in events]

    def visit(self, url: str) -> None:
        self.collect()
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")


@pytest.fixture
def business(frozen_clock: Any) -> dict[str, Any]:
    """A small business with one of everything a page shows."""
    settings = account_settings()
    settings.business_name = "Fjordline Software AS"
    settings.save()
    company = Company.objects.create(name="Fjordline", domain="fjordline.example")
    ingrid = Contact.objects.create(
        email="ingrid@fjordline.example", first_name="Ingrid", last_name="Hansen", company=company
    )
    method = make_method(ingrid)
    paid = make_subscription(ingrid, name="Pro monthly", payment_method=method)
    payment = make_payment(make_invoice(paid, number="OLD-1"), payment_method=method)
    unpaid = make_subscription(ingrid, name="Support", payments_made=0, total_collected=0)
    open_invoice = make_invoice(unpaid, number="OLD-2", status="open", amount_paid=0, amount_due=9800)
    deal = deal_create(actor=SYSTEM, name="Fjordline Pro", contact_id=ingrid.pk, line_items=[MONTHLY])
    link = payment_link_create(name="Pro plan", line_items=[MONTHLY], actor=SYSTEM, at=clock.now())
    quote = quote_create(
        deal=deal,
        name="Quote: Pro plan",
        expires_on=date(2027, 2, 14),
        payment_enabled=True,
        language="en",
        actor=SYSTEM,
        at=clock.now(),
    )
    quote_publish(quote=quote, actor=SYSTEM, at=clock.now())
    _, update_url = update_link_create(subscription=unpaid, actor=SYSTEM, at=clock.now(), email=False)
    update_link_create(subscription=paid, actor=SYSTEM, at=clock.now(), email=True)  # one in the log
    export = exports.export_create(
        source=exports.Source("all", "All", DEFAULT_VIEWS["all"].spec, {}),
        format="csv",
        language="en",
        requested_by=None,
        actor=SYSTEM,
        at=clock.now(),
    )
    return {
        "company": company,
        "contact": ingrid,
        "paid": paid,
        "unpaid": unpaid,
        "payment": payment,
        "invoice": open_invoice,
        "deal": deal,
        "link": link,
        "quote": quote,
        "checkout": checkout_url(link),
        "pay": pay_url(open_invoice),
        "quote_url": quote_url(quote),
        "update": update_url,
        "export": export,
    }


def local(url: str, live_server: Any) -> str:
    return live_server.url + "/" + url.split("/", 3)[3]


@pytest.fixture
def watched(browser: Any) -> Iterator[tuple[Any, Watch]]:
    context = browser.new_context(viewport=chromium.VIEWPORT)
    context.set_default_timeout(5000)
    page = context.new_page()
    try:
        yield page, Watch(page)
    finally:
        context.close()


def sign_in(page: Any, base: str) -> None:
    make_user("super_admin", "admin")
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/contacts/")


def test_the_sellers_pages_log_no_policy_violation(
    watched: tuple[Any, Watch], live_server: Any, business: dict[str, Any]
) -> None:
    page, watch = watched
    base = live_server.url
    sign_in(page, base)
    b = business
    for path in (
        "/contacts/",
        "/contacts/new/",
        f"/companies/{b['company'].pk}/",
        "/companies/",
        "/deals/",
        f"/deals/{b['deal'].pk}/",
        "/products/",
        "/products/new/",
        "/payment-links/",
        "/payment-links/new/",
        "/subscriptions/new/",
        f"/subscriptions/{b['paid'].pk}/",
        f"/subscriptions/{b['paid'].pk}/edit/",
        f"/subscriptions/{b['paid'].pk}/pause/",
        "/invoices/",
        "/payments/",
        f"/payments/{b['payment'].pk}/",
        "/exports/",
        f"/exports/{b['export'].pk}/",
        "/exports/new/?view=all",
        "/settings/account/",
        "/settings/notifications/",
        "/settings/dunning/",
        "/settings/payments/",
        "/settings/api-keys/",
        "/settings/api-keys/new/",
        "/settings/users/",
        "/settings/users/new/",
        "/emails/",
        f"/emails/{EmailMessage.objects.get().pk}/",  # its HTML in a sandboxed frame, under its own policy
        "/nothing-here/",
        "/api/v1/docs",
    ):
        watch.visit(f"{base}{path}")
    expect(page.locator("#swagger-ui .info .title")).to_contain_text("Recurra API")  # Swagger UI ran

    # htmx at work: search as you type, a line item row, the index's count and side panel, a dialog.
    watch.visit(f"{base}/contacts/")
    page.get_by_label("Search contacts").fill("ingrid")
    page.wait_for_url(f"{base}/contacts/?q=ingrid")
    watch.visit(f"{base}/deals/new/")
    page.get_by_role("button", name="+ Add line item").click()
    expect(page.locator("#id_items-TOTAL_FORMS")).to_have_value("2")
    watch.visit(f"{base}/subscriptions/")
    expect(page.locator("#index-count")).not_to_have_text("Counting…")
    page.locator("[data-panel-link]").first.click()
    expect(page.locator("#panel .panel")).to_be_visible()
    watch.visit(f"{base}/subscriptions/{b['paid'].pk}/")
    page.get_by_test_id("actions-menu").click()
    page.get_by_role("link", name="Pause…").click()
    expect(page.locator("dialog[open]")).to_be_visible()
    page.keyboard.press("Escape")

    # The record card's preview and menu (its script now in app.js), the copy buttons.
    watch.visit(f"{base}/contacts/{b['contact'].pk}/")
    page.locator(".sub-card .sub-link").first.hover()
    expect(page.locator(".sub-card .sub-preview").first).not_to_contain_text("Loading…")
    page.locator(".sub-card details.menu summary").click()
    page.keyboard.press("Escape")
    assert page.locator(".sub-card details.menu").get_attribute("open") is None
    page.locator("[data-record-preview]").first.click()
    expect(page.locator("#record-panel .panel")).to_be_visible()
    for path, field in (
        (f"/invoices/{b['invoice'].pk}/", "#pay-url"),
        (f"/payment-links/{b['link'].pk}/", "#checkout-url"),
    ):
        watch.visit(f"{base}{path}")
        button = page.locator(f"[data-copy='{field[1:]}']")
        button.click()
        expect(button).to_have_text("Copied")
        assert page.evaluate("document.activeElement.id") == field[1:]  # the field was selected

    # A form that posts: the sandbox clock's +1 day.
    watch.visit(f"{base}/contacts/")
    page.get_by_role("button", name="+1 day").click()
    page.wait_for_load_state("networkidle")
    watch.collect()
    assert watch.found == []


def test_the_buyers_pages_log_no_policy_violation(
    watched: tuple[Any, Watch], live_server: Any, business: dict[str, Any]
) -> None:
    page, watch = watched
    b = business
    for url in (b["pay"], b["quote_url"], b["update"]):
        watch.visit(local(url, live_server))
    watch.visit(f"{live_server.url}/unsubscribe/{unsubscribe_token(Contact.objects.first().pk)}/")
    watch.visit(local(b["checkout"], live_server))
    page.get_by_label("Email").fill("mia@example.com")
    page.get_by_label("First name").fill("Mia")
    page.get_by_label("Last name").fill("Hansen")
    page.get_by_label("Pay with").select_option("tok_visa")
    page.get_by_role("button", name="Pay $49.00").click()  # form-action 'self' lets it post
    assert page.get_by_test_id("outcome").inner_text() == "Payment of $49.00 received."
    watch.visit(local(b["pay"], live_server))
    page.locator("#method-tok_visa").check()
    page.get_by_role("button", name="Pay $98.00").click()
    expect(page.get_by_test_id("payment-state")).to_contain_text("Your payment of $98.00 was received.")
    watch.collect()
    assert watch.found == []
    assert Subscription.objects.filter(payment_link=b["link"]).count() == 1


def test_the_paused_sign_in_and_the_error_page_are_styled(
    watched: tuple[Any, Watch], live_server: Any, settings: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    page, watch = watched
    settings.AXES_FAILURE_LIMIT = 2
    clock.freeze(clock.now())
    make_user("viewer", "vera")
    watch.visit(f"{live_server.url}/login/")
    for _ in range(2):
        page.get_by_label("Username").fill("vera")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Sign-in paused")
    shoot(page, "login-paused.png", tmp_path)

    def boom(**_: Any) -> None:
        raise RuntimeError("injected fault")

    monkeypatch.setattr("recurra.crm.selectors.contact_list", boom)
    make_user("viewer", "olga")
    watch.visit(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Something went wrong")  # /contacts/ failed
    shoot(page, "server-error.png", tmp_path)
    watch.collect()
    assert watch.found == []
