"""When ``billing.reconcile``'s two worker steps next have work (their ``next_due``, ``core.due``).

They belong beside :func:`~recurra.billing.reconcile.reconcile_pending` and
:func:`~recurra.billing.reconcile.settle_processing`; they live here until the
change under way in ``reconcile.py`` (a per-pass budget) has landed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from recurra.accounts.selectors import account_zone
from recurra.core import clock
from recurra.core.due import midnight
from recurra.payments.gateways import get_gateway
from recurra.payments.models import Payment, PaymentStatus


def pending_next_due(*, after: datetime) -> datetime | None:
    """``after`` while a payment is left ``pending`` past its lease (real time), else None."""
    stale = Payment.objects.filter(status=PaymentStatus.PENDING, lease_until_ms__lt=clock.epoch_ms())
    return after if stale.exists() else None


def processing_next_due(*, after: datetime) -> datetime | None:
    """The next settlement of a bank debit still ``processing``, as its gateway tells; a gateway
    that cannot tell is asked again at the next local midnight."""
    names = set(Payment.objects.filter(status=PaymentStatus.PROCESSING).values_list("gateway", flat=True))
    if not names:
        return None
    zone = account_zone()
    polled = midnight(after.astimezone(zone).date() + timedelta(days=1), zone)
    return min(get_gateway(name).next_change_at(after=after) or polled for name in names)
