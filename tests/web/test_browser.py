"""The web app in Debian's Chromium: sign in, create a contact and a deal, basic accessibility."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from recurra.catalog.services import product_create
from recurra.crm.models import Contact, Deal
from tests.conftest import SYSTEM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
  .map(e => e.name || e.id || e.outerHTML)"""


def test_create_a_contact_and_find_it_in_the_list(signed_in_page: Any, live_server: Any) -> None:
    page = signed_in_page
    page.get_by_role("link", name="New contact").click()
    page.get_by_label("Email", exact=True).fill("ada@example.com")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Country").fill("GB")
    page.get_by_role("button", name="Create contact").click()
    page.wait_for_selector("text=Contact created.")
    assert page.locator("h1").inner_text() == "Ada Lovelace"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    page.wait_for_url(f"{live_server.url}/contacts/")
    row = page.locator("table tbody tr").first
    expect(row.locator("td")).to_have_text(["Ada Lovelace", "ada@example.com", "—", "15 Jan 2027"])
    assert Contact.objects.get().address["country"] == "GB"

    page.get_by_label("Search contacts").fill("nobody")  # htmx searches as you type
    page.wait_for_selector("text=Nothing matches “nobody”.")
    assert page.url == f"{live_server.url}/contacts/?q=nobody"


def test_create_a_deal_with_line_items(signed_in_page: Any, live_server: Any) -> None:
    product_create(
        actor=SYSTEM, name="Pro plan", unit_amount=4900, currency="USD", billing_frequency="monthly"
    )
    page = signed_in_page
    page.goto(f"{live_server.url}/deals/new/")
    page.get_by_label("Deal name").fill("Acme annual")
    page.get_by_label("Stage").select_option(label="Contract sent")
    page.locator("#id_items-0-product_id").select_option(label="Pro plan · $49.00 monthly")
    page.locator("#id_items-0-quantity").fill("2")

    page.get_by_role("button", name="+ Add line item").click()  # htmx appends a row
    page.locator("#id_items-1-name").fill("Onboarding")
    expect(page.locator("#id_items-TOTAL_FORMS")).to_have_value("2")
    expect(page.locator("#id_items-1-number_of_payments")).to_be_hidden()  # only with fixed terms
    page.locator("#id_items-1-billing_frequency").select_option("monthly")
    page.locator("#id_items-1-billing_terms").select_option(label="Fixed number of payments")
    page.locator("#id_items-1-number_of_payments").fill("3")
    page.locator("#id_items-1-unit_price").fill("150")
    page.get_by_role("button", name="Create deal").click()

    page.wait_for_selector("text=Deal created.")
    assert page.locator("h1").inner_text() == "Acme annual"
    lines = page.locator("table.table-lines tbody tr")
    assert lines.count() == 2
    assert lines.nth(0).locator("td").last.inner_text() == "$98.00"
    assert lines.nth(1).locator("td").nth(1).inner_text() == "Monthly\n3 payments"
    deal = Deal.objects.get()
    assert (deal.stage, deal.amount, deal.line_items.count()) == ("contract_sent", 24800, 2)


def test_every_input_has_a_label_and_the_keyboard_gets_in(signed_in_page: Any, live_server: Any) -> None:
    page = signed_in_page
    for path in (
        "/contacts/",
        "/contacts/new/",
        "/companies/new/",
        "/deals/",
        "/deals/new/",
        "/products/",
        "/products/new/",
        "/settings/api-keys/new/",
        "/settings/users/",
        "/settings/users/new/",
    ):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate(UNLABELLED) == [], path
        assert page.locator("h1").count() == 1, path
        assert page.locator("main#main").count() == 1, path
    page.goto(f"{live_server.url}/contacts/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.goto(f"{live_server.url}/login/")  # signed in: back to the app
    assert page.url == f"{live_server.url}/contacts/"
