"""The deal page in Debian's Chromium at desktop widths: its tables fit their column (no sideways
scrolling) with the demo's biggest deal (three items, a discount, a tax, 1,500.00 once), a draft quote
and a published one whose row has a link and two buttons.

The clock is frozen at 2027-01-15 09:30 UTC.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from recurra.catalog.line_items import LineItemInput
from recurra.commerce.quotes import quote_create, quote_publish
from recurra.core import clock
from recurra.crm.services import deal_create
from tests.conftest import SYSTEM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERFLOWS = """() => [document.documentElement, ...document.querySelectorAll('.table-wrap')]
    .filter(e => e.scrollWidth > e.clientWidth)
    .map(e => `${e.className || e.tagName} ${e.scrollWidth} > ${e.clientWidth}`)"""


@pytest.mark.parametrize("width", [1400, 1280])
def test_the_deal_page_tables_fit_without_sideways_scrolling(
    signed_in_page: Any, live_server: Any, records: Any, width: int
) -> None:
    deal = deal_create(
        actor=SYSTEM,
        name="Fjordline: Pro + 10 seats",
        currency="USD",
        contact_id=records.contact.pk,
        company_id=records.company.pk,
        line_items=[
            LineItemInput(product_id=records.product.pk),
            LineItemInput(
                name="Extra seat",
                unit_amount=900,
                currency="USD",
                quantity=10,
                discount_percent=Decimal(10),
                tax_rate_percent=Decimal(25),
                billing_frequency="monthly",
            ),
            LineItemInput(
                name="Onboarding workshop", unit_amount=150000, currency="USD", billing_frequency="one_time"
            ),
        ],
    )
    long_name = "Fjordline Pro, two seats, paid on acceptance"
    published = quote_create(
        deal=deal,
        name=long_name,
        expires_on=date(2027, 2, 15),
        payment_enabled=True,
        actor=SYSTEM,
        at=clock.now(),
    )
    quote_publish(quote=published, actor=SYSTEM, at=clock.now())
    quote_create(deal=deal, expires_on=date(2027, 2, 15), actor=SYSTEM, at=clock.now())
    page = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    expect(page.get_by_role("button", name="Convert quote to subscription")).to_have_count(2)
    expect(page.locator("#quotes tbody tr")).to_have_count(2)

    assert page.evaluate(OVERFLOWS) == []
    assert page.locator(".table-wrap").count() == 2  # the line items and the quotes
    actions = page.get_by_role("columnheader", name="Actions")
    assert actions.locator("span").bounding_box()["width"] <= 1  # named for screen readers only
