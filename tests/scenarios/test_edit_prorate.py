"""Editing with proration over months: an upgrade billed at once, then the new price per period.

2027-01-01 09:30 UTC  subscribed, 30.00 a month (tok_visa); INV-1 paid for Jan 1 - Feb 1
Jan 11  upgraded to 60.00, prorate: 21 of January's 31 days left
        INV-2 (no period index): credit -20.32, charge 40.64 → 20.32 = 30.00 × 21/31, charged at once
Feb 1   INV-3 bills 60.00 for Feb 1 - Mar 1; Mar 1 INV-4 60.00
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from recurra.catalog.line_items import LineItemInput
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.core.models import Event
from recurra.subscriptions.editing import SubscriptionChanges, subscription_change
from tests.scenarios.conftest import freeze_at, item

pytestmark = pytest.mark.django_db(transaction=True)
STAFF = Actor("user", "7", "Eddie Editor")


def _subscribed(scenario, amount: int = 3000):
    freeze_at(2027, 1, 1, 9, 30)
    contact = scenario.contact("uma@example.com", "Uma", "Upgrade")
    sub = scenario.subscribe(contact, item(name="Team plan", amount=amount))
    scenario.advance(datetime(2027, 1, 1, 9, 30, tzinfo=UTC))  # period 0 billed and paid
    return sub


def _change(sub, amount: int, *, preview: bool = False):
    return subscription_change(
        subscription=sub,
        changes=SubscriptionChanges(line_items=[LineItemInput(name="Team plan", unit_amount=amount)]),
        proration="prorate",
        actor=STAFF,
        at=clock.now(),
        preview=preview,
    )


def test_upgrade_on_jan_11_bills_the_difference_at_once_then_the_new_price(scenario):
    sub = _subscribed(scenario)
    scenario.advance(date(2027, 1, 11))

    preview = _change(sub, 6000, preview=True)
    assert preview.proration is not None and preview.proration.invoice is None
    assert [line.amount_total for line in preview.proration.lines] == [-2032, 4064]
    assert len(scenario.invoices(sub)) == 1  # the preview wrote nothing

    result = _change(sub, 6000)

    assert result.proration is not None and result.proration.lines == preview.proration.lines
    _, prorated = scenario.invoices(sub)
    assert (prorated.period_start, prorated.period_end, prorated.period_index) == (
        date(2027, 1, 11),
        date(2027, 2, 1),
        None,
    )
    assert [line.amount_total for line in prorated.lines.all()] == [-2032, 4064]
    assert (prorated.total, prorated.status, prorated.amount_due, prorated.number) == (
        2032,
        "paid",
        0,
        "INV-2",
    )
    _, charge = scenario.payments(sub)
    assert (charge.amount, charge.status, charge.origin, charge.invoice_id) == (
        2032,
        "succeeded",
        "proration",
        prorated.pk,
    )
    assert result.proration.payment_id == charge.pk
    after = scenario.fresh(sub)
    assert (after.next_payment_amount, after.mrr, after.payments_made, after.periods_billed) == (
        6000,
        6000,
        1,
        1,
    )
    assert after.total_collected == 3000 + 2032
    assert after.next_payment_date == date(2027, 2, 1)
    (changed,) = scenario.emails(kind="subscription_changed", sub=sub)
    assert (changed.to, changed.data["next_payment_amount"], changed.data["prorated_amount"]) == (
        "uma@example.com",
        6000,
        2032,
    )
    assert Event.objects.filter(object_id=sub.pk, type="subscription.updated", actor_id="7").count() == 1

    scenario.advance(date(2027, 3, 1))

    _, _, feb, mar = scenario.invoices(sub)
    assert [(i.period_start, i.total, i.status) for i in (feb, mar)] == [
        (date(2027, 2, 1), 6000, "paid"),
        (date(2027, 3, 1), 6000, "paid"),
    ]
    assert scenario.fresh(sub).payments_made == 3
    scenario.check_invariants()


def test_downgrade_makes_a_credit_that_is_not_charged(scenario):
    sub = _subscribed(scenario, amount=6000)
    scenario.advance(date(2027, 1, 11))

    result = _change(sub, 3000)

    assert result.proration is not None and result.proration.payment_id is None
    _, credit = scenario.invoices(sub)
    assert (credit.total, credit.amount_paid, credit.amount_due, credit.status) == (-2032, 0, -2032, "paid")
    assert len(scenario.payments(sub)) == 1  # nothing charged, nothing refunded
    scenario.advance(date(2027, 2, 1))
    assert scenario.invoices(sub)[-1].total == 3000
    scenario.check_invariants()
