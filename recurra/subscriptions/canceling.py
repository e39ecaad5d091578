"""Cancelling a subscription: now or at the end of its period, with or without a prorated refund.

Rules of :func:`subscription_cancel`:

- ``confirm`` must be true (the app's dialog: "I understand the customer
  will not be charged again"); ``canceled`` and ``expired`` are terminal (409).
- ``when="now"`` ends it at once: ``canceled``, no next payment date.
  ``when="period_end"`` keeps it running and sets ``cancel_at_period_end``; on
  its next payment date the worker (:func:`cancel_due`) cancels it instead of
  billing it, and until then :func:`subscription_cancel_undo` takes it back.
- ``refund="prorated"`` (now only) gives back what the subscription paid for
  and will not use (``subscriptions.unused``: its lines on paid invoices, a
  purchase's share and prorated upgrades included), to the payments that paid
  it. The refunds are reserved, each with its key and a follow-up job, in the
  cancellation's transaction, and sent right after it commits: the answer says
  which were made, which were refused, and which are on their way (the
  gateway did not answer; the worker sends them again with the same key).
  Period-end cancellations leave nothing unused to refund.
- A payment still ``pending`` or ``processing`` (a charge on its way) is not
  cancelled: the result names it, and the choice is kept on the subscription
  (``cancel_refund``): should that charge succeed, the refund the choice
  implies for it is queued then (:func:`cancellation_refund_queue`).
- The buyer gets a ``cancellation`` email either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from django.db import transaction
from django.db.models import Min
from django.utils.translation import gettext

from recurra.accounts.selectors import account_settings, account_zone
from recurra.catalog.schedule import Period, local_date
from recurra.core import records
from recurra.core.actors import Actor
from recurra.core.due import day_due
from recurra.core.errors import Conflict, RecurraError, ValidationFailed
from recurra.invoicing.selectors import payments_of
from recurra.jobs.queue import job_enqueue
from recurra.jobs.runner import job_handler
from recurra.notifications.services import email_queue
from recurra.payments.models import IN_FLIGHT, Payment
from recurra.payments.models import Refund as RefundRow
from recurra.payments.refunds import refund_follow_up, refund_reserve
from recurra.subscriptions import notices, proration
from recurra.subscriptions.lifecycle import BILLABLE, TERMINAL, check_transition
from recurra.subscriptions.models import Subscription, SubscriptionStatus
from recurra.subscriptions.unused import refunds_due

When = Literal["now", "period_end"]
RefundChoice = Literal["none", "prorated"]
LATE_REFUND_JOB = "cancellation_refund"


@dataclass
class Cancellation:
    subscription: Subscription
    refunds: list[tuple[str, int]] = field(default_factory=list)  # (payment id, amount) made
    refund_errors: list[tuple[str, int, str]] = field(default_factory=list)  # (payment id, amount, why)
    refunds_on_their_way: list[tuple[str, int]] = field(default_factory=list)  # sent again by the worker
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
            raise Conflict(
                gettext("the subscription is already %(status)s")
                % {"status": sub.get_status_display().lower()}
            )
        result = Cancellation(sub, unsettled_payments=_unsettled(sub))
        reserved: list[RefundRow] = []
        if when == "period_end" and sub.next_payment_date is not None:
            if sub.cancel_at_period_end:
                raise Conflict(gettext("the subscription is already set to cancel at the end of its period"))
            records.update(sub, actor=actor, verb="cancel_scheduled", cancel_at_period_end=True)
            access_until = sub.next_payment_date
        else:
            if refund == "prorated":
                planned = refunds_due(sub, today, lock=True).planned
                reserved = [_reserve(sub, payment, amount, actor, at) for payment, amount in planned]
            _end(sub, actor=actor, at=at, refund=refund)
            access_until = None
        draft = notices.cancellation(
            sub,
            account_settings(),
            canceled_on=today,
            access_until=access_until,
            refund=sum(r.amount for r in reserved),
        )
        email_queue(draft, at=at)
    for row in reserved:
        _send(row, result, actor=actor, at=at)
    return result


def _reserve(sub: Subscription, payment: Payment, amount: int, actor: Actor, at: datetime) -> RefundRow:
    """The refund of ``amount`` from ``payment`` for ``sub``'s cancellation, keyed once and for all."""
    return refund_reserve(
        payment=payment,
        amount=amount,
        actor=actor,
        at=at,
        key=f"cancel/{sub.pk}/{payment.pk}",
        subscription_id=sub.pk,
    )


def _send(row: RefundRow, result: Cancellation, *, actor: Actor, at: datetime) -> None:
    try:
        sent = refund_follow_up(refund=row, actor=actor, at=at)
    except RecurraError as exc:
        result.refund_errors.append((row.payment_id, row.amount, str(exc)))
        return
    if sent.status == RefundRow.Status.SUCCEEDED:
        result.refunds.append((row.payment_id, row.amount))
    else:
        result.refunds_on_their_way.append((row.payment_id, row.amount))


def cancellation_refund_queue(*, subscription: Subscription, payment: Payment, at: datetime) -> None:
    """A charge that was on its way when ``subscription`` was cancelled now succeeded: queue the
    refund its cancellation's choice implies (prorated: the unused days of what that charge paid,
    as of the day it was cancelled). Call it in the transaction that records the charge."""
    if subscription.cancel_refund != "prorated" or subscription.canceled_at is None:
        return
    job_enqueue(
        kind=LATE_REFUND_JOB,
        payload={"subscription_id": subscription.pk, "payment_id": payment.pk},
        run_at=at,
        dedupe_key=f"cancel/{subscription.pk}/{payment.pk}",
    )


@job_handler(LATE_REFUND_JOB)
def _late_refund(payload: dict[str, str], *, at: datetime) -> None:
    sub = Subscription.objects.get(pk=payload["subscription_id"])
    payment = Payment.objects.get(pk=payload["payment_id"])
    assert sub.canceled_at is not None
    canceled_on = local_date(sub.canceled_at, account_zone())
    with transaction.atomic():
        due = refunds_due(sub, canceled_on, invoice_ids=[payment.invoice_id], lock=True)
        reserved = [_reserve(sub, p, amount, Actor.system(), at) for p, amount in due.planned]
    for row in reserved:
        _send(row, Cancellation(sub), actor=Actor.system(), at=at)


def subscription_cancel_undo(*, subscription: Subscription, actor: Actor) -> Subscription:
    """Take back a cancellation set for the period's end (409 when none is set or it already ended)."""
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if not sub.cancel_at_period_end or sub.status in TERMINAL:
            raise Conflict(gettext("the subscription has no cancellation to undo"))
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


def _end(sub: Subscription, *, actor: Actor, at: datetime, refund: str = "") -> None:
    check_transition(sub.status, SubscriptionStatus.CANCELED)
    records.update(
        sub,
        actor=actor,
        verb=SubscriptionStatus.CANCELED,
        status=SubscriptionStatus.CANCELED,
        cancel_refund=refund,
        canceled_at=at,
        ended_at=at,
        next_payment_date=None,
        cancel_at_period_end=False,
    )


def _unsettled(sub: Subscription) -> list[str]:
    """The payments of ``sub``'s invoices still on their way."""
    return list(
        Payment.objects.filter(payments_of(sub.pk), status__in=IN_FLIGHT)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


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
    due = refunds_due(subscription, today)
    unsettled = list(Payment.objects.filter(pk__in=_unsettled(subscription)).order_by("pk"))
    return CancelPreview(
        refund=due.total,
        days_left=proration.days_left(due.period, today) if due.period else 0,
        period=due.period,
        unsettled=unsettled,
    )


def cancel_next_due(*, after: datetime) -> datetime | None:
    """When :func:`cancel_due` next has a subscription to end (``core.due``): the earliest next
    payment date of one set to cancel at its period's end."""
    day = Subscription.objects.filter(cancel_at_period_end=True, status__in=BILLABLE).aggregate(
        d=Min("next_payment_date")
    )["d"]
    return day_due(day, account_zone(), after=after)
