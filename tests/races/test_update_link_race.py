"""A buyer paying through an update link while the retry job runs captures once (PostgreSQL, clock frozen).

A 40.00 USD renewal on ``tok_insufficient_funds`` is declined at T0 (retryable; first retry
three days later). On that retry day two threads, each with its own connection, start
together: A runs the dunning job (``retry_due``) and B saves ``tok_visa`` through the link
from the failure email. Whichever writes the invoice's attempt first charges it (A with the
old card, declined, then B's visa; or A already with B's new visa): every round ends with
exactly one succeeded capture at the gateway, one succeeded payment, and the invoice paid once.

    T0 declined ── T0+3d: retry_due ║ update_link_use(tok_visa) ── paid once
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from recurra.billing.dunning import retry_due
from recurra.core import clock
from recurra.invoicing.models import Invoice
from recurra.jobs.runner import BACKOFF, run_due
from recurra.payments.gateways.models import SandboxCharge
from recurra.payments.models import Payment
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.update_links import update_link_for_token, update_link_use
from tests.conftest import T0
from tests.services.test_update_links import AMOUNT, emailed_token, past_due_subscription

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 20
RETRY_AT = T0 + timedelta(days=3)  # the first scheduled retry day (3, 5, 7 days)


def race(token: str, job_delay: float) -> list[BaseException]:
    """Run the retry job (``job_delay`` seconds late) and the buyer's save at once; the errors raised."""
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(step: object) -> None:
        try:
            start.wait()
            step()  # type: ignore[operator]
        except BaseException as exc:  # every outcome is asserted on
            errors.append(exc)
        finally:
            connection.close()

    def buyer() -> None:
        link = update_link_for_token(token, at=RETRY_AT)
        assert link is not None
        update_link_use(link=link, token="tok_visa", at=RETRY_AT)

    threads = [
        threading.Thread(target=run, args=(lambda: time.sleep(job_delay) or retry_due(at=RETRY_AT),)),
        threading.Thread(target=run, args=(buyer,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def test_buyer_and_retry_job_capture_once(frozen_clock) -> None:
    outcomes = set()
    for n in range(ROUNDS):
        sub = past_due_subscription(f"buyer{n}@example.com")
        invoice = Invoice.objects.get(subscription=sub)
        assert (sub.status, invoice.status) == ("past_due", "open")
        clock.freeze(RETRY_AT)

        errors = race(emailed_token(sub), job_delay=(n % 4) * 0.01)  # now one, now the other first
        assert errors == [], errors
        # the worker: a charge the buyer's save queued behind the job's attempt (run at once, it
        # found that attempt on its way and waits for its first retry)
        run_due(at=RETRY_AT + BACKOFF[0])

        invoice.refresh_from_db()
        captured = SandboxCharge.objects.filter(
            idempotency_key__startswith=f"{invoice.pk}/", status="succeeded"
        )
        assert captured.count() == 1, n
        paid = Payment.objects.filter(invoice=invoice, status="succeeded")
        assert paid.count() == 1, n
        assert (invoice.status, invoice.amount_paid, invoice.amount_due) == ("paid", AMOUNT, 0), n
        assert invoice.amount_paid == invoice.total
        assert Subscription.objects.get(pk=sub.pk).status == "active"
        assert not Payment.objects.filter(invoice=invoice, status__in=["pending", "processing"]).exists()
        outcomes.add(paid.get().origin)  # which of the two got there first
        clock.freeze(T0)
    assert outcomes <= {"retry", "update_link"}
    assert Payment.objects.filter(origin="retry", status="failed").exists()  # the job went first, declined
