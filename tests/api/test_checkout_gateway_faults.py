"""A checkout whose charge call gets no answer: the buyer still gets the outcome, charged once.

charge (key) ─ GatewayError ─► lookup (key) ─┬─ found (lost reply) ─► recorded as usual
                                             └─ none (timeout, 500) ─► charge (same key) ─► recorded
"""

from __future__ import annotations

import pytest

from recurra.commerce.models import Purchase
from recurra.payments.gateways.models import SandboxCharge, SandboxFault
from recurra.payments.models import Payment
from recurra.subscriptions.models import Subscription
from tests.api.support import ok
from tests.api.test_payment_links_api import BUYER, MONTHLY, new_link

pytestmark = pytest.mark.usefixtures("frozen_clock")  # 2027-01-15


@pytest.mark.parametrize(
    ("token", "faults"), [("tok_lost_reply", 0), ("tok_timeout", 1), ("tok_gateway_error", 1)]
)
def test_a_checkout_without_an_answer_is_settled_at_once_with_one_charge(api, token, faults):
    link = new_link(api, MONTHLY)

    body = ok(
        api.post(f"/payment-links/{link['id']}/checkout", {**BUYER, "payment_method": {"token": token}}), 201
    )

    charge = SandboxCharge.objects.get()  # exactly one charge
    payment = Payment.objects.get()
    assert (body["payment"]["id"], body["payment"]["status"], body["payment"]["amount"]) == (
        payment.pk,
        "succeeded",
        1000,
    )
    assert (payment.status, payment.gateway_charge_id, charge.amount) == ("succeeded", charge.pk, 1000)
    purchase = Purchase.objects.get()
    assert (purchase.status, charge.idempotency_key) == ("completed", purchase.idempotency_key)
    assert list(Subscription.objects.values_list("status", "payments_made")) == [("active", 1)]
    assert SandboxFault.objects.count() == faults  # the timeout and the 500 did happen, once
