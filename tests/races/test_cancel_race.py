"""Cancel racing a renewal (PostgreSQL): each subscription ends either cancelled with no new charge,
or charged once and then cancelled; never half-done (an invoice without its charge, a charge
without its record, or a renewal billed after the cancellation).

One thread runs the billing run over 400 due renewals in batches of 20 while another cancels every
one of them, newest first, so the two meet in the middle with both orders happening.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

import pytest
from django.db import connection

from bench.seed import SEND_INVOICE, Seeded
from recurra.billing.run import billing_run
from recurra.core.actors import Actor
from recurra.invoicing.models import Invoice
from recurra.jobs.runner import run_due
from recurra.payments.gateways.models import SandboxCharge, SandboxRefund
from recurra.payments.models import Payment, Refund
from recurra.subscriptions.canceling import subscription_cancel
from recurra.subscriptions.models import Subscription
from tests.races.invariants import kinds

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
N = 400


def _in_thread(work: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    return threading.Thread(target=run)


def _race(*, refund: str, batch_size: int, at: datetime) -> None:
    """The billing run (one thread) against cancelling every subscription now, newest first."""
    subs = list(Subscription.objects.order_by("-pk"))
    errors: list[BaseException] = []

    def cancel_all() -> None:
        for sub in subs:
            subscription_cancel(
                subscription=sub, confirm=True, when="now", refund=refund, actor=Actor.system(), at=at
            )

    threads = [
        _in_thread(lambda: billing_run(at=at, batch_size=batch_size, threads=1), errors),
        _in_thread(cancel_all, errors),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []


def test_a_cancellation_and_a_renewal_never_leave_each_other_half_done(
    seed: Callable[[int], Seeded], frozen_clock: datetime
) -> None:
    seed(N)
    _race(refund="none", batch_size=20, at=frozen_clock)

    assert set(Subscription.objects.values_list("status", flat=True)) == {"canceled"}
    billed, unbilled = 0, 0
    for pk, (_index, kind) in kinds().items():
        renewals = list(Invoice.objects.filter(subscription_id=pk, period_index=1))
        if not renewals:
            unbilled += 1  # cancelled first: no invoice, no payment, no charge
            assert not Payment.objects.filter(subscription_id=pk).exists()
            continue
        billed += 1
        (invoice,) = renewals  # billed once, never after the cancellation
        payments = list(Payment.objects.filter(invoice=invoice))
        if kind == SEND_INVOICE:
            assert payments == []
            continue
        (payment,) = payments  # charged, and the answer recorded: nothing pending
        assert payment.status in ("succeeded", "failed"), payment.status
        assert SandboxCharge.objects.filter(idempotency_key=payment.idempotency_key).count() == 1
    assert billed + unbilled == N
    assert billed and unbilled, f"the race did not meet in the middle: {billed} billed, {unbilled} not"


PRORATED_N = 100


def test_cancel_now_prorated_against_a_running_billing_batch_refunds_the_unused_days_once(
    seed: Callable[[int], Seeded], frozen_clock: datetime
) -> None:
    """100 renewals due today, each cancelled now with a prorated refund while the billing run bills
    them: a renewal charged before (or while) its cancellation is refunded in full (today is its
    period's first day: every day unused), once the charge has settled; nothing is charged or
    refunded twice; the period that ended today has nothing left to refund."""
    seed(PRORATED_N)
    _race(refund="prorated", batch_size=10, at=frozen_clock)
    run_due(at=frozen_clock)  # the worker: refunds queued for charges that settled after their cancellation

    billed = 0
    for pk, (_index, kind) in kinds().items():
        renewal = Invoice.objects.filter(subscription_id=pk, period_index=1).first()
        if renewal is None or kind == SEND_INVOICE:
            assert not Refund.objects.filter(subscription_id=pk).exists()
            continue
        billed += 1
        (payment,) = Payment.objects.filter(invoice=renewal)
        assert SandboxCharge.objects.filter(idempotency_key=payment.idempotency_key).count() == 1
        refunds = list(Refund.objects.filter(subscription_id=pk))
        if payment.status == "failed":
            assert refunds == []
            continue
        (refund,) = refunds
        assert (refund.status, refund.amount, refund.payment_id) == ("succeeded", payment.amount, payment.pk)
        assert SandboxRefund.objects.filter(idempotency_key=refund.idempotency_key).count() == 1
        payment.refresh_from_db()
        assert (payment.status, payment.amount_refunded) == ("refunded", payment.amount)
    assert 0 < billed < PRORATED_N, f"the race did not meet in the middle: {billed} billed"
