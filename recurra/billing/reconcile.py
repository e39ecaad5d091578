"""Settling payments whose outcome is not recorded: crashed calls, and bank debits still processing.

- ``pending`` past its lease: the worker that wrote it died between writing
  and recording, or the gateway did not answer. Ask the gateway by the
  payment's idempotency key; if it never saw the charge, make it now with the
  same key (the gateway makes at most one charge per key). Either way the
  answer is recorded once (``billing.outcomes``).
- ``processing`` (ACH): ask the gateway for the charge's state now; it
  settles (succeeded or failed) days later, by the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db.models import QuerySet

from recurra.billing.charging import request_for
from recurra.billing.outcomes import Outcomes, record_charges
from recurra.core import clock
from recurra.payments.gateways import get_gateway
from recurra.payments.gateways.base import Charge, GatewayError
from recurra.payments.models import Payment, PaymentStatus

BATCH = 500


def reconcile_pending(*, at: datetime) -> Outcomes:
    """Payments left ``pending`` by a crash (lease over): look up by key, else charge by key."""
    stale = Payment.objects.filter(status=PaymentStatus.PENDING, lease_until_ms__lt=clock.epoch_ms())
    return _settle(stale, at=at, charge_missing=True)


def settle_processing(*, at: datetime) -> Outcomes:
    """Bank debits that were ``processing``: record those the gateway has settled by ``at``."""
    return _settle(Payment.objects.filter(status=PaymentStatus.PROCESSING), at=at, charge_missing=False)


def _settle(qs: QuerySet[Payment], *, at: datetime, charge_missing: bool) -> Outcomes:
    total = Outcomes()
    for payments in _chunks(qs.select_related("payment_method").order_by("pk")):
        answers: list[tuple[str, Charge]] = []
        for payment in payments:
            gateway = get_gateway(payment.gateway)
            try:
                charge = gateway.lookup(payment.idempotency_key, at=at)
                if charge is None and charge_missing:
                    charge = gateway.charge(request_for(payment), at=at)
            except GatewayError:
                continue  # still unknown: the next pass asks again
            if charge is not None:
                answers.append((payment.pk, charge))
        total += record_charges(answers, at=at)
    return total


def _chunks(qs: QuerySet[Payment]) -> Iterator[list[Payment]]:
    last = ""
    while True:
        chunk = list(qs.filter(pk__gt=last)[:BATCH])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].pk
