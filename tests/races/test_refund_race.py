"""Ten concurrent refunds of one payment never give back more than it (PostgreSQL, clock frozen).

Ten threads, each with its own database connection, start together and refund the same
4000 USD payment: 30% each (1200), or each "everything left". Reservations queue on the
payment's row lock while gateway calls overlap, so exactly the refunds that fit succeed
(three of 1200; one of everything), at the gateway and on the payment alike, and every
other one is refused with a 422 on ``amount`` before reaching the gateway.
"""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from django.db import connection

from recurra.core.actors import Actor
from recurra.core.errors import Conflict, ValidationFailed
from recurra.core.models import Event
from recurra.payments.gateways.models import SandboxRefund
from recurra.payments.models import Payment, Refund
from recurra.payments.refunds import payment_refund
from tests.services.test_refunds import AMOUNT, paid_payment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 10
USER = Actor("user", "7", "Eddie Editor")


def race(payment_id: str, amount: int | None, at: datetime) -> tuple[list[str], list[BaseException]]:
    """Run ``THREADS`` refunds at once; the payment ids the successful ones returned, and the errors."""
    start = threading.Barrier(THREADS)
    lock = threading.Lock()
    done: list[str] = []
    errors: list[BaseException] = []

    def refund() -> None:
        try:
            start.wait()
            payment = Payment.objects.get(pk=payment_id)
            refunded = payment_refund(payment=payment, amount=amount, actor=USER, at=at)
            with lock:
                done.append(refunded.pk)
        except BaseException as exc:  # every outcome is asserted on
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=refund) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a refund thread hung"
    return done, errors


@pytest.mark.parametrize(("amount", "succeed"), [(1200, 3), (None, 1)], ids=["30-percent", "everything-left"])
def test_ten_concurrent_refunds_never_exceed_the_payment(
    frozen_clock: datetime, amount: int | None, succeed: int
) -> None:
    payment = paid_payment()
    assert (payment.status, payment.amount) == ("succeeded", AMOUNT)

    done, errors = race(payment.pk, amount, frozen_clock)

    assert done == [payment.pk] * succeed
    assert len(errors) == THREADS - succeed
    for error in errors:  # more than is left (422), or nothing left at all: the payment is refunded (409)
        if isinstance(error, Conflict):
            assert "is refunded" in str(error), repr(error)
            continue
        assert isinstance(error, ValidationFailed), repr(error)
        assert [e.field for e in error.errors] == ["amount"]
    refunded = SandboxRefund.objects.filter(charge_id=payment.gateway_charge_id)
    at_gateway = sorted(refunded.values_list("amount", flat=True))
    row = Payment.objects.get(pk=payment.pk)
    expected = [amount] * succeed if amount else [AMOUNT]
    assert at_gateway == expected
    assert row.amount_refunded == sum(expected) <= row.amount
    assert row.status == ("partially_refunded" if sum(expected) < AMOUNT else "refunded")
    recorded = Refund.objects.filter(payment=payment)
    assert sorted(recorded.values_list("amount", "status")) == [(a, "succeeded") for a in expected]
    assert set(recorded.values_list("gateway_refund_id", flat=True)) == set(
        refunded.values_list("pk", flat=True)
    )
    kinds = ("payment.partially_refunded", "payment.refunded")
    assert Event.objects.filter(object_id=payment.pk, type__in=kinds).count() == succeed
