"""A paid payment disputed by the buyer's bank (a chargeback), as the processor reports it.

Rules (:func:`dispute_step`, pure; :func:`payment_dispute_update` applies it):

- A dispute opening on a paid payment (``succeeded``, ``partially_refunded``,
  ``refunded``) makes it ``disputed``; ``dispute_status`` keeps the
  processor's word (Stripe's ``needs_response``, ``under_review``, …).
- Closed in the seller's favour (``won``; an inquiry's ``warning_closed``;
  ``prevented``), the payment is paid again: ``succeeded``, or
  ``partially_refunded`` / ``refunded`` by what was refunded. ``lost``: it
  stays ``disputed`` with ``dispute_status`` ``lost`` (the bank took the money back).
- Statuses only move forward (:data:`STAGES`): a late delivery of an earlier
  status, or any news after the dispute closed, changes nothing. So do
  repeats of the current status.
- A payment whose outcome is not yet recorded (``pending``, ``processing``)
  raises :class:`OutcomeNotYetKnown`: its caller asks again later, once the
  charge's own news has been recorded. A ``failed`` payment was never paid:
  nothing to dispute.
- Each change writes one event: ``payment.disputed`` (opened),
  ``payment.dispute_updated``, ``payment.dispute_closed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from recurra.core import records
from recurra.core.actors import Actor
from recurra.payments.models import Payment, PaymentStatus

# How far along each status is; a dispute never goes back.
OPEN = 1
STAGES: dict[str, int] = {
    "warning_needs_response": 1,  # an inquiry (no money moved yet)
    "warning_under_review": 2,
    "needs_response": 3,  # a chargeback: the money is held
    "under_review": 4,
    "won": 9,
    "lost": 9,
    "warning_closed": 9,
    "prevented": 9,
}
CLOSED = 9
WON = frozenset({"won", "warning_closed", "prevented"})
LOST = frozenset({"lost"})
PAID = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
UNSETTLED = (PaymentStatus.PENDING, PaymentStatus.PROCESSING, PaymentStatus.REQUIRES_ACTION)


class OutcomeNotYetKnown(Exception):
    """The payment's own outcome is not recorded yet: ask again once it is."""


@dataclass(frozen=True, slots=True)
class Step:
    status: str
    dispute_status: str
    stage: str  # "opened" | "updated" | "won" | "lost"


def dispute_step(status: str, current: str, new: str, *, amount: int, refunded: int) -> Step | None:
    """What the dispute status ``new`` makes of a payment now ``status`` with ``current`` (None: nothing).

    >>> dispute_step("succeeded", "", "needs_response", amount=100, refunded=0)
    Step(status='disputed', dispute_status='needs_response', stage='opened')
    >>> dispute_step("disputed", "needs_response", "won", amount=100, refunded=40)
    Step(status='partially_refunded', dispute_status='won', stage='won')
    >>> dispute_step("disputed", "under_review", "lost", amount=100, refunded=0)
    Step(status='disputed', dispute_status='lost', stage='lost')
    >>> dispute_step("succeeded", "won", "needs_response", amount=100, refunded=0) is None  # late
    True
    >>> dispute_step("disputed", "under_review", "needs_response", amount=100, refunded=0) is None
    True
    """
    if status not in (*PAID, PaymentStatus.DISPUTED):
        return None  # never paid: nothing to dispute
    rank, was = STAGES.get(new, OPEN), STAGES.get(current, OPEN) if current else 0
    if was >= CLOSED or rank <= was:
        return None  # closed (final), or not news
    if new in WON:
        paid = PaymentStatus.SUCCEEDED
        if refunded:
            paid = PaymentStatus.REFUNDED if refunded >= amount else PaymentStatus.PARTIALLY_REFUNDED
        return Step(str(paid), new, "won")
    if new in LOST:
        return Step(str(PaymentStatus.DISPUTED), new, "lost")
    return Step(str(PaymentStatus.DISPUTED), new, "opened" if status != PaymentStatus.DISPUTED else "updated")


@dataclass(frozen=True, slots=True)
class DisputeChange:
    payment: Payment
    stage: str  # as :attr:`Step.stage`


VERBS = {
    "opened": "disputed",
    "updated": "dispute_updated",
    "won": "dispute_closed",
    "lost": "dispute_closed",
}


def payment_dispute_update(
    *, payment: Payment, dispute_status: str, actor: Actor, at: datetime
) -> DisputeChange | None:
    """Apply the processor's dispute status to ``payment`` under its lock (see the module's rules);
    None when it changes nothing. Call inside the transaction that queues its notices."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status in UNSETTLED:
            raise OutcomeNotYetKnown(
                f"payment {locked.pk} is {locked.status}: its dispute waits for its outcome"
            )
        step = dispute_step(
            locked.status,
            locked.dispute_status,
            dispute_status[:30],
            amount=locked.amount,
            refunded=locked.amount_refunded,
        )
        if step is None:
            return None
        records.update(
            locked,
            actor=actor,
            verb=VERBS[step.stage],
            status=step.status,
            dispute_status=step.dispute_status,
            updated_at=at,
        )
    return DisputeChange(payment=locked, stage=step.stage)
