"""The buyer saves a new card on the payment-method update page in Debian's Chromium, with a click.

The page's answers carry ``Referrer-Policy``: with ``no-referrer`` Chromium posts the form with
``Origin: null`` and Django's CSRF check refuses it (403 "The form could not be checked"), which a
test client, sending no Origin, never showed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from recurra.accounts.services import account_settings_update
from recurra.core import clock
from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment, PaymentMethod
from tests.conftest import SYSTEM, T0
from tests.services.test_update_links import emailed_token, past_due_subscription
from tests.web.chromium import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_buyer_saves_a_card_through_the_emailed_link_and_pays(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    clock.freeze(T0)
    account_settings_update(actor=SYSTEM, at=T0, business_name="Fjordline Software AS")
    sub = past_due_subscription(allowed=("card",))
    invoice = Invoice.objects.get(subscription=sub)
    assert (sub.status, invoice.status, invoice.amount_due) == ("past_due", "open", 4000)

    page.goto(f"{live_server.url}/update-payment-method/{emailed_token(sub)}/")
    assert page.get_by_test_id("owed-total").inner_text() == "$40.00"
    page.get_by_role("combobox", name="New payment method").select_option("tok_visa")
    shoot(page, "update-payment-method.png", tmp_path)
    page.get_by_role("button", name="Save and pay $40.00").click()

    outcome = page.get_by_role("region", name="Your payment method is saved")
    assert outcome.locator("p").inner_text() == f"Paid $40.00 for invoice {invoice.number}. Thank you."
    assert page.get_by_test_id("owed-total").inner_text() == "$0.00"
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.amount_due) == ("paid", 4000, 0)
    sub.refresh_from_db()
    assert sub.status == "active"
    method = PaymentMethod.objects.get(pk=sub.payment_method_id)
    assert (method.brand, method.last4) == ("visa", "4242")
    paid = Payment.objects.get(invoice=invoice, origin="update_link")
    assert (paid.status, paid.amount, paid.payment_method_id) == ("succeeded", 4000, method.pk)
