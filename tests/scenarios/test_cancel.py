"""Cancelling: now with a prorated refund, at the period's end (and undoing that), and what is refused.

2027-01-01 09:30 UTC  subscribed, 31.00 a month (tok_visa), INV-1 paid for Jan 1 - Feb 1
Jan 11  cancel now, prorated: 21 of January's 31 days unused → 21.00 refunded; canceled
        … Apr 1: nothing more is invoiced, charged or reminded
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from recurra.core import clock
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.models import Event
from recurra.subscriptions.canceling import subscription_cancel, subscription_cancel_undo
from tests.scenarios.conftest import freeze_at, item

pytestmark = pytest.mark.django_db(transaction=True)
STAFF = Actor.system()


def _subscribed(scenario, token: str = "tok_visa"):
    freeze_at(2027, 1, 1, 9, 30)
    contact = scenario.contact("carla@example.com", "Carla", "Cancel")
    sub = scenario.subscribe(contact, item(name="Team plan", amount=3100), token=token)
    scenario.advance(datetime(2027, 1, 1, 9, 30, tzinfo=UTC))  # period 0 billed and paid
    return sub


def _cancel(sub, **kwargs):
    values = {"confirm": True, "when": "now", "refund": "none"} | kwargs
    return subscription_cancel(subscription=sub, actor=STAFF, at=clock.now(), **values)


def test_cancel_now_refunds_the_unused_days_and_ends_billing(scenario):
    sub = _subscribed(scenario)
    scenario.advance(date(2027, 1, 11))

    result = _cancel(sub, refund="prorated")

    (payment,) = scenario.payments(sub)
    assert result.refunds == [(payment.pk, 2100)]  # 3100 × 21 / 31
    assert result.refund_errors == [] and result.unsettled_payments == []
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("partially_refunded", 2100)
    ended = scenario.fresh(sub)
    assert (ended.status, ended.next_payment_date, ended.cancel_at_period_end) == ("canceled", None, False)
    assert ended.canceled_at == ended.ended_at == scenario.instant(date(2027, 1, 11))
    (email,) = scenario.emails(kind="cancellation", sub=sub)
    assert (email.to, email.data["canceled_on"], email.data["refund_amount"]) == (
        "carla@example.com",
        "2027-01-11",
        2100,
    )
    assert Event.objects.filter(object_id=sub.pk, type="subscription.canceled").count() == 1

    scenario.advance(date(2027, 4, 1))
    assert len(scenario.invoices(sub)) == 1 and len(scenario.payments(sub)) == 1
    assert scenario.emails(kind="payment_reminder", sub=sub) == []
    scenario.assert_rerun_is_noop()
    scenario.check_invariants()


def test_cancel_at_period_end_runs_to_the_next_payment_date_and_is_never_billed_again(scenario):
    sub = _subscribed(scenario)
    scenario.advance(date(2027, 1, 20))

    result = _cancel(sub, when="period_end", refund="prorated")

    assert result.refunds == []  # nothing of the period goes unused
    waiting = scenario.fresh(sub)
    assert (waiting.status, waiting.cancel_at_period_end, waiting.next_payment_date) == (
        "active",
        True,
        date(2027, 2, 1),
    )
    (email,) = scenario.emails(kind="cancellation", sub=sub)
    assert email.data["access_until"] == "2027-02-01"

    scenario.advance(date(2027, 2, 1))
    ended = scenario.fresh(sub)
    assert (ended.status, ended.next_payment_date) == ("canceled", None)
    assert ended.ended_at == scenario.instant(date(2027, 2, 1))
    assert len(scenario.invoices(sub)) == 1
    scenario.advance(date(2027, 3, 1))
    assert len(scenario.invoices(sub)) == 1
    scenario.assert_rerun_is_noop()


def test_a_cancellation_at_period_end_can_be_undone_until_then(scenario):
    sub = _subscribed(scenario)
    scenario.advance(date(2027, 1, 20))
    _cancel(sub, when="period_end")

    subscription_cancel_undo(subscription=sub, actor=STAFF)

    scenario.advance(date(2027, 2, 1))
    renewed = scenario.fresh(sub)
    assert (renewed.status, renewed.cancel_at_period_end, renewed.next_payment_date) == (
        "active",
        False,
        date(2027, 3, 1),
    )
    assert [i.total for i in scenario.invoices(sub)] == [3100, 3100]
    with pytest.raises(Conflict):
        subscription_cancel_undo(subscription=sub, actor=STAFF)  # nothing to undo now


def test_confirmation_is_required_and_cancelled_is_terminal(scenario):
    sub = _subscribed(scenario)
    with pytest.raises(ValidationFailed) as refused:
        _cancel(sub, confirm=False)
    assert refused.value.errors[0].field == "confirm"
    assert scenario.fresh(sub).status == "active"

    _cancel(sub)
    with pytest.raises(Conflict):
        _cancel(sub)
    with pytest.raises(Conflict):
        _cancel(sub, when="period_end")


def test_a_bank_debit_on_its_way_is_not_cancelled_and_is_refunded_by_the_choice_once_it_succeeds(scenario):
    sub = _subscribed(scenario, token="tok_ach")  # processing for 4 days
    (payment,) = scenario.payments(sub)
    assert payment.status == "processing"

    result = _cancel(sub, refund="prorated")

    assert result.unsettled_payments == [payment.pk]
    assert result.refunds == []  # the invoice is not paid yet: nothing to refund now
    scenario.advance(date(2027, 1, 6))  # settled on Jan 5, 09:30: then refunded as the cancellation chose
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == ("refunded", 3100)  # cancelled on its first day
    assert scenario.fresh(sub).status == "canceled"


def test_deleting_needs_a_cancelled_subscription_and_keeps_its_financial_records(scenario):
    from recurra.invoicing.models import Invoice
    from recurra.payments.models import Payment
    from recurra.subscriptions.deleting import subscription_delete
    from recurra.subscriptions.models import Subscription, SubscriptionLineItem

    sub = _subscribed(scenario)
    with pytest.raises(Conflict, match="cancel it first"):
        subscription_delete(subscription=sub, actor=STAFF)

    _cancel(sub)
    subscription_delete(subscription=sub, actor=STAFF)

    assert not Subscription.objects.filter(pk=sub.pk).exists()
    assert not SubscriptionLineItem.objects.filter(subscription_id=sub.pk).exists()
    (invoice,) = Invoice.objects.filter(subscription_id=sub.pk)
    assert (invoice.subscription_name, invoice.total, invoice.status) == ("Team plan", 3100, "paid")
    assert Payment.objects.filter(subscription_id=sub.pk).count() == 1
    deleted = Event.objects.get(object_id=sub.pk, type="subscription.deleted")
    assert deleted.data["before"]["status"] == "canceled"
    scenario.check_invariants()
