"""Advancing the sandbox test clock: move time forward and run, in time order, all work due on the way.

Billing dates are dates in the account's zone, so work falls due at local
midnights (and at the instants queued jobs name). The clock jumps from one
such instant to the next (never past one), runs everything due there, and
stops at ``to``; it returns when all of it is done. Only one advance runs at
a time in a process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Min

from recurra.accounts.selectors import account_settings, account_zone
from recurra.billing.dunning import next_retry_on
from recurra.billing.worker import WorkReport, run_due_work
from recurra.core import clock
from recurra.core.clock import ClockError
from recurra.invoicing.models import Invoice, InvoiceStatus
from recurra.jobs.runner import queues
from recurra.payments.gateways import get_gateway
from recurra.payments.models import Payment, PaymentStatus
from recurra.subscriptions.lifecycle import BILLABLE
from recurra.subscriptions.models import CollectionMethod, Subscription
from recurra.subscriptions.pausing import next_resume_on

_one_at_a_time = threading.Lock()


@dataclass
class AdvanceReport:
    started: datetime
    to: datetime
    steps: int = 0
    work: WorkReport = field(default_factory=WorkReport)

    @property
    def invoices(self) -> int:
        return self.work.run.invoices

    @property
    def payments(self) -> int:
        run = self.work.run.outcomes
        return run.succeeded + run.failed + run.processing + len(self.work.settled.by_payment)

    @property
    def emails(self) -> int:
        return self.work.jobs


def clock_advance(*, to: datetime) -> AdvanceReport:
    """Move the test clock to ``to``, running due work at each instant on the way (ClockError backwards)."""
    if not clock.is_test_clock():
        raise ClockError("the test clock exists only in sandbox mode")
    if to.tzinfo is None:
        raise ClockError("the target time needs a time zone")
    with _one_at_a_time:
        current = clock.now()
        if to < current:
            raise ClockError(f"the test clock cannot move backwards (now {_iso(current)}, asked {_iso(to)})")
        report = AdvanceReport(started=current, to=to)
        report.work += run_due_work(at=current)  # anything already due runs first
        while True:
            upcoming = next_due_at(after=current)
            step = min(upcoming, to) if upcoming else to
            clock.advance_to(step)
            report.work += run_due_work(at=step)
            report.steps += 1
            if step >= to:
                return report
            current = step


def next_due_at(*, after: datetime) -> datetime | None:
    """The first instant after ``after`` at which some work falls due (None: nothing scheduled)."""
    zone = account_zone()
    today = after.astimezone(zone).date()
    dates: list[date | None] = []
    subs = Subscription.objects.filter(status__in=BILLABLE, next_payment_date__gt=today)
    dates.append(subs.aggregate(d=Min("next_payment_date"))["d"])
    dates.append(next_resume_on(after=today))
    dates.append(next_retry_on(after=today))
    account = account_settings()
    if account.payment_reminders_enabled:
        window = timedelta(days=account.reminder_days_before)
        reminded = subs.filter(
            collection_method=CollectionMethod.CHARGE_AUTOMATICALLY, next_payment_date__gt=today + window
        ).aggregate(d=Min("next_payment_date"))["d"]
        dates.append(reminded - window if reminded else None)
    overdue = Invoice.objects.filter(
        status=InvoiceStatus.OPEN, collection_method=CollectionMethod.SEND_INVOICE, overdue_at__isnull=True
    ).aggregate(d=Min("due_on"))["d"]
    dates.append(overdue + timedelta(days=1) if overdue else None)
    instants = [_midnight(d, zone) for d in dates if d is not None]
    gateways = set(Payment.objects.filter(status=PaymentStatus.PROCESSING).values_list("gateway", flat=True))
    for (
        name
    ) in gateways:  # bank debits settle when their gateway says; a gateway that cannot say is polled daily
        settles = get_gateway(name).next_change_at(after=after)
        instants.append(settles or _midnight(today + timedelta(days=1), zone))
    for queue in queues():
        next_run = queue.model._default_manager.filter(status=queue.queued, run_at__gt=after).aggregate(
            t=Min("run_at")
        )["t"]
        if next_run is not None:
            instants.append(next_run)
    later = [i for i in instants if i > after]
    return min(later) if later else None


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
