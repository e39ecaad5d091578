"""Create subscription in Debian's Chromium, as a seller does it: search and pick the contact, add a
product, send invoices net 30, confirm in the dialog, land on the new subscription; a monthly and an annual
item, which the dialog says make two subscriptions; and "When a customer pays": a payment link of a library
product and a custom recurring item, whose checkout the buyer then opens and pays.

Screenshots (under ``tmp_path``, and into ``docs/screenshots/`` when ``RECURRA_SCREENSHOTS`` is set): the
filled form ``create-subscription.png``, the two-subscription confirmation ``create-subscription-split.png``,
the payment link form ``create-subscription-link.png``. Clock: 2027-01-15 09:30 UTC.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from recurra.catalog.models import Product
from recurra.catalog.services import product_create
from recurra.commerce.links import checkout_url
from recurra.commerce.models import PaymentLink
from recurra.crm.services import company_create, contact_create
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM
from tests.web import chromium
from tests.web.chromium import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_seller_creates_a_subscription_sending_invoices(
    signed_in_page: Any, live_server: Any, tmp_path: Path
) -> None:
    fjordline = company_create(actor=SYSTEM, name="Fjordline", domain="fjordline.example")
    ingrid = contact_create(
        actor=SYSTEM,
        email="ingrid@fjordline.example",
        first_name="Ingrid",
        last_name="Hansen",
        company_id=fjordline.pk,
        address={"line1": "Strandkaien 3", "city": "Bergen", "postal_code": "5013", "country": "NO"},
    )
    contact_create(actor=SYSTEM, email="ingvar@example.com", first_name="Ingvar", last_name="Berg")
    pro = pro_plan()
    page = signed_in_page
    page.goto(f"{live_server.url}/subscriptions/")
    page.get_by_role("link", name="Create subscription").click()

    page.get_by_label("Search contacts by name or email").fill("ing")  # htmx, as typed
    ingrid_radio = page.get_by_label("Ingrid Hansen · ingrid@fjordline.example")
    ingrid_radio.wait_for()
    assert page.locator("#contact-results input[type=radio]").count() == 2  # Ingrid and Ingvar
    ingrid_radio.check()
    expect(page.locator("#id_city")).to_have_value("Bergen")  # her address (not wait_for_function: CSP)
    assert page.locator("#id_line1").input_value() == "Strandkaien 3"
    page.locator("#id_items-0-product_id").select_option(pro.pk)
    page.locator("#id_items-0-quantity").fill("2")
    page.get_by_label("Manual collection: send an invoice each period").check()
    page.get_by_label("Payment terms").select_option(label="Net 30")
    page.get_by_label("Collect the billing address").check()
    page.get_by_label("On a date").check()
    page.get_by_label("Start date").fill("2027-02-01")
    page.locator("details.advanced summary").click()
    page.get_by_label("PO number").fill("PO-2027-118")
    assert not page.get_by_label("Payment method", exact=True).is_visible()  # the other collection's option
    shoot(page, "create-subscription.png", tmp_path)

    page.get_by_role("button", name="Review and create").click()
    dialog = page.get_by_role("dialog", name="Create this subscription?")
    dialog.wait_for()
    assert page.evaluate("document.activeElement.id") == "confirm"  # focus moved to the dialog
    assert dialog.get_by_test_id("confirm-first-payment").inner_text() == "1 Feb 2027 · $98.00 Scheduled"
    assert dialog.get_by_test_id("confirm-collection").inner_text() == (
        "Send an invoice each period, net 30; payable online (Card, Bank debit (ACH))"
    )
    assert not Subscription.objects.exists()
    dialog.get_by_role("button", name="Create subscription").click()
    page.wait_for_selector("text=Subscription created.")

    sub = Subscription.objects.get()
    assert page.url == f"{live_server.url}/subscriptions/{sub.pk}/"
    assert (sub.contact_id, sub.company_id, sub.name, sub.status) == (
        ingrid.pk,
        fjordline.pk,
        "Pro plan",
        "scheduled",
    )
    assert (sub.collection_method, sub.payment_terms, sub.start_date, sub.next_payment_amount) == (
        "send_invoice",
        "net_30",
        date(2027, 2, 1),
        9800,
    )
    assert (sub.address_line1, sub.city, sub.collect_billing_address, sub.invoice_po_number) == (
        "Strandkaien 3",
        "Bergen",
        True,
        "PO-2027-118",
    )


def test_a_monthly_and_an_annual_item_make_two_subscriptions_and_the_dialog_says_so(
    signed_in_page: Any, live_server: Any, tmp_path: Path
) -> None:
    ingrid = contact_create(
        actor=SYSTEM, email="ingrid@fjordline.example", first_name="Ingrid", last_name="Hansen"
    )
    page = signed_in_page
    page.goto(f"{live_server.url}/contacts/{ingrid.pk}/")
    page.locator("section.sub-card details.menu summary").click()
    page.get_by_role("link", name="Create new subscription").click()
    expect(page.get_by_role("link", name="Now")).to_have_attribute("aria-current", "page")

    page.locator("#id_items-0-name").fill("Basic")
    page.locator("#id_items-0-unit_price").fill("25")
    page.locator("#id_items-0-billing_frequency").select_option("monthly")
    for number, (name, price, frequency) in enumerate(
        [("Archive", "120", "annually"), ("Seats", "5", "monthly")], start=1
    ):
        page.get_by_role("button", name="+ Add line item").click()
        page.locator(f"#id_items-{number}-name").fill(name)
        page.locator(f"#id_items-{number}-unit_price").fill(price)
        page.locator(f"#id_items-{number}-billing_frequency").select_option(frequency)
    page.locator("#id_items-2-quantity").fill("3")
    page.get_by_label("Manual collection: send an invoice each period").check()
    page.get_by_role("button", name="Review and create").click()

    dialog = page.get_by_role("dialog", name="Create these 2 subscriptions?")
    dialog.wait_for()
    expect(dialog.get_by_test_id("confirm-split")).to_have_text(
        "This creates 2 subscriptions: monthly (2 items, $40.00/month) and annually (1 item, $120.00/year)."
    )
    assert dialog.get_by_test_id("confirm-name").all_inner_texts() == ["Basic + 1 more", "Archive"]
    assert dialog.get_by_test_id("confirm-first-payment").all_inner_texts() == [
        "15 Jan 2027 · $40.00 Active",
        "15 Jan 2027 · $120.00 Active",
    ]
    shoot(page, "create-subscription-split.png", tmp_path, full_page=False)
    assert not Subscription.objects.exists()
    dialog.get_by_role("button", name="Create 2 subscriptions").click()

    page.wait_for_url(f"{live_server.url}/contacts/{ingrid.pk}/")
    done = "2 subscriptions created: Basic + 1 more and Archive."
    expect(page.locator(".message-success")).to_have_text(done)
    assert page.locator("section.sub-card .sub-link").all_inner_texts() == ["Archive", "Basic + 1 more"]
    made = [
        (
            s.name,
            s.billing_frequency,
            s.next_payment_amount,
            [(i.name, i.quantity, i.unit_amount) for i in s.line_items.all()],
        )
        for s in Subscription.objects.order_by("id")
    ]
    assert made == [
        ("Basic + 1 more", "monthly", 4000, [("Basic", 1, 2500), ("Seats", 3, 500)]),
        ("Archive", "annually", 12000, [("Archive", 1, 12000)]),
    ]


def test_when_a_customer_pays_makes_a_payment_link_the_buyer_opens_and_pays(
    signed_in_page: Any, browser: Any, live_server: Any, tmp_path: Path
) -> None:
    pro = pro_plan()
    page = signed_in_page
    page.goto(f"{live_server.url}/subscriptions/")
    page.get_by_role("link", name="Create subscription").click()
    page.get_by_role("link", name="When a customer pays").click()

    page.wait_for_url(f"{live_server.url}/subscriptions/new/payment-link/")
    expect(page.get_by_role("link", name="When a customer pays")).to_have_attribute("aria-current", "page")
    page.locator("#id_name").fill("Pro plan with priority support")  # the link's (its rows have names too)
    page.locator("#id_items-0-product_id").select_option(pro.pk)
    page.locator("#id_items-0-quantity").fill("2")
    page.get_by_role("button", name="+ Add line item").click()
    page.locator("#id_items-1-name").fill("Priority support")
    page.locator("#id_items-1-unit_price").fill("19")
    page.locator("#id_items-1-billing_frequency").select_option("monthly")
    shoot(page, "create-subscription-link.png", tmp_path)
    page.get_by_role("button", name="Create payment link").click()

    link = PaymentLink.objects.get()
    page.wait_for_url(f"{live_server.url}/payment-links/{link.pk}/")
    expect(page.locator(".message-success")).to_have_text(
        "Payment link created: send its link to the customer. Their subscription starts when they pay."
    )
    url = page.locator("#checkout-url").input_value()
    assert url == checkout_url(link)

    buyer = browser.new_context(viewport=chromium.VIEWPORT)  # no sign-in: the customer
    checkout = buyer.new_page()
    checkout.set_default_timeout(5000)
    try:
        checkout.goto(live_server.url + "/" + url.split("/", 3)[3])
        expect(checkout.get_by_role("heading", level=1)).to_have_text("Pro plan with priority support")
        rows = checkout.locator("table.table-lines tbody tr")
        assert [" ".join(row.split()) for row in rows.all_inner_texts()] == [
            "Pro plan every month 2 $98.00",
            "Priority support every month 1 $19.00",
        ]
        expect(checkout.get_by_test_id("amount-today")).to_have_text("$117.00")
        checkout.get_by_label("Email").fill("mia@example.com")
        checkout.get_by_label("First name").fill("Mia")
        checkout.get_by_label("Last name").fill("Berg")
        checkout.get_by_label("Pay with").select_option("tok_visa")
        checkout.get_by_role("button", name="Pay $117.00").click()
        expect(checkout.get_by_test_id("outcome")).to_have_text("Payment of $117.00 received.")
    finally:
        buyer.close()
    sub = Subscription.objects.get(payment_link=link)
    assert (sub.contact.email, sub.billing_frequency, sub.next_payment_amount, sub.payments_made) == (
        "mia@example.com",
        "monthly",
        11700,
        1,
    )
    assert [(i.name, i.quantity) for i in sub.line_items.all()] == [("Pro plan", 2), ("Priority support", 1)]


def pro_plan() -> Product:
    """The library's Pro plan: $49.00 a month."""
    return product_create(
        actor=SYSTEM,
        name="Pro plan",
        sku="PRO-M",
        unit_amount=4900,
        currency="USD",
        billing_frequency="monthly",
    )
