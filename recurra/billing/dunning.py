"""Dunning: retrying a declined renewal on the account's schedule, then the final failure action.

- A retryable decline (``insufficient_funds``, processing errors) is retried
  ``retry_schedule_days`` after the first failure (default 3, 5 and 7 days;
  account-local dates, each retry at the start of its day). A hard decline
  (``card_declined``, lost or stolen card) is never retried.
- When the last scheduled retry has failed (for a hard decline: at once),
  ``final_failure_action`` applies: ``keep_past_due`` (nothing more),
  ``cancel`` (cancelled now, nothing refunded, the buyer told) or ``pause``.
- Only open invoices of ``past_due`` subscriptions are dunned, so paying,
  pausing or cancelling stops it. Staff retries and charges made through
  the update link neither count as scheduled retries nor move the schedule.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce

from recurra.accounts.selectors import account_settings, account_zone
from recurra.billing.outcomes import Outcomes
from recurra.billing.retries import charge_invoices
from recurra.catalog.schedule import local_date
from recurra.catalog.terms import CollectionMethod
from recurra.core.actors import Actor
from recurra.core.due import day_due
from recurra.core.errors import Conflict
from recurra.invoicing.models import Invoice, InvoiceStatus
from recurra.payments.models import IN_FLIGHT, Payment, PaymentOrigin, PaymentStatus
from recurra.subscriptions.canceling import subscription_cancel
from recurra.subscriptions.models import Subscription, SubscriptionStatus
from recurra.subscriptions.pausing import subscription_pause

SYSTEM = Actor.system()
SCHEDULED = (PaymentOrigin.RENEWAL, PaymentOrigin.RETRY)
KEEP_PAST_DUE = "keep_past_due"


@dataclass(frozen=True)
class Step:
    """What dunning does next for one invoice: retry on ``on``, or give up (``final``)."""

    invoice_id: str
    subscription_id: str
    on: date | None
    final: bool


@dataclass
class DunningReport:
    retried: Outcomes = field(default_factory=Outcomes)
    final_actions: int = 0

    def __iadd__(self, other: DunningReport) -> DunningReport:
        self.retried += other.retried
        self.final_actions += other.final_actions
        return self


def retry_due(*, at: datetime) -> DunningReport:
    """Retry every invoice whose retry day has come, and end dunning where the retries ran out."""
    today = local_date(at, account_zone())
    account = account_settings()
    schedule, action = account.retry_schedule_days, account.final_failure_action
    steps = _steps(schedule, ended_too=False)
    due = [s.invoice_id for s in steps if s.on is not None and s.on <= today]
    report = DunningReport(retried=charge_invoices(due, origin=PaymentOrigin.RETRY, actor=SYSTEM, at=at))
    if action == KEEP_PAST_DUE:
        return report  # an ended dunning changes nothing more
    ended = (s.subscription_id for s in _steps(schedule, ended_too=True) if s.final)  # retries answered
    for subscription_id in dict.fromkeys(ended):
        report.final_actions += _final_action(subscription_id, action, at=at)
    return report


def retry_next_due(*, after: datetime) -> datetime | None:
    """When :func:`retry_due` next has work (``core.due``): the earliest retry day, or at once
    when a dunning has ended and the final action is one that changes something."""
    account = account_settings()
    acts = account.final_failure_action != KEEP_PAST_DUE
    steps = list(_steps(account.retry_schedule_days, ended_too=acts))
    if any(s.final for s in steps):
        return after
    return day_due(min((s.on for s in steps if s.on is not None), default=None), account_zone(), after=after)


def _steps(schedule: Sequence[int], *, ended_too: bool) -> Iterator[Step]:
    """The next step of each dunned invoice; without ``ended_too``, only those with a retry left
    (found in SQL: those whose dunning ended stay past due for good and would be read every pass)."""
    zone = account_zone()
    invoices = Invoice.objects.filter(
        status=InvoiceStatus.OPEN,
        amount_due__gt=0,
        collection_method=CollectionMethod.CHARGE_AUTOMATICALLY,
        subscription__status=SubscriptionStatus.PAST_DUE,
    ).order_by("pk")
    if not ended_too:
        attempts = Payment.objects.filter(invoice=OuterRef("pk"))
        hard = attempts.filter(origin__in=SCHEDULED, status=PaymentStatus.FAILED, retryable=False)
        retried = (
            attempts.filter(origin=PaymentOrigin.RETRY).values("invoice").annotate(n=Count("pk")).values("n")
        )
        invoices = (
            invoices.exclude(Exists(hard))
            .annotate(retries=Coalesce(Subquery(retried), 0))
            .filter(retries__lt=len(schedule))
        )
    for invoice in invoices.prefetch_related("payments").iterator(chunk_size=500):
        payments = sorted(invoice.payments.all(), key=lambda p: (p.created_at, p.pk))
        if any(p.status in IN_FLIGHT for p in payments):
            continue
        scheduled = [p for p in payments if p.origin in SCHEDULED]
        if not scheduled or scheduled[-1].status != PaymentStatus.FAILED:
            continue
        subscription_id = invoice.subscription_id or ""
        retries = sum(p.origin == PaymentOrigin.RETRY for p in scheduled)
        if not scheduled[-1].retryable or retries >= len(schedule):
            yield Step(invoice.pk, subscription_id, None, final=True)
            continue
        first = next(p for p in scheduled if p.status == PaymentStatus.FAILED)
        failed_on = (first.settled_at or first.created_at).astimezone(zone).date()
        yield Step(invoice.pk, subscription_id, failed_on + timedelta(days=schedule[retries]), final=False)


def _final_action(subscription_id: str, action: str, *, at: datetime) -> int:
    """Apply ``final_failure_action`` once (cancel and pause end the subscription's dunning); 1 if applied."""
    sub = Subscription.objects.filter(pk=subscription_id, status=SubscriptionStatus.PAST_DUE).first()
    if sub is None or action == "keep_past_due":
        return 0
    try:
        if action == "cancel":
            subscription_cancel(
                subscription=sub, confirm=True, when="now", refund="none", actor=SYSTEM, at=at
            )
        elif action == "pause":
            subscription_pause(
                subscription=sub,
                reason="payment failed after every retry",
                resume_on=None,
                actor=SYSTEM,
                at=at,
            )
    except Conflict:
        return 0  # it moved meanwhile (paid, cancelled or paused by someone else)
    return 1
