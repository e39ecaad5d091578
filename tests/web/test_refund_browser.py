"""Refunding in Debian's Chromium, with real clicks: the amount starts empty, the refund is confirmed
("Refund $12.00 to Visa •••• 4242?") before anything is sent, and "Cancel" sends nothing.

The payment: $40.00 by Visa •••• 4242, made by the real billing run at T0 (tests/services/test_refunds.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from recurra.payments.gateways.models import SandboxRefund
from recurra.payments.models import Payment, Refund
from tests.services.test_refunds import paid_payment
from tests.web.chromium import shoot

pytestmark = pytest.mark.browser


def refunded(payment: Payment) -> tuple[str, int, int]:
    row = Payment.objects.get(pk=payment.pk)
    return row.status, row.amount_refunded, SandboxRefund.objects.count()


def test_a_refund_is_confirmed_before_anything_is_sent(
    signed_in_page: Any, live_server: Any, tmp_path: Path
) -> None:
    page = signed_in_page
    payment = paid_payment()
    page.goto(f"{live_server.url}/payments/{payment.pk}/")
    amount = page.get_by_label("Amount to refund")
    expect(amount).to_have_value("")
    expect(page.get_by_text("At most $40.00.")).to_be_visible()

    amount.fill("12.00")
    page.get_by_role("button", name="Refund…", exact=True).click()

    expect(page.locator("h1")).to_have_text("Refund $12.00 to Visa •••• 4242?")
    expect(page.get_by_test_id("refund-amount")).to_have_text("$12.00 of the $40.00 left")
    assert refunded(payment) == ("succeeded", 0, 0) and not Refund.objects.exists()
    shoot(page, "refund-confirm.png", tmp_path)
    page.get_by_role("button", name="Refund $12.00").click()

    expect(page.get_by_text("Refunded $12.00 to Visa •••• 4242.")).to_be_visible()
    assert refunded(payment) == ("partially_refunded", 1200, 1)
    expect(page.get_by_label("Amount to refund")).to_have_value("")
    expect(page.get_by_text("At most $28.00.")).to_be_visible()

    page.get_by_role("button", name="Refund the full $28.00…").click()
    expect(page.locator("h1")).to_have_text("Refund $28.00 to Visa •••• 4242?")
    page.get_by_role("link", name="Cancel").click()  # nothing is sent
    expect(page.get_by_role("button", name="Refund the full $28.00…")).to_be_visible()
    assert refunded(payment) == ("partially_refunded", 1200, 1)

    page.get_by_role("button", name="Refund the full $28.00…").click()
    page.get_by_role("button", name="Refund $28.00").click()
    expect(page.get_by_text("Refunded $28.00 to Visa •••• 4242.")).to_be_visible()
    assert refunded(payment) == ("refunded", 4000, 2)
    expect(page.get_by_label("Amount to refund")).to_have_count(0)  # nothing left to refund
    shoot(page, "payment-refunded.png", tmp_path)
