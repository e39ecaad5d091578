"""Create subscription in Debian's Chromium, as a seller does it: search and pick the contact, add a
product, send invoices net 30, confirm in the dialog, land on the new subscription.

It saves a screenshot of the filled form as ``create-subscription.png`` (under ``tmp_path``, and into
``docs/screenshots/`` when ``RECURRA_SCREENSHOTS`` is set). Clock: 2027-01-15 09:30 UTC.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from recurra.catalog.services import product_create
from recurra.crm.services import company_create, contact_create
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM
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
    pro = product_create(
        actor=SYSTEM,
        name="Pro plan",
        sku="PRO-M",
        unit_amount=4900,
        currency="USD",
        billing_frequency="monthly",
    )
    page = signed_in_page
    page.goto(f"{live_server.url}/subscriptions/")
    page.get_by_role("link", name="Create subscription").click()

    page.get_by_label("Search contacts by name or email").fill("ing")  # htmx, as typed
    ingrid_radio = page.get_by_label("Ingrid Hansen · ingrid@fjordline.example")
    ingrid_radio.wait_for()
    assert page.locator("#contact-results input[type=radio]").count() == 2  # Ingrid and Ingvar
    ingrid_radio.check()
    expect(page.locator("#id_city")).to_have_value(
        "Bergen"
    )  # her address (not wait_for_function: CSP)
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
