"""Send-invoice invoices still unpaid after their due date make their subscription Unpaid.

An invoice is overdue from the day after ``due_on`` (in the account's zone).
It is marked once (``overdue_at``), so re-running changes nothing; paying it
later returns the subscription to ``active`` when nothing else is overdue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Min, QuerySet

from recurra.accounts.selectors import account_zone
from recurra.billing import status
from recurra.billing.writes import Batch
from recurra.catalog.schedule import local_date
from recurra.catalog.terms import CollectionMethod
from recurra.core.due import day_due
from recurra.invoicing.models import Invoice, InvoiceStatus
from recurra.subscriptions.models import Subscription

BATCH = 500


def _unmarked() -> QuerySet[Invoice]:
    return Invoice.objects.filter(
        status=InvoiceStatus.OPEN, collection_method=CollectionMethod.SEND_INVOICE, overdue_at__isnull=True
    )


def mark_overdue(*, at: datetime) -> int:
    """Mark every send-invoice invoice past its due date; returns how many."""
    today = local_date(at, account_zone())
    marked = 0
    while True:
        with transaction.atomic():
            invoices = list(
                _unmarked().select_for_update(of=("self",)).filter(due_on__lt=today).order_by("pk")[:BATCH]
            )
            if not invoices:
                return marked
            subs = {
                s.pk: s
                for s in Subscription.objects.select_for_update()
                .filter(pk__in={i.subscription_id for i in invoices})
                .order_by("pk")
            }
            batch = Batch(at=at)
            for invoice in invoices:
                batch.change(invoice, overdue_at=at)
                sub = subs.get(invoice.subscription_id or "")
                if sub is not None:
                    batch.change(sub, status=status.after_failure(sub.status))
            batch.flush()
            marked += len(invoices)


def overdue_next_due(*, after: datetime) -> datetime | None:
    """When :func:`mark_overdue` next has an invoice to mark (``core.due``): the day after the
    earliest due date of an unmarked one."""
    day = _unmarked().aggregate(d=Min("due_on"))["d"]
    return day_due(day + timedelta(days=1) if day else None, account_zone(), after=after)
