"""Refunding a payment, fully or in part, through its gateway.

Rules of :func:`payment_refund`:

- Only a ``succeeded`` or ``partially_refunded`` payment can be refunded (409
  otherwise). ``amount`` is a positive integer of minor units (422 on
  ``amount``); left out, it is everything left. Never more than what is left:
  the payment's amount less what is refunded and what other refunds still in
  flight have reserved (422 on ``amount``).
- Three steps, because the gateway is called outside any transaction of ours:
  1. reserve: under a lock on the payment, a ``pending`` :class:`Refund` with
     its own idempotency key (so concurrent requests queue on the lock and can
     never reserve more than the payment);
  2. call the gateway with that key;
  3. record: the refund ``succeeded``, the payment's ``amount_refunded`` and
     status (``partially_refunded``, or ``refunded`` when nothing is left).
- The gateway saying no (a 409 or 422) marks the refund ``failed``, which
  releases its reservation, and raises that error. No answer (a
  ``GatewayError``) or a crash leaves it ``pending`` and reserved: calling
  again with the same ``key`` completes it (the gateway answers the first
  refund made with a key, never refunding twice); without a key each call is
  a new refund.
- Events: ``refund.created``, then ``refund.succeeded`` with
  ``payment.partially_refunded`` / ``payment.refunded`` (before and after),
  or ``refund.failed``. The subscription and invoice are not changed.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models, transaction

from recurra.core import events, ids
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, RecurraError, ValidationFailed
from recurra.core.money import Money
from recurra.payments.gateways import get_gateway
from recurra.payments.gateways.base import Refund as GatewayRefund
from recurra.payments.gateways.base import in_callers_transaction
from recurra.payments.models import Payment, PaymentStatus, Refund

REFUNDABLE = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED)


def payment_refund(
    *, payment: Payment, amount: int | None, actor: Actor, at: datetime, key: str | None = None
) -> Payment:
    """Refund ``amount`` (None: all that is left) of ``payment``; the payment as it is afterwards.

    ``key`` (1 to 100 characters) makes the call safe to repeat: the same key
    completes or answers the refund made with it (whatever ``amount`` says)
    instead of making another.
    """
    if key is not None and not 0 < len(key) <= 100:
        raise ValueError("a refund key has 1 to 100 characters")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0):
        raise ValidationFailed.field("amount", "must be a positive integer of minor units")
    if in_callers_transaction():
        raise RuntimeError("payment_refund calls the gateway: call it outside a transaction")
    refund = _reserve(payment, amount, actor, key)
    if refund.status == Refund.Status.SUCCEEDED:  # a repeated call: already done
        return Payment.objects.get(pk=payment.pk)
    try:
        answer = get_gateway(refund.payment.gateway).refund(
            charge_id=refund.payment.gateway_charge_id,
            amount=refund.amount,
            idempotency_key=refund.idempotency_key,
            at=at,
        )
    except (RecurraError, ValueError) as exc:  # the gateway refused: nothing was refunded
        _fail(refund, exc, actor)
        raise
    return _record(refund, answer, actor)


def _reserve(payment: Payment, amount: int | None, actor: Actor, key: str | None) -> Refund:
    """The pending refund to send (a new one, or the one ``key`` made before), under the payment's lock."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if key is not None:
            existing = Refund.objects.filter(idempotency_key=key).first()
            if existing is not None:
                return _again(existing, locked)
        if locked.status not in REFUNDABLE:
            raise Conflict(
                f"only a succeeded payment can be refunded; payment {locked.pk} is "
                f"{locked.get_status_display().lower()}"
            )
        if not locked.gateway_charge_id:
            raise Conflict(f"payment {locked.pk} has no gateway charge to refund")
        left = refundable_amount(locked)
        if amount is None and left <= 0:
            raise ValidationFailed.field("amount", "nothing is left to refund: refunds in progress cover it")
        if amount is not None and amount > left:
            raise ValidationFailed.field(
                "amount", f"is more than the {Money(left, locked.currency)} left to refund"
            )
        refund = Refund(
            payment=locked,
            amount=left if amount is None else amount,
            idempotency_key=key or ids.new_id("refund"),
        )
        refund.save(force_insert=True)
        events.record(type="refund.created", obj=refund, actor=actor, after=events.snapshot(refund))
    return refund


def _again(refund: Refund, payment: Payment) -> Refund:
    """The refund a repeated key made: to complete (pending) or answer (succeeded); failed is its error."""
    if refund.payment_id != payment.pk:
        raise Conflict("this idempotency key was used to refund another payment")
    if refund.status == Refund.Status.FAILED:
        raise Conflict(f"refund {refund.pk} failed: {refund.failure_message}")
    refund.payment = payment
    return refund


def refundable_amount(payment: Payment) -> int:
    """What is left to refund: the amount less what is refunded and what refunds in flight reserve."""
    pending = Refund.objects.filter(payment=payment, status=Refund.Status.PENDING)
    reserved = int(pending.aggregate(total=models.Sum("amount"))["total"] or 0)
    return payment.amount - payment.amount_refunded - reserved


def _fail(refund: Refund, exc: Exception, actor: Actor) -> None:
    """Mark the refund failed (releasing its reservation), unless a twin call already settled it."""
    with transaction.atomic():
        row = Refund.objects.select_for_update().get(pk=refund.pk)
        if row.status != Refund.Status.PENDING:
            return
        before = events.snapshot(row)
        row.status = Refund.Status.FAILED
        row.failure_message = str(exc)[:300]
        row.save(update_fields=["status", "failure_message"])
        events.record_update(type="refund.failed", obj=row, actor=actor, before=before)


def _record(refund: Refund, answer: GatewayRefund, actor: Actor) -> Payment:
    """Apply the gateway's refund to the payment once (a twin call that recorded it first wins)."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        row = Refund.objects.select_for_update().get(pk=refund.pk)
        if row.status != Refund.Status.PENDING:
            return payment
        refund_before = events.snapshot(row)
        row.status = Refund.Status.SUCCEEDED
        row.gateway_refund_id = answer.refund_id
        row.save(update_fields=["status", "gateway_refund_id"])
        events.record_update(type="refund.succeeded", obj=row, actor=actor, before=refund_before)

        payment_before = events.snapshot(payment)
        payment.amount_refunded += row.amount
        full = payment.amount_refunded == payment.amount
        payment.status = PaymentStatus.REFUNDED if full else PaymentStatus.PARTIALLY_REFUNDED
        payment.save(update_fields=["amount_refunded", "status"])
        before, after = events.changes(payment_before, events.snapshot(payment))
        events.record(
            type=f"payment.{payment.status}",
            obj=payment,
            actor=actor,
            before=before,
            after=after,
            extra={"refund_id": row.pk, "amount": row.amount},
        )
    return payment
