"""What a subscription's Actions menu offers (to editors), on its page and in the index's panel.

Rules:
- Edit while it can still bill (scheduled, active, unpaid).
- Pause unless paused or ended; resume when paused (its default date: the
  next anchor date on or after today).
- Cancel unless ended or already set to cancel at the period's end (then
  "Undo cancellation").
- Delete is always in the menu: its dialog deletes what is canceled or
  expired, and says why it cannot otherwise.
- Send a payment-method update link unless ended.
- Retry payment when the latest failed attempt's invoice is still open and
  there is a saved method to charge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from recurra.accounts.selectors import account_zone
from recurra.catalog.schedule import local_date
from recurra.core import clock
from recurra.invoicing.models import InvoiceStatus
from recurra.payments.models import Payment, PaymentStatus
from recurra.subscriptions import pausing
from recurra.subscriptions.lifecycle import BILLABLE, TERMINAL, TRANSITIONS
from recurra.subscriptions.models import Subscription, SubscriptionStatus


@dataclass(frozen=True)
class Actions:
    today: date
    edit: bool
    pause: bool
    resume: bool
    resume_default: date | None
    cancel: bool
    undo_cancel: bool
    deletable: bool
    update_link: bool
    retry: Payment | None


def retryable_payment(sub: Subscription) -> Payment | None:
    """The latest failed attempt whose invoice still has something to pay, when a method is saved."""
    if sub.payment_method_id is None or sub.status in TERMINAL:
        return None
    return (
        Payment.objects.filter(
            subscription=sub,
            status=PaymentStatus.FAILED,
            invoice__status=InvoiceStatus.OPEN,
            invoice__amount_due__gt=0,
        )
        .select_related("invoice")
        .order_by("-created_at", "-pk")
        .first()
    )


def actions_for(sub: Subscription) -> Actions:
    paused = sub.status == SubscriptionStatus.PAUSED
    ended = sub.status in TERMINAL
    today = local_date(clock.now(), account_zone())
    return Actions(
        today=today,
        edit=sub.status in BILLABLE,
        pause=not paused and SubscriptionStatus.PAUSED in TRANSITIONS[sub.status],
        resume=paused,
        resume_default=pausing.next_anchor_date(sub, today) if paused else None,
        cancel=not ended and not sub.cancel_at_period_end,
        undo_cancel=not ended and sub.cancel_at_period_end,
        deletable=ended,
        update_link=not ended,
        retry=retryable_payment(sub),
    )
