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
- The reservation also queues a follow-up job (``refund_send``) in its
  transaction, and the caller sends the refund right after the commit. The
  gateway saying no (a 409 or 422) marks the refund ``failed``, which
  releases its reservation, and raises that error. No answer (a
  ``GatewayError``) or a crash leaves it ``pending`` and reserved, "on its
  way": the worker's job sends it again with the same key, with backoff (the
  gateway answers the first refund made with a key, never refunding twice).
  Calling again with the same ``key`` completes it too; without a key each
  call is a new refund.
- A refund made at the processor without Recurra (Stripe's Dashboard) is
  recorded when its webhook tells (:func:`refund_record_outside`): a
  ``succeeded`` refund keyed by the processor's refund id, within what the
  payment has left, through the same recording as any refund.
- A disputed payment stays ``disputed`` when a refund of it succeeds (its
  dispute decides its status; ``amount_refunded`` still grows).
- Events: ``refund.created``, then ``refund.succeeded`` with
  ``payment.partially_refunded`` / ``payment.refunded`` (before and after),
  or ``refund.failed``. What a succeeded refund changes above this layer (the
  invoice's ``amount_refunded``, the subscription's ``total_collected``) is
  done by the hooks registered with :func:`on_refund_succeeded`, in the same
  transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext

from recurra.core import events, ids
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, RecurraError, ValidationFailed
from recurra.core.money import Money
from recurra.jobs.queue import job_done, job_enqueue
from recurra.jobs.runner import job_handler
from recurra.payments.gateways import get_gateway
from recurra.payments.gateways.base import GatewayError, in_callers_transaction
from recurra.payments.gateways.base import Refund as GatewayRefund
from recurra.payments.models import Payment, PaymentStatus, Refund

REFUNDABLE = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED)
REFUND_JOB = "refund_send"
RefundHook = Callable[[Refund, Payment, Actor], None]
_SUCCEEDED_HOOKS: dict[str, RefundHook] = {}


def on_refund_succeeded(name: str) -> Callable[[RefundHook], RefundHook]:
    """Register ``hook(refund, payment, actor)``, run in the transaction that records a refund as
    succeeded (the port through which layers above keep their money figures true)."""

    def register(hook: RefundHook) -> RefundHook:
        _SUCCEEDED_HOOKS[name] = hook
        return hook

    return register


def payment_refund(
    *,
    payment: Payment,
    amount: int | None,
    actor: Actor,
    at: datetime,
    key: str | None = None,
) -> Payment:
    """Refund ``amount`` (None: all that is left) of ``payment``; the payment as it is afterwards
    (a refund still on its way is reserved: see ``Refund`` rows and the module's rules).

    ``key`` (1 to 100 characters) makes the call safe to repeat: the same key
    completes or answers the refund made with it (whatever ``amount`` says)
    instead of making another.
    """
    if key is not None and not 0 < len(key) <= 100:
        raise ValueError("a refund key has 1 to 100 characters")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0):
        raise ValidationFailed.field("amount", gettext("must be a positive integer of minor units"))
    if in_callers_transaction():
        raise RuntimeError("payment_refund calls the gateway: call it outside a transaction")
    with transaction.atomic():
        refund = refund_reserve(
            payment=payment,
            amount=amount,
            actor=actor,
            at=at,
            key=key,
            subscription_id=payment.subscription_id,
        )
    refund_follow_up(refund=refund, actor=actor, at=at)
    return Payment.objects.get(pk=payment.pk)


def refund_follow_up(*, refund: Refund, actor: Actor, at: datetime) -> Refund:
    """Send a reserved refund right after the commit that reserved it; the refund as it then is.

    The gateway's answer is recorded and the follow-up job closed; a refusal is raised (the refund
    ``failed``); no answer leaves it ``pending`` for the job to send again (the refund returned as is).
    """
    if refund.status == Refund.Status.PENDING:
        try:
            refund = refund_send(refund=refund, actor=actor, at=at)
        except GatewayError:
            return refund  # on its way: the follow-up job sends it again with the same key
        except RecurraError:
            job_done(dedupe_key=_follow_up_key(refund), at=at)
            raise
    job_done(dedupe_key=_follow_up_key(refund), at=at)
    return refund


def refund_send(*, refund: Refund, actor: Actor, at: datetime) -> Refund:
    """Call the gateway for a pending refund with its key and record the answer (outside any
    transaction). Raises the gateway's refusal (the refund ``failed``) or ``GatewayError`` (no answer:
    still ``pending``)."""
    payment = Payment.objects.get(pk=refund.payment_id)
    try:
        answer = get_gateway(payment.gateway).refund(
            charge_id=payment.gateway_charge_id,
            amount=refund.amount,
            idempotency_key=refund.idempotency_key,
            at=at,
        )
    except (RecurraError, ValueError) as exc:  # the gateway refused: nothing was refunded
        _fail(refund, exc, actor)
        raise
    return refund_record(refund=refund, answer=answer, actor=actor)


@job_handler(REFUND_JOB)
def _send_job(payload: dict[str, Any], *, at: datetime) -> None:
    """The follow-up: send a refund still pending (a refusal is recorded on it, not retried)."""
    refund = Refund.objects.get(pk=payload["refund_id"])
    if refund.status != Refund.Status.PENDING:
        return
    actor = Actor.from_dict(payload["actor"])
    try:
        refund_send(refund=refund, actor=actor, at=at)
    except (RecurraError, ValueError):
        return  # refused: the refund is failed and says why


def _follow_up_key(refund: Refund) -> str:
    return f"refund:{refund.pk}"


def refund_reserve(
    *,
    payment: Payment,
    amount: int | None,
    actor: Actor,
    at: datetime,
    key: str | None = None,
    subscription_id: str | None = None,
) -> Refund:
    """The pending refund to send (a new one, or the one ``key`` made before), reserved under the
    payment's lock with its follow-up job. Call it inside the transaction of its cause;
    ``subscription_id``: whose money it gives back."""
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
            raise Conflict(gettext("payment %(pk)s has no gateway charge to refund") % {"pk": locked.pk})
        left = refundable_amount(locked)
        if amount is None and left <= 0:
            raise ValidationFailed.field(
                "amount", gettext("nothing is left to refund: refunds in progress cover it")
            )
        if amount is not None and amount > left:
            raise ValidationFailed.field(
                "amount", f"is more than the {Money(left, locked.currency)} left to refund"
            )
        refund = Refund(
            payment=locked,
            subscription_id=subscription_id,
            amount=left if amount is None else amount,
            idempotency_key=key or ids.new_id("refund"),
        )
        refund.save(force_insert=True)
        events.record(type="refund.created", obj=refund, actor=actor, after=events.snapshot(refund))
        job_enqueue(
            kind=REFUND_JOB,
            payload={"refund_id": refund.pk, "actor": actor.as_dict()},
            run_at=at,
            dedupe_key=_follow_up_key(refund),
        )
    return refund


def _again(refund: Refund, payment: Payment) -> Refund:
    """The refund a repeated key made: to complete (pending) or answer (succeeded); failed is its error."""
    if refund.payment_id != payment.pk:
        raise Conflict(gettext("this idempotency key was used to refund another payment"))
    if refund.status == Refund.Status.FAILED:
        raise Conflict(
            gettext("refund %(pk)s failed: %(failure_message)s")
            % {"pk": refund.pk, "failure_message": refund.failure_message}
        )
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


def refund_record(*, refund: Refund, answer: GatewayRefund, actor: Actor) -> Refund:
    """Apply the gateway's answer for a pending refund to its payment, once: the refund as it then
    is (a twin call, or the webhook, that recorded it first wins; a settled refund is left as is)."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        row = Refund.objects.select_for_update().get(pk=refund.pk)
        if row.status != Refund.Status.PENDING:
            return row
        refund_before = events.snapshot(row)
        row.status = Refund.Status.SUCCEEDED
        row.gateway_refund_id = answer.refund_id
        row.save(update_fields=["status", "gateway_refund_id"])
        events.record_update(type="refund.succeeded", obj=row, actor=actor, before=refund_before)

        payment_before = events.snapshot(payment)
        payment.amount_refunded += row.amount
        if payment.status != PaymentStatus.DISPUTED:
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
        for hook in _SUCCEEDED_HOOKS.values():
            hook(row, payment, actor)
    return row


OUTSIDE_REFUNDABLE = (*REFUNDABLE, PaymentStatus.DISPUTED)


def refund_record_outside(
    *, payment: Payment, gateway_refund_id: str, amount: int, actor: Actor, at: datetime
) -> Refund | None:
    """Record a refund the processor made without Recurra (its Dashboard): a ``succeeded`` refund
    keyed ``<gateway>:<its id>``, recorded like any other (events, hooks); the one recorded before
    when it is known. None (nothing recorded) when the payment was never paid or has less left than
    ``amount`` (the processor refunds no more than was paid: Recurra's records are then behind).
    """
    if amount <= 0:
        raise ValueError("a refund's amount is positive")
    key = f"{payment.gateway}:{gateway_refund_id}"[:100]
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        existing = Refund.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        if locked.status not in OUTSIDE_REFUNDABLE or amount > locked.amount - locked.amount_refunded:
            return None
        refund = Refund(
            payment=locked,
            subscription_id=locked.subscription_id,
            amount=amount,
            idempotency_key=key,
            created_at=at,
        )
        refund.save(force_insert=True)
        events.record(
            type="refund.created",
            obj=refund,
            actor=actor,
            after=events.snapshot(refund),
            extra={"outside": True},
        )
        answer = GatewayRefund(
            refund_id=gateway_refund_id, charge_id=locked.gateway_charge_id, amount=amount, status="succeeded"
        )
        return refund_record(refund=refund, answer=answer, actor=actor)
