"""Money paths when the payment processor does not answer: each ends settled exactly once.

Driven by the sandbox's fault tokens through the product's own API and the worker
(the gateway's own rows are compared with the payments and refunds):

    2027-01-01  Team plan 31.00/month; its first charge is answered (the worker settles a lost one)
    2027-01-11  cancel now, prorated (21 of 31 days: 21.00)
                - tok_lost_reply: the refund is made, its answer lost → "on its way"; the worker
                  asks again with the same key and records the one refund
                - tok_gateway_error: a server error, nothing made → "on its way"; the worker makes it
    2027-01-11  upgrade to 62.00, prorated (21.00) with tok_timeout: the charge times out before
                reaching the gateway → pending; the reconciler charges it once by its key
"""

from __future__ import annotations

from datetime import date

import pytest

from recurra.core import clock
from recurra.payments.gateways.models import SandboxCharge, SandboxRefund
from recurra.payments.models import Payment, Refund
from recurra.worker.steps import run_due_work
from tests.scenarios.conftest import freeze_at, item

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def leases_end_at_once(settings):
    """A payment nobody answered is the reconciler's at the next pass (not 2 minutes later)."""
    settings.RECURRA_LEASE_SECONDS = 0


def _subscribed(scenario, token):
    freeze_at(2027, 1, 1, 9, 30)
    contact = scenario.contact("faye@example.com", "Faye", "Fault")
    sub = scenario.subscribe(contact, item(name="Team plan", amount=3100), token=token)
    scenario.advance(date(2027, 1, 11))
    (payment,) = Payment.objects.all()
    assert (payment.status, SandboxCharge.objects.count()) == ("succeeded", 1)
    return sub, payment


@pytest.mark.parametrize("token", ["tok_lost_reply", "tok_gateway_error"])
def test_a_cancellations_refund_without_an_answer_is_on_its_way_then_made_once(scenario, api, token):
    sub, payment = _subscribed(scenario, token)

    response = api.post(
        f"/subscriptions/{sub.pk}/cancel", {"confirm": True, "when": "now", "refund": "prorated"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "canceled"
    assert body["refunds"] == [{"payment_id": payment.pk, "amount": 2100, "status": "pending", "error": None}]
    (refund,) = Refund.objects.all()
    assert refund.status == "pending"
    assert SandboxRefund.objects.count() == (1 if token == "tok_lost_reply" else 0)

    run_due_work(at=clock.now())  # the worker's follow-up job, same key

    refund.refresh_from_db()
    payment.refresh_from_db()
    (made,) = SandboxRefund.objects.all()
    assert (refund.status, refund.gateway_refund_id, made.amount) == ("succeeded", made.pk, 2100)
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", 2100)
    assert scenario.fresh(sub).total_collected == 3100 - 2100
    run_due_work(at=clock.now())
    assert SandboxRefund.objects.count() == Refund.objects.count() == 1


def test_an_upgrades_charge_that_times_out_is_charged_once_by_the_reconciler(scenario, api):
    sub, renewal = _subscribed(scenario, "tok_timeout")

    response = api.patch(
        f"/subscriptions/{sub.pk}",
        {"line_items": [{"name": "Team plan", "unit_amount": 6200}], "proration": "prorate"},
    )

    assert response.status_code == 200, response.content
    upgrade = Payment.objects.exclude(pk=renewal.pk).get()
    assert (upgrade.origin, upgrade.amount, upgrade.status) == ("proration", 2100, "pending")
    assert not SandboxCharge.objects.filter(idempotency_key=upgrade.idempotency_key).exists()

    run_due_work(at=clock.now())  # the reconciler: nothing at the gateway under the key → charge it

    upgrade.refresh_from_db()
    (charge,) = SandboxCharge.objects.filter(idempotency_key=upgrade.idempotency_key)
    assert (upgrade.status, upgrade.gateway_charge_id, charge.amount) == ("succeeded", charge.pk, 2100)
    assert upgrade.invoice.status == "paid"
    assert scenario.fresh(sub).total_collected == 3100 + 2100
    run_due_work(at=clock.now())
    assert SandboxCharge.objects.count() == Payment.objects.count() == 2
