"""The money screens of a purchase that started two subscriptions, after one was cancelled with a refund.

2027-01-15  checkout: Support 10.00/month + Licence 120.00/year → INV-1 of 130.00, one payment
            Licence cancelled now, prorated: every day unused → 120.00 back
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import expect

from recurra.commerce.checkout import Buyer, checkout
from recurra.commerce.payment_links import payment_link_create
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment
from recurra.subscriptions.canceling import subscription_cancel
from tests.scenarios.conftest import item
from tests.web.chromium import shoot

SYSTEM = Actor.system()


def _buy() -> list[Any]:
    """Support 10.00 a month and Licence 120.00 a year, bought now in one checkout: (annual, monthly)."""
    link = payment_link_create(
        name="Bundle",
        line_items=[
            item(name="Support", amount=1000, frequency="monthly"),
            item(name="Licence", amount=12000, frequency="annually"),
        ],
        actor=SYSTEM,
        at=clock.now(),
    )
    done = checkout(
        source=link, buyer=Buyer(email="mia@example.com"), token="tok_visa", attempt=None, at=clock.now()
    )
    return sorted(done.subscriptions, key=lambda s: s.billing_frequency)


@pytest.fixture
def bought(frozen_clock: Any) -> dict[str, Any]:
    annual, monthly = _buy()
    subscription_cancel(
        subscription=annual, confirm=True, when="now", refund="prorated", actor=SYSTEM, at=clock.now()
    )
    return {
        "annual": annual,
        "monthly": monthly,
        "invoice": Invoice.objects.get(),
        "payment": Payment.objects.get(),
    }


def text(response: Any) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_each_subscription_page_shows_the_purchase_invoice_and_payment(viewer: Client, bought: Any) -> None:
    for sub in (bought["annual"], bought["monthly"]):
        page = viewer.get(f"/subscriptions/{sub.pk}/").content.decode()
        assert f'href="/invoices/{bought["invoice"].pk}/"' in page
        assert f'href="/payments/{bought["payment"].pk}/"' in page
        assert "No invoices yet" not in page and "No payments yet" not in page
    annual = text(viewer.get(f"/subscriptions/{bought['annual'].pk}/"))
    assert "Total collected $0.00" in annual  # 120.00 paid, 120.00 refunded


def test_the_invoice_names_both_subscriptions_and_says_what_was_refunded(viewer: Client, bought: Any) -> None:
    invoice = bought["invoice"]
    page = viewer.get(f"/invoices/{invoice.pk}/").content.decode()

    for sub in (bought["annual"], bought["monthly"]):
        assert f'href="/subscriptions/{sub.pk}/"' in page
    words = text(viewer.get(f"/invoices/{invoice.pk}/"))
    assert "Paid Partly refunded" in words
    assert "Amount paid $130.00" in words
    assert "Amount due $0.00 Refunded since (of the amount paid) $120.00" in words
    assert "Subscriptions " in words


def test_the_payment_names_both_subscriptions(viewer: Client, bought: Any) -> None:
    page = viewer.get(f"/payments/{bought['payment'].pk}/").content.decode()
    for sub in (bought["annual"], bought["monthly"]):
        assert f'href="/subscriptions/{sub.pk}/"' in page
    assert "Refunded $120.00" in text(viewer.get(f"/payments/{bought['payment'].pk}/"))


@pytest.mark.browser
def test_in_the_browser_a_seller_cancels_one_subscription_of_a_purchase_with_its_share_refunded(
    signed_in_page: Any, live_server: Any, tmp_path: Path
) -> None:
    """Bought on 15 Jan (T0); on 15 Apr the seller cancels Licence: 275 of 365 days → 90.41 of its 120.00."""
    page = signed_in_page
    annual, _monthly = _buy()
    clock.freeze(datetime(2027, 4, 15, 9, 30, tzinfo=UTC))

    page.goto(f"{live_server.url}/subscriptions/{annual.pk}/")
    expect(page.locator("#invoices")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^INV-"))).to_have_count(1)
    page.get_by_test_id("actions-menu").click()
    page.get_by_role("link", name="Cancel…").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_test_id("refund-amount")).to_have_text("$90.41")
    dialog.get_by_label("Now").check()
    dialog.get_by_label("Prorated refund of the unused days").check()
    dialog.get_by_label("I understand the customer will not be charged again").check()
    shoot(page, "cancel-purchase-share.png", tmp_path, full_page=False)
    dialog.get_by_role("button", name="Cancel subscription").click()

    expect(page.get_by_text("Refunded $90.41 to Visa •••• 4242 (payment of 15 Jan 2027).")).to_be_visible()
    page.goto(f"{live_server.url}/invoices/{Invoice.objects.get().pk}/")
    expect(page.locator(".subheading")).to_contain_text("Partly refunded")
    expect(page.get_by_text("Refunded since (of the amount paid)")).to_be_visible()
    shoot(page, "invoice-refunded.png", tmp_path)
    assert Payment.objects.get().amount_refunded == 9041
