"""A subscription's side panel opened from a contact's Subscriptions card ("Preview") in Debian's Chromium,
used as a seller would: open it, pause from its Actions menu, come back to the contact with the panel
open again, close the panel with Escape and with its ✕ (focus back on "Preview"), follow "Edit…".

Ingrid Hansen (Fjordline) has "Pro monthly" (active, $98.00 on 15 Feb 2027) and "Pro yearly". The panel's
screenshot is ``record-panel.png`` (``tests.web.chromium.shoot``). Clock: 2027-01-15 09:30 UTC.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from recurra.subscriptions.models import Subscription
from tests.web.chromium import shoot
from tests.web.test_record_cards_browser import fjordline_ingrid
from tests.web.test_subscription_pages import make_subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_seller_previews_a_subscription_from_a_contact_and_pauses_it(
    signed_in_page: Any, live_server: Any, tmp_path: Path
) -> None:
    page = signed_in_page
    ingrid = fjordline_ingrid()
    monthly = make_subscription(ingrid, name="Pro monthly")
    yearly = make_subscription(
        ingrid, name="Pro yearly", billing_frequency="annually", next_payment_amount=98000
    )
    contact_url = f"{live_server.url}/contacts/{ingrid.pk}/"

    page.goto(contact_url)
    card = page.locator("aside.record-sidebar section.sub-card")
    panel = page.get_by_test_id("panel")
    expect(panel).to_have_count(0)
    preview = card.get_by_role("link", name="Preview Pro monthly")
    assert preview.get_attribute("href") == f"/subscriptions/{monthly.pk}/"  # without script: its page
    preview.click()

    expect(panel).to_be_visible()
    expect(panel).to_be_focused()
    expect(panel.locator("h2")).to_have_text("Pro monthly")
    expect(panel).to_contain_text("Next payment15 Feb 2027 · $98.00")
    assert page.url == contact_url  # the record stays where it was
    box = panel.bounding_box()
    assert (round(box["x"] + box["width"]), round(box["y"])) == (1280, 0)  # over the page's right side
    shoot(page, "record-panel.png", tmp_path, full_page=False)

    panel.get_by_test_id("actions-menu").click()
    edit = panel.get_by_role("link", name="Edit…")
    assert edit.get_attribute("href") == f"/subscriptions/{monthly.pk}/edit/"
    page.keyboard.press("Escape")  # the open menu closes first; the panel stays
    expect(panel.get_by_role("link", name="Pause…")).to_be_hidden()
    expect(panel).to_be_visible()
    panel.get_by_test_id("actions-menu").click()
    panel.get_by_role("link", name="Pause…").click()
    dialog = page.get_by_test_id("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Reason").fill("Winter break")
    dialog.get_by_role("button", name="Pause subscription").click()

    page.wait_for_url(f"{contact_url}?preview={monthly.pk}")
    expect(page.locator(".message-success")).to_have_text(
        "Subscription “Pro monthly” for Fjordline paused: "
        "nothing is invoiced, charged or reminded until it resumes."
    )
    expect(panel).to_be_visible()  # open again where the seller acted
    expect(panel.locator(".panel-head .badge")).to_have_text("Paused")
    expect(card.locator("li", has_text="Pro monthly").locator(".badge")).to_have_text("Paused")
    paused = Subscription.objects.get(pk=monthly.pk)
    assert (paused.status, paused.pause_reason) == ("paused", "Winter break")

    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    expect(preview).to_be_focused()  # focus back on the Preview that opened it
    assert page.url == contact_url  # ?preview= is gone: a reload does not open it again

    card.get_by_role("link", name="Preview Pro yearly").click()
    expect(panel.locator("h2")).to_have_text("Pro yearly")
    panel.get_by_role("button", name="Close the preview").click()
    expect(panel).to_have_count(0)
    expect(card.get_by_role("link", name="Preview Pro yearly")).to_be_focused()

    card.get_by_role("link", name="Preview Pro yearly").click()
    panel.get_by_test_id("actions-menu").click()
    panel.get_by_role("link", name="Edit…").click()  # (a paused subscription has no "Edit…")
    page.wait_for_url(f"{live_server.url}/subscriptions/{yearly.pk}/edit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit subscription")
