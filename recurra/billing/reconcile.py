"""Settling payments whose outcome is not recorded: crashed calls, and bank debits still processing.

- ``pending`` past its lease: the worker that wrote it died between writing
  and recording, or the gateway did not answer. Ask the gateway by the
  payment's idempotency key; if it never saw the charge, make it now with the
  same key (the gateway makes at most one charge per key). Either way the
  answer is recorded once (``billing.outcomes``).
- ``requires_action`` past its lease: the buyer did not authenticate it in
  time; the gateway cancels it if it still waits, and says how it ended.
- ``processing`` (bank debits): ask the gateway for the charge's state now;
  it settles (succeeded or failed) days later, by the clock. A processor
  whose webhooks tell (Stripe) is asked only once its
  ``poll_processing_from`` has come.

A gateway that prepares its charges is asked by the reference stored on the
payment; one with none stored made no charge, so the charge is prepared (its
reference stored) and made now.

Progress under crashes: answers are recorded in small groups, as soon as
:data:`RECORD_EVERY` are waiting or the oldest has waited
:data:`RECORD_WITHIN` seconds, so a crash loses at most that much look-up
work (never a charge: the next pass asks again by key). A worker pass
reconciles for at most :data:`PASS_SECONDS` (``seconds=``), then leaves the
rest to the next pass so that billing goes on meanwhile; it always makes at
least one look-up, so every pass makes progress.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db.models import Min, QuerySet

from recurra.accounts.selectors import account_zone
from recurra.billing.charging import request_for, store_references
from recurra.billing.outcomes import Outcomes, record_charges
from recurra.core import clock
from recurra.core.due import midnight
from recurra.payments.gateways import get_gateway
from recurra.payments.gateways.base import Charge, ChargeStatus, GatewayError
from recurra.payments.models import Payment, PaymentStatus

BATCH = 100  # payments read at a time
RECORD_EVERY = 20  # answers recorded together at most
RECORD_WITHIN = 0.2  # seconds an answer waits at most before it is recorded
PASS_SECONDS = 2.0  # reconciling per worker pass; what is left waits for the next pass


def reconcile_pending(*, at: datetime, seconds: float | None = PASS_SECONDS) -> Outcomes:
    """Payments left ``pending`` by a crash (lease over): look up by key, else charge by key.

    Starts no new look-up after ``seconds`` (None: until none is left).
    """
    return _settle(_stale(), at=at, charge_missing=True, seconds=seconds)


def pending_next_due(*, after: datetime) -> datetime | None:
    """When :func:`reconcile_pending` next has work (``core.due``): ``after`` while a payment is left
    ``pending`` past its lease (real time), else None."""
    return after if _stale().exists() else None


def _stale() -> QuerySet[Payment]:
    leased = (PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION)
    return Payment.objects.filter(status__in=leased, lease_until_ms__lt=clock.epoch_ms())


def settle_processing(*, at: datetime) -> Outcomes:
    """Bank debits that were ``processing``: record those the gateway has settled by ``at``."""
    processing = Payment.objects.filter(status=PaymentStatus.PROCESSING)
    return _settle(processing, at=at, charge_missing=False, seconds=None)


def processing_next_due(*, after: datetime) -> datetime | None:
    """When :func:`settle_processing` next has work: the next settlement of a bank debit still
    ``processing``, as its gateway tells; a gateway that cannot tell is asked again at the next local
    midnight."""
    processing = Payment.objects.filter(status=PaymentStatus.PROCESSING)
    oldest = dict(processing.values_list("gateway").annotate(first=Min("created_at")).order_by())
    if not oldest:
        return None
    zone = account_zone()
    polled = midnight(after.astimezone(zone).date() + timedelta(days=1), zone)
    return min(
        get_gateway(name).next_change_at(after=after)
        or max(polled, get_gateway(name).poll_processing_from(first))
        for name, first in oldest.items()
    )


def _settle(qs: QuerySet[Payment], *, at: datetime, charge_missing: bool, seconds: float | None) -> Outcomes:
    started = time.monotonic()
    deadline = None if seconds is None else started + seconds
    total = Outcomes()
    answers: list[tuple[str, Charge]] = []
    oldest = started  # when the oldest unrecorded answer came

    for payment in _each(qs.select_related("payment_method").order_by("pk")):
        gateway = get_gateway(payment.gateway)
        if (
            payment.status == PaymentStatus.PROCESSING
            and gateway.poll_processing_from(payment.created_at) > at
        ):
            continue  # its processor's webhook tells first
        try:
            charge = gateway.lookup(payment.idempotency_key, at=at, reference=payment.gateway_charge_id)
            if charge is None and charge_missing:
                ready = gateway.prepare([request_for(payment)], at=at)
                charge = gateway.charge(store_references([payment], ready)[0], at=at)
        except GatewayError:
            charge = None  # still unknown: the next pass asks again
        now = time.monotonic()
        if charge is not None and not _no_news(payment, charge):
            if not answers:
                oldest = now
            answers.append((payment.pk, charge))
        if answers and (len(answers) >= RECORD_EVERY or now - oldest >= RECORD_WITHIN):
            total += record_charges(answers, at=at)
            answers = []
        if deadline is not None and now >= deadline:
            break
    total += record_charges(answers, at=at)
    return total


def _no_news(payment: Payment, charge: Charge) -> bool:
    """A processing debit still processing: nothing to record (it is asked again next pass)."""
    return payment.status == PaymentStatus.PROCESSING and charge.status == ChargeStatus.PROCESSING


def _each(qs: QuerySet[Payment]) -> Iterator[Payment]:
    """The payments of ``qs`` by id, read :data:`BATCH` at a time (rows settled meanwhile drop out)."""
    last = ""
    while True:
        chunk = list(qs.filter(pk__gt=last)[:BATCH])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].pk
