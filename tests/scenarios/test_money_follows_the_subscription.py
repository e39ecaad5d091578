"""Money follows the subscription: purchases, upgrades and charges on their way, read from invoice lines.

2027-01-15  checkout: Support 10.00/month + Licence 120.00/year + Setup 5.00 → one invoice, one payment
            of 135.00; its lines name Support's and Licence's subscriptions (Setup: none)
2027-04-15  cancel Licence now, prorated: 275 of its 365 days unused → 90.41 back; Support bills on

2027-01-01  Team plan 31.00/month; Jan 11 upgrade to 62.00, prorated (21 days: −21.00 + 42.00 = 21.00)
2027-01-21  cancel now, prorated: 11 days of each → 11.00 + 11.00 = 22.00 (= 62.00 × 11 / 31)

2027-01-01  Team plan 31.00/month by bank debit (processing 4 days); Jan 2 cancel now, prorated
2027-01-05  the debit succeeds (09:30) → the refund its cancellation chose: 30 of 31 days = 30.00
"""

from __future__ import annotations

from datetime import date

import pytest

from recurra.catalog.line_items import LineItemInput
from recurra.commerce.checkout import Buyer, checkout
from recurra.commerce.payment_links import payment_link_create
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.invoicing import selectors
from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment, Refund
from recurra.subscriptions.canceling import cancel_preview, subscription_cancel
from recurra.subscriptions.editing import SubscriptionChanges, subscription_change
from recurra.subscriptions.pausing import subscription_pause
from tests.scenarios.conftest import SYSTEM, freeze_at, item

pytestmark = pytest.mark.django_db(transaction=True)
BUYER = Buyer(email="mia@example.com", first_name="Mia", last_name="Hansen")
STAFF = Actor.system()


def _buy(*items, token="tok_visa"):
    link = payment_link_create(name="Bundle", line_items=list(items), actor=SYSTEM, at=clock.now())
    return checkout(source=link, buyer=BUYER, token=token, attempt=None, at=clock.now())


def _cancel(sub, refund="prorated"):
    return subscription_cancel(
        subscription=sub, confirm=True, when="now", refund=refund, actor=STAFF, at=clock.now()
    )


def test_each_subscription_of_a_purchase_owns_its_share_and_only_the_annual_one_is_refunded(scenario):
    freeze_at(2027, 1, 15, 12, 0)
    done = _buy(
        item(name="Support", amount=1000, frequency="monthly"),
        item(name="Licence", amount=12000, frequency="annually"),
        item(name="Setup", amount=500, frequency="one_time"),
    )
    annual, monthly = sorted(done.subscriptions, key=lambda s: s.billing_frequency)
    (payment,) = Payment.objects.all()

    invoice = Invoice.objects.get()
    owners = [
        (line.name, line.subscription_id, line.period_start, line.period_end) for line in invoice.lines.all()
    ]
    assert owners == [
        ("Setup", None, None, None),
        ("Support", monthly.pk, date(2027, 1, 15), date(2027, 2, 15)),
        ("Licence", annual.pk, date(2027, 1, 15), date(2028, 1, 15)),
    ]
    assert (invoice.subscription_id, payment.subscription_id) == (None, None)  # two subscriptions' purchase
    assert invoice.subscription_ids == sorted([annual.pk, monthly.pk])
    for sub in (annual, monthly):
        assert list(selectors.invoice_list(subscription_id=sub.pk)) == [invoice]
        assert list(selectors.payment_list(subscription_id=sub.pk)) == [payment]
    assert (scenario.fresh(annual).total_collected, scenario.fresh(monthly).total_collected) == (12000, 1000)

    scenario.advance(date(2027, 4, 15))
    preview = cancel_preview(subscription=annual, at=clock.now())
    assert (preview.refund, preview.days_left, preview.period_days) == (9041, 275, 365)

    result = _cancel(annual)

    assert result.refunds == [(payment.pk, 9041)]  # 12000 × 275 / 365 = 9041.09
    assert result.refund_errors == result.refunds_on_their_way == []
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert (payment.amount_refunded, payment.status) == (9041, "partially_refunded")
    assert (invoice.status, invoice.amount_paid, invoice.amount_refunded) == ("paid", 13500, 9041)
    (refund,) = Refund.objects.all()
    assert (refund.subscription_id, refund.idempotency_key) == (annual.pk, f"cancel/{annual.pk}/{payment.pk}")
    annual, monthly = scenario.fresh(annual), scenario.fresh(monthly)
    assert (annual.status, annual.total_collected, annual.mrr, annual.line_items_mrr) == (
        "canceled",
        12000 - 9041,
        0,
        1000,
    )
    assert (monthly.status, monthly.total_collected, monthly.mrr) == ("active", 1000 + 3 * 1000, 1000)
    scenario.advance(date(2027, 5, 15))
    assert scenario.fresh(monthly).payments_made == 5
    scenario.check_invariants()


def test_a_single_subscriptions_purchase_is_its_own_and_refunds_in_full_on_the_day_it_was_paid(scenario):
    freeze_at(2027, 3, 1, 10, 0)
    (sub,) = _buy(item(name="Course", amount=4900)).subscriptions
    (payment,) = Payment.objects.all()
    invoice = Invoice.objects.get()
    assert (invoice.subscription_id, payment.subscription_id, invoice.subscription_ids) == (
        sub.pk,
        sub.pk,
        [sub.pk],
    )
    assert scenario.fresh(sub).total_collected == 4900

    result = _cancel(sub)

    assert result.refunds == [(payment.pk, 4900)]  # 31 of March's 31 days unused
    sub = scenario.fresh(sub)
    assert (sub.total_collected, sub.mrr, sub.cancel_refund) == (0, 0, "prorated")
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.amount_refunded) == (4900, 4900)
    scenario.check_invariants()


def test_an_upgrades_prorated_charge_is_refunded_with_the_period_it_paid_for(scenario):
    freeze_at(2027, 1, 1, 9, 30)
    contact = scenario.contact("carla@example.com", "Carla", "Cancel")
    sub = scenario.subscribe(contact, item(name="Team plan", amount=3100))
    scenario.advance(date(2027, 1, 11))
    change = subscription_change(
        subscription=sub,
        changes=SubscriptionChanges(line_items=[LineItemInput(name="Team plan", unit_amount=6200)]),
        proration="prorate",
        actor=STAFF,
        at=clock.now(),
    )
    assert change.proration is not None and change.proration.total == 2100
    renewal, upgrade = Payment.objects.order_by("created_at", "pk")
    assert (renewal.amount, upgrade.amount, upgrade.origin, upgrade.status) == (
        3100,
        2100,
        "proration",
        "succeeded",
    )
    assert [line.subscription_id for line in upgrade.invoice.lines.all()] == [sub.pk, sub.pk]
    scenario.advance(date(2027, 1, 21))

    assert cancel_preview(subscription=sub, at=clock.now()).refund == 2200
    result = _cancel(sub)

    assert sorted(result.refunds) == sorted([(renewal.pk, 1100), (upgrade.pk, 1100)])  # 6200 × 11 / 31
    assert scenario.fresh(sub).total_collected == 3100 + 2100 - 2200
    scenario.check_invariants()


def test_a_charge_on_its_way_at_cancellation_is_refunded_by_the_cancellations_choice_once_it_succeeds(
    scenario,
):
    freeze_at(2027, 1, 1, 9, 30)
    contact = scenario.contact("dora@example.com", "Dora", "Debit")
    sub = scenario.subscribe(contact, item(name="Team plan", amount=3100), token="tok_ach")
    scenario.advance(date(2027, 1, 2))
    (debit,) = Payment.objects.all()
    assert debit.status == "processing"

    result = _cancel(sub)

    assert (result.refunds, result.unsettled_payments) == ([], [debit.pk])
    assert Refund.objects.count() == 0
    scenario.advance(date(2027, 1, 6))  # settled 4 days after it was made (Jan 5, 09:30): the refund follows

    debit.refresh_from_db()
    (refund,) = Refund.objects.all()
    assert (debit.status, debit.amount_refunded, refund.amount, refund.status) == (
        "partially_refunded",
        3000,  # 30 of January's 31 days were left on the day it was cancelled
        3000,
        "succeeded",
    )
    sub = scenario.fresh(sub)
    assert (sub.status, sub.total_collected, sub.payments_made) == ("canceled", 100, 1)
    scenario.advance(date(2027, 3, 1))
    assert Refund.objects.count() == 1  # once
    scenario.check_invariants()


def test_a_charge_on_its_way_at_a_cancellation_without_refund_is_kept(scenario):
    freeze_at(2027, 1, 1, 9, 30)
    contact = scenario.contact("dora@example.com", "Dora", "Debit")
    sub = scenario.subscribe(contact, item(name="Team plan", amount=3100), token="tok_ach")
    scenario.advance(date(2027, 1, 2))

    _cancel(sub, refund="none")
    scenario.advance(date(2027, 1, 6))

    assert (Payment.objects.get().status, Refund.objects.count()) == ("succeeded", 0)
    assert scenario.fresh(sub).total_collected == 3100


def test_mrr_counts_only_while_a_subscription_recurs(scenario):
    freeze_at(2027, 1, 1, 9, 30)
    contact = scenario.contact("mona@example.com", "Mona", "Monthly")
    later = scenario.subscribe(contact, item(name="Later", amount=2000), name="Later")
    now = scenario.subscribe(contact, item(name="Now", amount=3000), name="Now")
    scenario.advance(date(2027, 1, 2))
    assert (scenario.fresh(later).mrr, scenario.fresh(now).mrr) == (2000, 3000)

    subscription_pause(subscription=later, reason=None, resume_on=None, actor=STAFF, at=clock.now())
    _cancel(now, refund="none")

    later, now = scenario.fresh(later), scenario.fresh(now)
    assert (later.status, later.mrr, later.line_items_mrr) == ("paused", 0, 2000)
    assert (now.status, now.mrr, now.line_items_mrr) == ("canceled", 0, 3000)
