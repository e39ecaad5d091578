"""The subscription's Edit page in Debian's Chromium: the contact is found by typing (no list of every
contact), "Preview changes" brings the preview into view with the focus on it, and Confirm saves.

The clock is frozen at 2027-01-15 09:30 UTC; Ingrid's "Pro monthly" (2 × 49.00 a month) sends
invoices. 30 other contacts exist; typing "nora" finds Nora Berg alone. The screenshot is
``subscription-edit.png`` (the preview in view).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from recurra.crm.models import Contact
from recurra.subscriptions.models import Subscription
from tests.web.chromium import shoot
from tests.web.test_subscription_pages import make_subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sub(signed_in_page: Any, records: Any) -> Subscription:
    for n in range(30):
        Contact.objects.create(email=f"buyer{n:02}@example.com", first_name="Buyer", last_name=f"{n:02}")
    Contact.objects.create(email="nora@berg.example", first_name="Nora", last_name="Berg")
    return make_subscription(records.contact, collection_method="send_invoice", payment_terms="net_30")


def in_view(page: Any, selector: str) -> bool:
    """Whether the top of ``selector``'s box is inside the window."""
    box = page.locator(selector).bounding_box()
    height = page.evaluate("window.innerHeight")
    return box is not None and 0 <= box["y"] < height and box["height"] > 0


def test_find_the_new_contact_by_typing_preview_in_view_and_confirm(
    signed_in_page: Any, live_server: Any, sub: Subscription, tmp_path: Path
) -> None:
    page = signed_in_page
    page.goto(f"{live_server.url}/subscriptions/{sub.pk}/edit/")
    expect(page.locator("select[name=contact]")).to_have_count(0)  # no <select> of every contact
    expect(page.locator("input[name=contact]")).to_have_count(1)  # only the current one, picked
    expect(page.get_by_label("Ingrid Hansen · ingrid@fjordline.example")).to_be_checked()

    search = page.get_by_label("Search contacts by name or email")
    search.focus()
    page.keyboard.type("nora")
    nora = page.get_by_label("Nora Berg · nora@berg.example")
    expect(nora).to_be_visible()
    expect(page.locator("input[name=contact]")).to_have_count(2)  # Ingrid (picked) and the one match
    page.keyboard.press("Tab")  # from the search box (past its button) to the radio buttons
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # the keyboard picks Nora
    expect(nora).to_be_checked()
    page.get_by_label("Subscription name").fill("Pro monthly for Nora")

    page.get_by_role("button", name="Preview changes").click()
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    assert page.evaluate("window.scrollY") > 0  # the page moved down to it
    assert in_view(page, "#preview") and in_view(page, "#preview-heading")
    assert page.evaluate("document.activeElement.id") == "preview"
    changes = page.locator(".table-changes tbody tr").evaluate_all(
        "rows => rows.map(row => Array.from(row.cells, cell => cell.innerText))"
    )
    assert changes == [
        ["Name", "Pro monthly", "Pro monthly for Nora"],
        ["Contact", "Ingrid Hansen · ingrid@fjordline.example", "Nora Berg · nora@berg.example"],
    ]
    shoot(page, "subscription-edit.png", tmp_path, full_page=False)
    assert Subscription.objects.get(pk=sub.pk).contact_id == sub.contact_id  # a preview saves nothing

    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Subscription Pro monthly for Nora saved.")).to_be_visible()
    saved = Subscription.objects.get(pk=sub.pk)
    assert (saved.name, saved.contact.email) == ("Pro monthly for Nora", "nora@berg.example")
