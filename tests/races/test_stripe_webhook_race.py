"""Stripe delivering one event to several Recurra processes at once (PostgreSQL, clock frozen).

Eight threads, each with its own database connection, post the same signed event at the same
moment: every one is answered 200, one stores it (the others find it: ``duplicate``), one job
is queued, and processing it records the payment's outcome once. Then both the processing and
a retried delivery, racing each other, change nothing more.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from recurra.core.models import Event
from recurra.jobs.models import Job
from recurra.notifications.models import EmailMessage
from recurra.payments.models import Payment, StripeEvent
from tests.stripe_webhooks import deliver, fixture, process, use_stripe
from tests.web.test_stripe_webhooks import charged

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def at_once(*work: Any) -> list[Any]:
    start = threading.Barrier(len(work))
    lock = threading.Lock()
    results: list[Any] = []

    def run(job: Any) -> None:
        try:
            start.wait()
            outcome = job()
        except BaseException as exc:  # every outcome is asserted on
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_one_event_delivered_eight_times_at_once_is_stored_and_recorded_once(
    settings: Any, frozen_clock: Any
) -> None:
    use_stripe(settings)
    payment = charged(
        status="processing", pi="pi_3QsepaDebit00000000001", key="renewal/inv_sepa/1", currency="EUR"
    )
    event = fixture("payment_intent.succeeded")
    answers = at_once(*[lambda: deliver(event)] * THREADS)
    assert sorted(a.status_code for a in answers) == [200] * THREADS
    assert sorted(a.json()["duplicate"] for a in answers) == [False] + [True] * (THREADS - 1)
    assert StripeEvent.objects.count() == 1
    assert Job.objects.filter(kind="stripe_event").count() == 1

    at_once(process, process, lambda: deliver(event))
    process()
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    assert Event.objects.filter(object_id=payment.pk, type="payment.succeeded").count() == 1
    assert EmailMessage.objects.filter(kind="receipt").count() == 1
    assert StripeEvent.objects.get().outcome == "processed"
