"""Counting a paid period: the one rule the billing run, payment outcomes and checkouts share."""

from __future__ import annotations

from recurra.billing import status
from recurra.billing.writes import Batch
from recurra.subscriptions.models import Subscription


def paid_for_period(batch: Batch, sub: Subscription, amount: int, overdue_open: int) -> None:
    """A period's invoice is fully paid: count it, and move the status on."""
    made = sub.payments_made + 1
    complete = sub.number_of_payments is not None and made >= sub.number_of_payments
    batch.change(
        sub,
        payments_made=made,
        last_payment_amount=amount,
        total_collected=sub.total_collected + amount,
        status=status.after_payment(sub.status, term_complete=complete, overdue_open=overdue_open),
    )
    if sub.status == "expired" and sub.ended_at is None:
        batch.change(sub, ended_at=batch.at, next_payment_date=None)
