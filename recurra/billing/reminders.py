"""Payment reminders: an email ``reminder_days_before`` (default 14) each automatic charge.

A subscription is reminded once per payment date (``reminded_for``, and the
email's dedupe key): on the first day its next automatic charge is within
the reminder window. Moving time day by day, that is exactly 14 days ahead;
a subscription created closer to its charge is reminded at once. Nothing is
sent when the setting is off, for send-invoice subscriptions (their invoice is
the notice) or for a charge of nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Min, QuerySet

from recurra.accounts.selectors import account_settings, account_zone
from recurra.billing.writes import Batch
from recurra.catalog.schedule import local_date
from recurra.catalog.terms import CollectionMethod
from recurra.core.due import day_due
from recurra.subscriptions import notices
from recurra.subscriptions.models import Subscription, SubscriptionStatus

BATCH = 500
REMINDED = (SubscriptionStatus.SCHEDULED, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)


def send_reminders(*, at: datetime) -> int:
    account = account_settings()
    if not account.payment_reminders_enabled:
        return 0
    today = local_date(at, account_zone())
    due = _unreminded(after=today).filter(
        next_payment_date__lte=today + timedelta(days=account.reminder_days_before)
    )
    sent = 0
    while True:
        with transaction.atomic():
            subs = list(
                due.select_for_update(of=("self",)).select_related("contact", "payment_method")[:BATCH]
            )
            if not subs:
                return sent
            batch = Batch(at=at)
            for sub in subs:
                batch.email(notices.reminder(sub, account))
                batch.change(sub, reminded_for=sub.next_payment_date)
            batch.flush()
            sent += len(subs)


def _unreminded(*, after: date) -> QuerySet[Subscription]:
    """Subscriptions with an automatic charge after ``after`` not yet reminded of it."""
    return (
        Subscription.objects.filter(
            status__in=REMINDED,
            collection_method=CollectionMethod.CHARGE_AUTOMATICALLY,
            next_payment_amount__gt=0,
            cancel_at_period_end=False,  # it will not be charged again
            next_payment_date__gt=after,
        )
        .exclude(reminded_for=F("next_payment_date"))
        .order_by("pk")
    )


def reminders_next_due(*, after: datetime) -> datetime | None:
    """When :func:`send_reminders` next has a reminder to send (``core.due``): the day the
    earliest unreminded charge enters the window (None when reminders are off)."""
    account = account_settings()
    if not account.payment_reminders_enabled:
        return None
    zone = account_zone()
    charge = _unreminded(after=local_date(after, zone)).order_by().aggregate(d=Min("next_payment_date"))["d"]
    window = timedelta(days=account.reminder_days_before)
    return day_due(charge - window if charge else None, zone, after=after)
