"""The money pages in Debian's Chromium, with real clicks: an invoice whose discount adds up, a timeline in
people's words, and converting a published quote after its confirmation page.

Screenshots go under ``tmp_path``, and into ``docs/screenshots/`` with ``RECURRA_SCREENSHOTS`` set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from recurra.commerce.models import Quote
from recurra.commerce.quotes import quote_create
from recurra.core import clock
from recurra.invoicing.models import Invoice
from recurra.subscriptions.models import Subscription
from tests.conftest import SYSTEM
from tests.web.chromium import shoot
from tests.web.test_invoice_totals import invoice  # noqa: F401 (a fixture)
from tests.web.test_timeline import billed  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser


def test_an_invoice_with_a_discount_adds_up(
    signed_in_page: Any,
    live_server: Any,
    invoice: Invoice,  # noqa: F811
    tmp_path: Path,
) -> None:
    page = signed_in_page
    page.goto(f"{live_server.url}/invoices/")
    page.get_by_role("link", name="INV-1").click()
    expect(page.locator("h1")).to_have_text("Invoice INV-1")
    totals = [page.get_by_test_id(name).inner_text() for name in ("subtotal", "discount", "tax", "total")]
    assert totals == ["$157.97", "−$17.25", "$5.00", "$145.72"]
    shoot(page, "invoice-discount.png", tmp_path)


def test_a_subscription_timeline_reads_as_the_page_does(
    signed_in_page: Any,
    live_server: Any,
    billed: Subscription,  # noqa: F811
    tmp_path: Path,
) -> None:
    page = signed_in_page
    page.goto(f"{live_server.url}/subscriptions/{billed.pk}/")
    first = page.locator(".timeline > li").first
    expect(first.locator(".timeline-title")).to_have_text("Subscription updated")
    expect(first.locator(".change-lines li")).to_have_text(
        [
            "Removed: 2 × Pro plan, $49.00/month",
            "Added: 3 × Pro plan, $49.00/month, 10 % off",
            "Added: 1 × Support, $20.00/month",
        ]
    )
    page.get_by_role("link", name="Invoice INV-1").first.click()  # the entry's record, by its number
    expect(page.locator("h1")).to_have_text("Invoice INV-1")
    page.go_back()
    page.locator("#timeline").scroll_into_view_if_needed()
    shoot(page, "subscription-timeline.png", tmp_path)


def test_a_published_quote_is_converted_after_its_confirmation(
    signed_in_page: Any, live_server: Any, records: Any, tmp_path: Path
) -> None:
    page = signed_in_page
    draft = quote_create(deal=records.deal, actor=SYSTEM, at=clock.now())
    page.goto(f"{live_server.url}/deals/{records.deal.pk}/")
    expect(page.locator("#quotes")).to_contain_text("Publish")
    expect(page.get_by_role("link", name="Convert quote to subscription…")).to_have_count(0)  # a draft

    page.get_by_role("button", name="Publish").click()
    page.get_by_role("link", name="Convert quote to subscription…").click()
    expect(page.locator("h1")).to_have_text("Convert quote to subscription")
    expect(page.locator(".conversion-plan li")).to_have_text(
        ["A subscription billed monthly, from 15 Jan 2027: Pro plan"]
    )
    assert Quote.objects.get(pk=draft.pk).status == "published"  # nothing made yet
    page.get_by_label("Payment terms").select_option(label="Net 15")
    shoot(page, "quote-convert.png", tmp_path)
    page.get_by_role("button", name="Convert to subscription").click()

    sub = Subscription.objects.get(quote=draft)
    expect(page.get_by_text(f"Quote “{draft.name}” converted into subscription {sub.name}.")).to_be_visible()
    assert (Quote.objects.get(pk=draft.pk).status, sub.payment_terms) == ("converted", "net_15")
