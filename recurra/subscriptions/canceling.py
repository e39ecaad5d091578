"""Cancelling a subscription: now or at the end of its period, with or without a prorated refund.

Rules of :func:`subscription_cancel`:

- ``confirm`` must be true (the app's dialog: "I understand the customer
  will not be charged again"); ``canceled`` and ``expired`` are terminal (409).
- ``when="now"`` ends it at once: ``canceled``, no next payment date.
  ``when="period_end"`` keeps it running and sets ``cancel_at_period_end``; on
  its next payment date the worker (:func:`cancel_due`) cancels it instead of
  billing it, and until then :func:`subscription_cancel_undo` takes it back.
- ``refund="prorated"`` (now only) gives back what the paid current period
  has left, from today (account-local) to its end, to the payments that paid
  it, newest first: refunds are gateway calls, made after the cancellation
  has committed (a refund that fails leaves the cancellation standing and is
  reported). Period-end cancellations leave nothing unused to refund.
- A payment still ``pending`` or ``processing`` (a bank debit on its way) is
  neither cancelled nor refunded: the result names it for staff to follow.
- The buyer gets a ``cancellation`` email either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from django.db import transaction

from recurra.accounts.selectors import account_settings, account_zone
from recurra.billing import notices
from recurra.core import records
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, RecurraError, ValidationFailed
from recurra.invoicing.models import Invoice, InvoiceStatus
from recurra.notifications.services import email_queue
from recurra.payments.models import Payment, PaymentStatus
from recurra.subscriptions import proration
from recurra.subscriptions.lifecycle import BILLABLE, TERMINAL, check_transition
from recurra.subscriptions.models import Subscription, SubscriptionStatus
from recurra.subscriptions.schedule import Period, local_date

When = Literal["now", "period_end"]
RefundChoice = Literal["none", "prorated"]
REFUNDABLE = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED)
UNSETTLED = (PaymentStatus.PENDING, PaymentStatus.PROCESSING)


@dataclass
class Cancellation:
    subscription: Subscription
    refunds: list[tuple[str, int]] = field(default_factory=list)  # (payment id, amount) made
    refund_errors: list[tuple[str, int, str]] = field(default_factory=list)  # (payment id, amount, why)
    unsettled_payments: list[str] = field(default_factory=list)  # left alone: see the module's rules


def subscription_cancel(
    *, subscription: Subscription, confirm: bool, when: When, refund: RefundChoice, actor: Actor, at: datetime
) -> Cancellation:
    if confirm is not True:
        raise ValidationFailed.field("confirm", "must be true: the customer will not be charged again")
    if when not in ("now", "period_end"):
        raise ValidationFailed.field("when", "must be now or period_end")
    if refund not in ("none", "prorated"):
        raise ValidationFailed.field("refund", "must be none or prorated")
    today = local_date(at, account_zone())
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().select_related("contact").get(pk=subscription.pk)
        if sub.status in TERMINAL:
            raise Conflict(f"the subscription is already {sub.get_status_display().lower()}")
        result = Cancellation(sub, unsettled_payments=_unsettled(sub))
        planned: list[tuple[Payment, int]] = []
        if when == "period_end" and sub.next_payment_date is not None:
            if sub.cancel_at_period_end:
                raise Conflict("the subscription is already set to cancel at the end of its period")
            records.update(sub, actor=actor, verb="cancel_scheduled", cancel_at_period_end=True)
            access_until = sub.next_payment_date
        else:
            if refund == "prorated":
                planned = _prorated_refunds(sub, today)
            _end(sub, actor=actor, at=at)
            access_until = None
        draft = notices.cancellation(
            sub,
            account_settings(),
            canceled_on=today,
            access_until=access_until,
            refund=sum(amount for _, amount in planned),
        )
        email_queue(draft, at=at)
    _refund(planned, result, actor=actor, at=at)
    return result


def subscription_cancel_undo(*, subscription: Subscription, actor: Actor) -> Subscription:
    """Take back a cancellation set for the period's end (409 when none is set or it already ended)."""
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if not sub.cancel_at_period_end or sub.status in TERMINAL:
            raise Conflict("the subscription has no cancellation to undo")
        return records.update(sub, actor=actor, verb="cancel_undone", cancel_at_period_end=False)


def cancel_due(*, at: datetime) -> int:
    """Cancel every subscription set to cancel at its period's end whose next payment date has come.

    Runs before the billing run, which never bills these (``billing.run``'s claim skips them).
    """
    today = local_date(at, account_zone())
    due = Subscription.objects.filter(
        cancel_at_period_end=True, status__in=BILLABLE, next_payment_date__lte=today
    ).order_by("pk")
    done = 0
    for pk in due.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            sub = Subscription.objects.select_for_update().filter(pk=pk, cancel_at_period_end=True).first()
            if sub is None or sub.status in TERMINAL:
                continue  # undone or ended meanwhile
            _end(sub, actor=Actor.system(), at=at)
            done += 1
    return done


def _end(sub: Subscription, *, actor: Actor, at: datetime) -> None:
    check_transition(sub.status, SubscriptionStatus.CANCELED)
    records.update(
        sub,
        actor=actor,
        verb=SubscriptionStatus.CANCELED,
        status=SubscriptionStatus.CANCELED,
        canceled_at=at,
        ended_at=at,
        next_payment_date=None,
        cancel_at_period_end=False,
    )


def _unsettled(sub: Subscription) -> list[str]:
    return list(
        Payment.objects.filter(subscription=sub, status__in=UNSETTLED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _paid_period(sub: Subscription, today: date) -> tuple[Invoice, Period] | None:
    """The paid invoice of the period running on ``today`` (not a prorated one), and that period."""
    invoice = (
        Invoice.objects.filter(
            subscription=sub,
            status=InvoiceStatus.PAID,
            period_index__isnull=False,  # a period's own invoice, not a prorated one
            period_start__lte=today,
            period_end__gt=today,
        )
        .order_by("-period_start")
        .first()
    )
    if invoice is None or invoice.period_start is None or invoice.period_end is None:
        return None
    return invoice, Period(invoice.period_index or 0, invoice.period_start, invoice.period_end)


def _prorated_refunds(sub: Subscription, today: date, *, lock: bool = True) -> list[tuple[Payment, int]]:
    """What the paid period running on ``today`` has left, over the payments that paid it, newest first
    (their rows locked unless only previewing)."""
    paid_period = _paid_period(sub, today)
    if paid_period is None:
        return []
    invoice, period = paid_period
    paying = Payment.objects.filter(invoice=invoice, status__in=REFUNDABLE).order_by("-created_at", "-pk")
    payments = list(paying.select_for_update() if lock else paying)
    paid = sum(p.amount - p.amount_refunded for p in payments)
    left = proration.unused(paid, period, today)
    planned = []
    for payment in payments:
        if left <= 0:
            break
        amount = min(left, payment.amount - payment.amount_refunded)
        if amount > 0:
            planned.append((payment, amount))
            left -= amount
    return planned


@dataclass(frozen=True)
class CancelPreview:
    """What cancelling now would do: refund ``refund`` for ``days_left`` of ``period``, and leave
    the ``unsettled`` payments (bank debits on their way) alone."""

    refund: int
    days_left: int
    period: Period | None
    unsettled: list[Payment]

    @property
    def period_days(self) -> int:
        return (self.period.end - self.period.start).days if self.period else 0

    @property
    def last_day(self) -> date | None:
        """The period's last day (its end is the next period's first)."""
        return self.period.end - timedelta(days=1) if self.period else None


def cancel_preview(*, subscription: Subscription, at: datetime) -> CancelPreview:
    """The cancel dialog's figures, computed as :func:`subscription_cancel` would, writing nothing."""
    today = local_date(at, account_zone())
    paid_period = _paid_period(subscription, today)
    period = paid_period[1] if paid_period else None
    refunds = _prorated_refunds(subscription, today, lock=False)
    unsettled = list(Payment.objects.filter(pk__in=_unsettled(subscription)).order_by("pk"))
    return CancelPreview(
        refund=sum(amount for _, amount in refunds),
        days_left=proration.days_left(period, today) if period else 0,
        period=period,
        unsettled=unsettled,
    )


def _refund(planned: list[tuple[Payment, int]], result: Cancellation, *, actor: Actor, at: datetime) -> None:
    if not planned:
        return
    from recurra.payments.refunds import payment_refund

    for payment, amount in planned:
        try:
            payment_refund(payment=payment, amount=amount, actor=actor, at=at)
        except RecurraError as exc:
            result.refund_errors.append((payment.pk, amount, str(exc)))
        else:
            result.refunds.append((payment.pk, amount))


def cancel_next_due(*, after: datetime) -> datetime | None:
    """When :func:`cancel_due` next has a subscription to end (``core.due``): the earliest next
    payment date of one set to cancel at its period's end."""
    from django.db.models import Min

    from recurra.core.due import day_due

    day = Subscription.objects.filter(cancel_at_period_end=True, status__in=BILLABLE).aggregate(
        d=Min("next_payment_date")
    )["d"]
    return day_due(day, account_zone(), after=after)
