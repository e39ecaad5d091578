"""Stripe calls of a billing run that go wrong: each payment still settles, once.

Lost replies. Stripe calls whose answers are lost, or that never arrive, settle each payment once.

20 renewals are due (19 charged automatically, one of them to a card that
declines), on localstripe through the recording proxy, which drops:

    POST /v1/payment_intents               2 answers lost: created, its id never stored (an orphan)
                                           1 never arrives: nothing created
    POST /v1/payment_intents/{id}/confirm  3 answers lost: confirmed (paid, or declined)
                                           2 never arrive: the intent still waits for confirmation
    GET  /v1/payment_intents/{id}          1 never arrives (the reconciler's look-up)

The run records the 11 answers it got and leaves 8 payments ``pending``. The
reconciler (their lease over) asks Stripe for each stored PaymentIntent: a
lost confirm is found confirmed and recorded, with no second confirm; a
confirm that never arrived is sent again, with the same Idempotency-Key and
fields; a payment without a stored PaymentIntent gets one prepared again and
confirmed. The look-up without an answer waits for the next pass.

Each creation without a stored answer is sent three times, alike: the lost
one, once more by the run's charge (to tell a refusal from no answer), and
by the reconciler, which stores it. Real Stripe answers all three with the
first intent (the same key and fields); localstripe ignores keys, so it
holds five orphans, never confirmed.

Afterwards every payment is settled and recorded once, and localstripe holds
one confirmed PaymentIntent per payment.

A refusal. Stripe refuses to create one payment's PaymentIntent (its Customer
was deleted at Stripe, say): that payment fails with Stripe's reason, and the
rest of the batch is charged as usual; the reconciler has nothing left to do.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from bench.seed import Seeded
from recurra.billing.reconcile import reconcile_pending
from recurra.billing.run import billing_run
from recurra.payments.models import Payment, PaymentMethod
from tests.books import StripeBooks
from tests.localstripe import Recorded
from tests.races import invariants

pytestmark = pytest.mark.django_db(transaction=True)

N = 20  # seed indexes 0..19: one send_invoice, one declining card, 18 visa
CREATE = r"^/v1/payment_intents$"
CONFIRM = r"^/v1/payment_intents/[^/]+/confirm$"
LOOKUP = r"^/v1/payment_intents/[^/]+$"


def _by(calls: list[Recorded], key: Callable[[Recorded], Any]) -> dict[Any, list[Recorded]]:
    grouped: dict[Any, list[Recorded]] = defaultdict(list)
    for call in calls:
        grouped[key(call)].append(call)
    return grouped


def _resent_alike(groups: dict[Any, list[Recorded]]) -> list[int]:
    """How many times each group was sent, after checking every resend carries the same key and fields."""
    for calls in groups.values():
        assert {(c.idempotency_key, tuple(c.fields)) for c in calls} == {
            (calls[0].idempotency_key, tuple(calls[0].fields))
        }, calls
    return sorted(len(calls) for calls in groups.values())


@pytest.mark.parametrize("books", ["stripe"], indirect=True)
def test_lost_and_unanswered_stripe_calls_settle_each_payment_once(
    seed: Callable[[int], Seeded], books: StripeBooks, frozen_clock: datetime, settings: Any
) -> None:
    settings.RECURRA_LEASE_SECONDS = 0  # the reconciler may take over as soon as the run is done
    seeded = seed(N)
    proxy = books.world.proxy
    proxy.reset()  # the seed's own calls are not the run's
    proxy.lose_reply(CREATE, times=2)
    proxy.no_answer(CREATE, times=1)
    proxy.lose_reply(CONFIRM, times=3)
    proxy.no_answer(CONFIRM, times=2)

    report = billing_run(at=frozen_clock)

    assert (report.payments, report.outcomes.succeeded + report.outcomes.failed) == (19, 11)
    assert Payment.objects.filter(status="pending").count() == 8
    assert Payment.objects.filter(status="pending", gateway_charge_id="").count() == 3  # no id stored
    proxy.no_answer(LOOKUP, times=1)
    time.sleep(0.01)  # the leases (real ms) are over

    first = reconcile_pending(at=frozen_clock, seconds=None)
    second = reconcile_pending(at=frozen_clock, seconds=None)

    assert (len(first.by_payment), len(second.by_payment)) == (7, 1)  # the look-up without an answer
    calls = len(proxy.requests)
    assert reconcile_pending(at=frozen_clock, seconds=None).by_payment == {}
    assert len(proxy.requests) == calls  # nothing left to ask
    invariants.assert_all(seeded, books)
    orphans = books.unconfirmed()
    assert [intent.status for intent in orphans] == ["requires_confirmation"] * 5
    stored = dict(Payment.objects.values_list("idempotency_key", "gateway_charge_id"))
    assert all(stored[intent.metadata["recurra_key"]] != intent.id for intent in orphans)
    creates = _by(proxy.calls("POST", CREATE), lambda call: call.idempotency_key)
    assert set(creates) == {f"{key}/create" for key in stored}
    assert _resent_alike(creates) == [1] * 16 + [3] * 3  # the 3 without an answer, sent again alike
    confirms = _by(proxy.calls("POST", CONFIRM), lambda call: call.path)
    assert {calls[0].idempotency_key for calls in confirms.values()} == {f"{key}/confirm" for key in stored}
    assert _resent_alike(confirms) == [1] * 17 + [2] * 2  # the 2 that never arrived; lost ones were found
    assert all(("off_session", "true") in calls[0].fields for calls in confirms.values())


@pytest.mark.parametrize("books", ["stripe"], indirect=True)
def test_a_paymentintent_stripe_refuses_fails_its_payment_and_the_batch_goes_on(
    seed: Callable[[int], Seeded], books: StripeBooks, frozen_clock: datetime, settings: Any
) -> None:
    settings.RECURRA_LEASE_SECONDS = 0
    seed(4)  # indexes 0..3: one send_invoice, one declining card, two visa
    visa = PaymentMethod.objects.filter(gateway="stripe", last4="4242").order_by("pk")
    gone = visa[0]
    books.world.client().v1.customers.delete(gone.gateway_customer_id)

    report = billing_run(at=frozen_clock)

    declining = PaymentMethod.objects.get(last4="0341")
    statuses = dict(Payment.objects.values_list("payment_method_id", "status"))
    assert statuses == {gone.pk: "failed", visa[1].pk: "succeeded", declining.pk: "failed"}
    assert (report.outcomes.succeeded, report.outcomes.failed) == (1, 2)
    refused = Payment.objects.get(payment_method=gone)
    assert (refused.gateway_charge_id, refused.failure_code) == ("", "invalid_request")
    assert "Not Found" in refused.failure_message  # what localstripe said
    assert [i.id for i in books.world.intents() if i.metadata["recurra_key"] == refused.idempotency_key] == []
    time.sleep(0.01)
    assert reconcile_pending(at=frozen_clock, seconds=None).by_payment == {}
