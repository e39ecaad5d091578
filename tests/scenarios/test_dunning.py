"""Dunning: a declined renewal retried 3, 5 and 7 days after the first failure, then the final action.

2027-01-01 09:30 UTC  subscribed, 20.00 a month (tok_fail_renewals: the first charge succeeds, then none)
Feb 1   renewal declined, insufficient_funds (retryable) → Unpaid; payment_failed email, once
Feb 4, Feb 6, Feb 8   retries: each its own payment and decline code; one open invoice of 20.00
Feb 8   last retry fails → final_failure_action (keep_past_due: nothing more; cancel; pause)
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from recurra.billing.retries import charge_invoices
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.payments.models import Payment
from tests.scenarios.conftest import freeze_at, item

pytestmark = pytest.mark.django_db(transaction=True)
STAFF = Actor.system()


def _declined_on_feb_1(scenario, token: str = "tok_fail_renewals"):
    freeze_at(2027, 1, 1, 9, 30)
    contact = scenario.contact("dora@example.com", "Dora", "Dunning")
    sub = scenario.subscribe(contact, item(name="Pro", amount=2000), token=token)
    scenario.advance(datetime(2027, 1, 1, 9, 30, tzinfo=UTC))
    scenario.advance(date(2027, 2, 1))
    return sub


def _attempts(invoice):
    return [
        (p.origin, p.status, p.failure_code, p.amount, p.created_at.date())
        for p in Payment.objects.filter(invoice=invoice).order_by("created_at", "pk")
    ]


def test_a_retryable_decline_is_retried_on_schedule_then_kept_unpaid(scenario):
    sub = _declined_on_feb_1(scenario)
    invoice = scenario.invoices(sub)[-1]
    assert scenario.fresh(sub).status == "past_due"

    for day in (3, 4, 5, 6, 7, 8, 20):
        scenario.advance(date(2027, 2, day))
        scenario.assert_rerun_is_noop()

    assert _attempts(invoice) == [
        ("renewal", "failed", "insufficient_funds", 2000, date(2027, 2, 1)),
        ("retry", "failed", "insufficient_funds", 2000, date(2027, 2, 4)),
        ("retry", "failed", "insufficient_funds", 2000, date(2027, 2, 6)),
        ("retry", "failed", "insufficient_funds", 2000, date(2027, 2, 8)),
    ]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_due) == ("open", 2000)  # one open balance
    assert scenario.fresh(sub).status == "past_due"  # keep_past_due, the default
    assert len(scenario.emails(kind="payment_failed", sub=sub)) == 1  # the first failure only
    from recurra.billing.dunning import _steps

    assert list(_steps([3, 5, 7], ended_too=False)) == []  # an ended dunning is not read every pass
    assert [s.final for s in _steps([3, 5, 7], ended_too=True)] == [True]
    scenario.check_invariants()


@pytest.mark.parametrize(("action", "status"), [("cancel", "canceled"), ("pause", "paused")])
def test_after_the_last_retry_the_final_action_applies(scenario, action, status):
    scenario.settings(final_failure_action=action)
    sub = _declined_on_feb_1(scenario)
    scenario.advance(date(2027, 2, 7))
    assert scenario.fresh(sub).status == "past_due"  # one retry still to come

    scenario.advance(date(2027, 2, 8))

    assert scenario.fresh(sub).status == status
    scenario.advance(date(2027, 3, 15))
    assert len(Payment.objects.filter(subscription=sub)) == 5  # nothing charged after the end
    if action == "cancel":
        assert len(scenario.emails(kind="cancellation", sub=sub)) == 1


def test_a_hard_decline_is_never_retried(scenario):
    scenario.settings(final_failure_action="pause")
    freeze_at(2027, 1, 1, 9, 30)
    contact = scenario.contact("hank@example.com", "Hank", "Hard")
    sub = scenario.subscribe(contact, item(name="Pro", amount=2000), token="tok_decline")
    scenario.advance(datetime(2027, 1, 1, 9, 30, tzinfo=UTC))

    scenario.advance(date(2027, 1, 20))

    (invoice,) = scenario.invoices(sub)
    assert _attempts(invoice) == [("renewal", "failed", "card_declined", 2000, date(2027, 1, 1))]
    assert scenario.fresh(sub).status == "paused"  # the final action, at once


def test_paying_with_a_new_method_returns_the_subscription_to_active_and_stops_the_retries(scenario):
    sub = _declined_on_feb_1(scenario)
    invoice = scenario.invoices(sub)[-1]
    scenario.advance(date(2027, 2, 5))
    new = scenario.method(sub.contact, "tok_visa")

    outcome = charge_invoices([invoice.pk], origin="update_link", method=new, actor=STAFF, at=clock.now())

    assert outcome.succeeded == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_due) == ("paid", 0)
    assert scenario.fresh(sub).status == "active"
    scenario.advance(date(2027, 2, 20))
    assert [a[0] for a in _attempts(invoice)] == ["renewal", "retry", "update_link"]


def test_staff_retry_by_hand_at_most_three_times_per_invoice(scenario):
    from recurra.billing.retries import payment_retry
    from recurra.core.errors import Conflict

    sub = _declined_on_feb_1(scenario)
    invoice = scenario.invoices(sub)[-1]
    failed = Payment.objects.get(invoice=invoice)

    attempts = [payment_retry(payment=failed, actor=STAFF, at=clock.now()) for _ in range(3)]

    assert [(a.origin, a.status, a.failure_code) for a in attempts] == [
        ("manual", "failed", "insufficient_funds")
    ] * 3
    with pytest.raises(Conflict, match="already retried by hand 3 times"):
        payment_retry(payment=failed, actor=STAFF, at=clock.now())
    scenario.advance(date(2027, 2, 4))  # the schedule goes on: staff retries do not count
    assert [a[0] for a in _attempts(invoice)] == ["renewal", "manual", "manual", "manual", "retry"]
    paid = Payment.objects.get(invoice=scenario.invoices(sub)[0])
    with pytest.raises(Conflict, match="only a failed payment"):
        payment_retry(payment=paid, actor=STAFF, at=clock.now())
