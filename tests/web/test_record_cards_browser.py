"""The Subscriptions card of a contact's record in Debian's Chromium, used as a seller would: Add →
Associate existing (search, pick), the card shows it; hovering or focusing a name shows its preview.

Ingrid Hansen (Fjordline) has "Pro monthly"; Ola Nordmann has "Pro yearly" (annually, send invoice).
Associating it with Ingrid makes her its contact. The page's screenshot is ``record-card.png``
(``tests.web.chromium.shoot``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from recurra.crm.models import Contact
from recurra.crm.services import company_create, contact_create
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM
from tests.web.chromium import shoot
from tests.web.test_subscription_pages import make_subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_seller_associates_a_subscription_and_previews_it(
    signed_in_page: Any, live_server: Any, tmp_path: Path
) -> None:
    page = signed_in_page
    ingrid = fjordline_ingrid()
    ola = contact_create(actor=SYSTEM, email="ola@example.com", first_name="Ola", last_name="Nordmann")
    mine = make_subscription(ingrid, name="Pro monthly")
    theirs = make_subscription(
        ola,
        name="Pro yearly",
        billing_frequency="annually",
        next_payment_date=None,
        collection_method="send_invoice",
        payment_terms="net_30",
        line_items_mrr=8167,
        next_payment_amount=98000,
    )
    previews: list[str] = []
    page.on("request", lambda request: previews.append(request.url) if "/preview/" in request.url else None)

    page.goto(f"{live_server.url}/contacts/{ingrid.pk}/")
    card = page.locator("aside.record-sidebar section.sub-card")
    menu = card.locator("details.menu")
    menu.locator("summary").focus()
    page.keyboard.press("Enter")  # the menu opens from the keyboard
    expect(card.get_by_role("link", name="Associate existing")).to_be_visible()
    assert card.get_by_role("link").all_inner_texts() == [
        "Create new subscription",
        "Associate existing",
        "Pro monthly",
        "Preview\nPro monthly",  # "Pro monthly" read out only: visually hidden
    ]
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")  # closes it, focus back on "Add"
    assert menu.get_attribute("open") is None
    expect(card.get_by_role("link", name="Associate existing")).to_be_hidden()
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    menu.locator("summary").click()
    card.get_by_role("link", name="Associate existing").click()

    page.wait_for_url(f"{live_server.url}/contacts/{ingrid.pk}/subscriptions/associate/")
    page.get_by_label("Search subscriptions").fill("Nordmann")
    page.get_by_role("button", name="Search").click()
    found = page.locator(".table-found tbody tr")
    expect(found).to_have_count(1)
    found.get_by_role("button", name="Associate").click()

    page.wait_for_url(f"{live_server.url}/contacts/{ingrid.pk}/")
    assert page.locator(".message-success").inner_text() == "Subscription associated with Ingrid Hansen."
    names = card.locator(".sub-link")
    assert names.all_inner_texts() == ["Pro yearly", "Pro monthly"]
    assert Subscription.objects.get(pk=theirs.pk).contact_id == ingrid.pk

    yearly = card.locator(".sub-link", has_text="Pro yearly")
    tooltip = page.locator(f"#preview-{theirs.pk}")
    yearly.hover()
    expect(tooltip).to_contain_text("Send invoice")  # loaded
    assert [line for line in tooltip.inner_text().split("\n") if line] == [
        "Pro yearly",
        "Active",
        "Contact",
        "Ingrid Hansen",
        "Company",
        "Fjordline",
        "Next payment",
        "—",
        "Frequency",
        "Annually",
        "MRR",
        "$81.67",
        "Start date",
        "15 Jan 2027",
        "Collection",
        "Send invoice",
    ]
    assert yearly.get_attribute("aria-describedby") == f"preview-{theirs.pk}"
    assert tooltip.get_attribute("role") == "tooltip"
    box, link = tooltip.bounding_box(), yearly.bounding_box()
    assert box["y"] >= link["y"] + link["height"]  # beside the name, not over it

    page.mouse.move(5, 5)
    expect(tooltip).to_be_hidden()
    yearly.hover()
    expect(tooltip).to_be_visible()
    page.keyboard.press("Escape")
    expect(tooltip).to_be_hidden()
    page.mouse.move(5, 5)

    monthly = card.locator(".sub-link", has_text="Pro monthly")
    monthly.hover()
    other = page.locator(f"#preview-{mine.pk}")
    expect(other).to_contain_text("Charge automatically")
    assert "Next payment\n15 Feb 2027 · $98.00" in other.inner_text()
    shoot(page, "record-card.png", tmp_path)  # the card's two rows, the lower one's preview
    page.mouse.move(5, 5)
    expect(other).to_be_hidden()
    monthly.focus()
    expect(other).to_be_visible()
    page.keyboard.press("Escape")
    expect(other).to_be_hidden()
    assert page.evaluate("document.activeElement.textContent") == "Pro monthly"  # focus stays on the name
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focus leaves and comes back: shown again
    expect(other).to_be_visible()
    page.keyboard.press("Tab")
    expect(other).to_be_hidden()
    assert previews == [
        f"{live_server.url}/subscriptions/{theirs.pk}/preview/",
        f"{live_server.url}/subscriptions/{mine.pk}/preview/",
    ]  # each loaded once, however often shown


def fjordline_ingrid() -> Contact:
    """Ingrid Hansen of Fjordline (fjordline.example), whose record pages the card tests open."""
    company = company_create(actor=SYSTEM, name="Fjordline", domain="fjordline.example")
    return contact_create(
        actor=SYSTEM,
        email="ingrid@fjordline.example",
        first_name="Ingrid",
        last_name="Hansen",
        company_id=company.pk,
    )
