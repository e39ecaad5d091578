"""The buyer's pages on Stripe in Debian's Chromium, with localstripe's Stripe.js: cards typed into its Card
Element, confirmed through each page's SetupIntent, 3-D Secure in its modal; SEPA Direct Debit on a page
in euros (an IBAN typed into the page, confirmed with confirmSepaDebitSetup); no CSP violation anywhere.

localstripe's Card Element is plain inputs (placeholders number, exp_month, exp_year of two digits, cvc,
postal_code); its 3-D Secure modal has "Complete authentication" and "Fail authentication". Screenshots:
``checkout-stripe.png`` (the filled-in hosted checkout) and ``checkout-stripe-sepa.png`` (the same in
euros, by SEPA Direct Debit). axe-core checks the pages around the card fields (those are Stripe's own:
localstripe's bare inputs stand in for Stripe's labelled frame).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from recurra.accounts.services import account_settings_update
from recurra.catalog.line_items import LineItemInput
from recurra.commerce.links import checkout_url, quote_url
from recurra.commerce.payment_links import payment_link_create
from recurra.commerce.quotes import quote_create, quote_publish
from recurra.core import clock
from recurra.crm.services import contact_create, deal_create
from recurra.invoicing.links import pay_token
from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment, PaymentMethod
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.update_links import update_link_create
from tests.conftest import SYSTEM, T0
from tests.localstripe import StripeWorld
from tests.services.test_update_links import past_due_subscription
from tests.web import chromium
from tests.web.chromium import shoot
from tests.web.test_accessibility import AXE, PHONE, RUN_AXE
from tests.web.test_csp_browser import Watch
from tests.web.test_public_invoice import UNPAID
from tests.web.test_subscription_pages import make_invoice, make_subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SETUP_INTENTS = r"^/v1/setup_intents$"
MONTHLY = LineItemInput(name="Pro plan", unit_amount=4900, currency="USD", billing_frequency="monthly")
VISA = "4242424242424242"
DECLINED_ON_ATTACH = "4000000000000002"
THREE_D_SECURE = "4000002760003184"
EURO_MONTHLY = LineItemInput(name="Pro plan", unit_amount=4900, currency="EUR", billing_frequency="monthly")
IBAN = "DE89 3704 0044 0532 0130 00"  # as a buyer types it, spaces and all


@pytest.fixture(autouse=True)
def business() -> None:
    clock.freeze(T0)
    account_settings_update(actor=SYSTEM, at=T0, business_name="Fjordline Software AS")


def path(url: str) -> str:
    """An absolute URL of the app as a path (to open at the live server)."""
    return "/" + url.split("/", 3)[3]


def type_card(page: Any, number: str) -> None:
    """The buyer types a test card into localstripe's Card Element (it mounts once Stripe.js has run)."""
    card = page.get_by_role("group", name="Card")
    card.get_by_placeholder("number").fill(number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("30")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("0155")


def complete_authentication(page: Any) -> None:
    page.get_by_role("button", name="Complete authentication").click()


def test_a_buyer_pays_the_hosted_checkout_with_a_card_typed_into_stripe_js(
    page: Any, live_server: Any, stripe_gateway: StripeWorld, tmp_path: Path
) -> None:
    link = payment_link_create(name="Pro plan", line_items=[MONTHLY], actor=SYSTEM, at=clock.now())
    watch = Watch(page)
    watch.visit(live_server.url + path(checkout_url(link)))
    page.get_by_label("Email").fill("mia@example.com")
    page.get_by_label("First name").fill("Mia")
    page.get_by_label("Last name").fill("Hansen")
    type_card(page, VISA)
    page.evaluate("document.activeElement.blur()")
    shoot(page, "checkout-stripe.png", tmp_path)
    page.get_by_role("button", name="Pay $49.00").click()

    expect(page.get_by_test_id("outcome")).to_have_text("Payment of $49.00 received.")
    watch.collect()
    assert watch.found == []
    sub = Subscription.objects.select_related("payment_method", "contact").get(payment_link=link)
    method = sub.payment_method
    assert method is not None and sub.contact.email == "mia@example.com"
    assert (method.gateway, method.type, method.brand, method.last4) == ("stripe", "card", "visa", "4242")
    assert method.gateway_method_id.startswith("pm_") and method.gateway_customer_id.startswith("cus_")
    (paid,) = stripe_gateway.succeeded_intents()
    assert (paid.amount, paid.customer, paid.payment_method) == (
        4900,
        method.gateway_customer_id,
        method.gateway_method_id,
    )
    setups = stripe_gateway.client().v1.setup_intents.list(params={"limit": 10}).data
    assert [(s.usage, s.customer, s.status) for s in setups] == [
        ("off_session", method.gateway_customer_id, "succeeded")
    ]


def test_a_buyer_pays_a_euro_checkout_by_sepa_direct_debit_and_the_iban_never_reaches_recurra(
    page: Any, live_server: Any, stripe_gateway: StripeWorld, tmp_path: Path
) -> None:
    link = payment_link_create(
        name="Pro plan",
        line_items=[EURO_MONTHLY],
        allowed_payment_methods=("card", "sepa_debit"),
        actor=SYSTEM,
        at=clock.now(),
    )
    posted: list[str] = []  # every request body the page sends to Recurra
    page.on(
        "request",
        lambda sent: posted.append(sent.post_data or "") if sent.url.startswith(live_server.url) else None,
    )
    watch = Watch(page)
    watch.visit(live_server.url + path(checkout_url(link)))
    page.get_by_label("Email").fill("mia@example.com")
    page.get_by_label("First name").fill("Mia")
    page.get_by_label("Last name").fill("Hansen")
    choice = page.get_by_role("group", name="Pay with")
    expect(choice.get_by_role("radio", name="Card")).to_be_checked()  # cards stay the default
    expect(page.get_by_label("IBAN")).to_be_hidden()
    choice.get_by_role("radio", name="SEPA Direct Debit").check()
    expect(page.get_by_role("group", name="Card")).to_be_hidden()
    expect(page.get_by_text("you authorise (A) Fjordline Software AS and Stripe")).to_be_visible()

    page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 01")  # a digit wrong: its checksum says so
    page.get_by_role("button", name="Pay €49.00").click()
    expect(page.get_by_role("alert")).to_have_text("Please check the IBAN: it does not look right.")
    assert stripe_gateway.proxy.calls("POST", SETUP_INTENTS) == []

    page.get_by_label("IBAN").fill(IBAN)
    page.evaluate("document.activeElement.blur()")
    shoot(page, "checkout-stripe-sepa.png", tmp_path)
    page.get_by_role("button", name="Pay €49.00").click()

    expect(page.get_by_test_id("outcome")).to_be_visible()
    watch.collect()
    assert watch.found == []
    assert not [body for body in posted if "0532" in body or "DE89" in body.upper()]
    sub = Subscription.objects.select_related("payment_method", "contact").get(payment_link=link)
    method = sub.payment_method
    assert method is not None and sub.contact.email == "mia@example.com"
    assert (method.gateway, method.type, method.last4) == ("stripe", "sepa_debit", "3000")
    assert method.gateway_method_id.startswith("pm_") and method.gateway_customer_id.startswith("cus_")
    (setup,) = stripe_gateway.client().v1.setup_intents.list(params={"limit": 10}).data
    assert (setup.payment_method_types, setup.status, setup.customer) == (
        ["sepa_debit"],
        "succeeded",
        method.gateway_customer_id,
    )
    made = stripe_gateway.client().v1.payment_methods.retrieve(method.gateway_method_id)
    assert (made.billing_details.name, made.billing_details.email) == ("Mia Hansen", "mia@example.com")
    (payment,) = Payment.objects.filter(payment_method=method)
    assert payment.status in ("processing", "succeeded") and payment.amount == 4900
    (intent,) = stripe_gateway.intents()
    assert (intent.id, intent.amount, intent.currency, intent.payment_method) == (
        payment.gateway_charge_id,
        4900,
        "eur",
        method.gateway_method_id,
    )
    assert method.mandate == "NXDSYREGC9PSMKWY"


def test_the_update_page_saves_an_iban_for_a_sepa_only_subscription_with_its_holder_and_mandate(
    page: Any, live_server: Any, records: Any, request: pytest.FixtureRequest
) -> None:
    sub = make_subscription(
        records.contact, currency="EUR", allowed_payment_methods=["sepa_debit"], **UNPAID
    )  # nothing owed: saving the method charges nothing
    _, url = update_link_create(subscription=sub, actor=SYSTEM, at=T0, email=False)
    world: StripeWorld = request.getfixturevalue("stripe_gateway")
    watch = Watch(page)
    watch.visit(live_server.url + path(url))
    expect(page.get_by_role("radio")).to_have_count(0)  # SEPA alone: cards are not allowed
    expect(page.get_by_label("Account holder's name")).to_have_value("Ingrid Hansen")
    expect(page.get_by_label("Email")).to_have_value("ingrid@fjordline.example")

    page.get_by_label("Account holder's name").fill("")
    page.get_by_label("IBAN").fill(IBAN)
    page.get_by_role("button", name="Save payment method").click()
    expect(page.get_by_role("alert")).to_have_text("Please enter the account holder's name and email.")
    page.get_by_label("Account holder's name").fill("Fjordline Software AS")
    page.get_by_role("button", name="Save payment method").click()

    expect(page.get_by_role("region", name="Your payment method is saved")).to_be_visible()
    watch.collect()
    assert watch.found == []
    method = Subscription.objects.select_related("payment_method").get(pk=sub.pk).payment_method
    assert method is not None
    assert (method.gateway, method.type, method.last4, method.mandate) == (
        "stripe",
        "sepa_debit",
        "3000",
        "NXDSYREGC9PSMKWY",
    )
    made = world.client().v1.payment_methods.retrieve(method.gateway_method_id)
    assert (made.billing_details.name, made.billing_details.email) == (
        "Fjordline Software AS",
        "ingrid@fjordline.example",
    )
    assert world.intents() == []


def test_the_update_page_saves_a_new_card_with_stripe_js_and_a_declined_one_saves_nothing(
    page: Any, live_server: Any, request: pytest.FixtureRequest
) -> None:
    sub = past_due_subscription("ada@example.com", allowed=("card",))  # its declines on the sandbox
    _, url = update_link_create(subscription=sub, actor=SYSTEM, at=T0, email=False)
    invoice = Invoice.objects.get(subscription=sub)
    methods = PaymentMethod.objects.count()
    world: StripeWorld = request.getfixturevalue("stripe_gateway")
    watch = Watch(page)
    watch.visit(live_server.url + path(url))

    type_card(page, DECLINED_ON_ATTACH)
    page.get_by_role("button", name="Save and pay $40.00").click()
    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")
    assert PaymentMethod.objects.count() == methods
    assert Subscription.objects.get(pk=sub.pk).payment_method_id == sub.payment_method_id
    assert world.intents() == []

    page.get_by_role("group", name="Card").get_by_placeholder("number").fill(VISA)
    page.get_by_role("button", name="Save and pay $40.00").click()

    outcome = page.get_by_role("region", name="Your payment method is saved")
    expect(outcome.locator("p")).to_have_text(f"Paid $40.00 for invoice {invoice.number}. Thank you.")
    watch.collect()
    assert watch.found == []
    method = Subscription.objects.select_related("payment_method").get(pk=sub.pk).payment_method
    assert method is not None
    assert (method.gateway, method.brand, method.last4) == ("stripe", "visa", "4242")
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    (paid,) = world.succeeded_intents()
    assert (paid.amount, paid.payment_method) == (4000, method.gateway_method_id)


def test_a_3d_secure_card_pays_an_invoice_once_the_buyer_completes_authentication(
    page: Any, live_server: Any, records: Any, request: pytest.FixtureRequest
) -> None:
    sub = make_subscription(
        records.contact, collection_method="send_invoice", payment_terms="net_30", **UNPAID
    )
    invoice = make_invoice(sub, number="INV-7", status="open", amount_paid=0, amount_due=9800)
    world: StripeWorld = request.getfixturevalue("stripe_gateway")
    watch = Watch(page)
    watch.visit(f"{live_server.url}/pay/invoices/{pay_token(invoice)}/")

    type_card(page, THREE_D_SECURE)
    page.get_by_role("button", name="Pay $98.00").click()
    complete_authentication(page)  # saving the card (its SetupIntent)
    expect(page.get_by_test_id("needs-action")).to_be_visible()  # the payment: the bank asks again
    complete_authentication(page)

    expect(page.get_by_text("Thank you! Your payment of $98.00 was received.")).to_be_visible()
    watch.collect()
    assert watch.found == []
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    (payment,) = Payment.objects.filter(invoice=invoice)
    assert (payment.status, payment.origin, payment.amount) == ("succeeded", "online", 9800)
    (paid,) = world.succeeded_intents()
    assert (paid.id, paid.amount) == (payment.gateway_charge_id, 9800)


def test_the_stripe_pages_have_no_serious_accessibility_violations_around_the_card_fields(
    browser: Any, live_server: Any, records: Any, request: pytest.FixtureRequest
) -> None:
    link = payment_link_create(name="Pro plan", line_items=[MONTHLY], actor=SYSTEM, at=clock.now())
    sub = make_subscription(
        records.contact, collection_method="send_invoice", payment_terms="net_30", **UNPAID
    )
    invoice = make_invoice(sub, number="INV-7", status="open", amount_paid=0, amount_due=9800)
    late = past_due_subscription("ada@example.com", allowed=("card",))
    _, update_url = update_link_create(subscription=late, actor=SYSTEM, at=T0, email=False)
    ola = contact_create(actor=SYSTEM, email="ola@example.com", first_name="Ola")
    deal = deal_create(actor=SYSTEM, name="Acme", contact_id=ola.pk, line_items=[MONTHLY])
    quote = quote_create(deal=deal, payment_enabled=True, actor=SYSTEM, at=clock.now())
    quote_publish(quote=quote, actor=SYSTEM, at=clock.now())
    request.getfixturevalue("stripe_gateway")
    pages = {
        "checkout": path(checkout_url(link)),
        "quote": path(quote_url(quote)),
        "invoice": f"/pay/invoices/{pay_token(invoice)}/",
        "update link": path(update_url),
    }
    run_axe = RUN_AXE.replace("axe.run(document,", "axe.run({exclude: [['#card-element']]},")
    context = browser.new_context(viewport=chromium.VIEWPORT, bypass_csp=True, locale="en-US")
    context.set_default_timeout(5000)
    found = []
    try:
        page = context.new_page()
        for name, url in pages.items():
            for viewport in (chromium.VIEWPORT, PHONE):
                page.set_viewport_size(viewport)
                page.goto(live_server.url + url)
                page.get_by_role("group", name="Card").get_by_placeholder(
                    "number"
                ).wait_for()  # Stripe.js ran
                page.add_script_tag(path=str(AXE))
                result = page.evaluate(run_axe)
                assert result["ran"] > 50, result
                found += [
                    f"{name} at {viewport['width']} px: {v['id']} {v['targets']}"
                    for v in result["violations"]
                ]
    finally:
        context.close()
    assert found == []


def test_the_sepa_choice_has_no_serious_accessibility_violations(
    browser: Any, live_server: Any, records: Any, request: pytest.FixtureRequest
) -> None:
    link = payment_link_create(
        name="Pro plan",
        line_items=[EURO_MONTHLY],
        allowed_payment_methods=("card", "sepa_debit"),
        actor=SYSTEM,
        at=clock.now(),
    )
    sub = make_subscription(records.contact, currency="EUR", allowed_payment_methods=["sepa_debit"], **UNPAID)
    _, update_url = update_link_create(subscription=sub, actor=SYSTEM, at=T0, email=False)
    request.getfixturevalue("stripe_gateway")
    run_axe = RUN_AXE.replace("axe.run(document,", "axe.run({exclude: [['#card-element']]},")
    context = browser.new_context(viewport=chromium.VIEWPORT, bypass_csp=True, locale="en-US")
    context.set_default_timeout(5000)
    found = []
    try:
        page = context.new_page()
        for name, url in {"checkout": path(checkout_url(link)), "update link": path(update_url)}.items():
            for viewport in (chromium.VIEWPORT, PHONE):
                page.set_viewport_size(viewport)
                page.goto(live_server.url + url)
                choice = page.get_by_role("radio", name="SEPA Direct Debit")
                if choice.count():
                    choice.check()
                expect(page.get_by_label("IBAN")).to_be_visible()  # the SEPA panel is shown
                page.add_script_tag(path=str(AXE))
                result = page.evaluate(run_axe)
                assert result["ran"] > 50, result
                found += [
                    f"{name} at {viewport['width']} px: {v['id']} {v['targets']}"
                    for v in result["violations"]
                ]
    finally:
        context.close()
    assert found == []
