"""Purchases left ``pending``: the checkout's process died, or the gateway did not answer.

After :data:`STALE_AFTER` (the buyer's request is long over) the gateway is
asked by the purchase's idempotency key; a charge it never saw is made now
with the same key, as the buyer asked (the gateway makes at most one charge
per key). The answer completes or declines the purchase exactly as the
checkout would have (``commerce.checkout.purchase_settle``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Min

from recurra.commerce.checkout import charge_and_complete, purchase_settle
from recurra.commerce.models import Purchase, PurchaseStatus
from recurra.core.due import not_before
from recurra.core.errors import Unavailable, ValidationFailed
from recurra.payments.gateways import get_gateway
from recurra.payments.gateways.base import GatewayError
from recurra.payments.services import PaymentNeedsAction

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=10)
BATCH = 100


def reconcile_purchases(*, at: datetime) -> int:
    """Settle the stale pending purchases; returns how many were settled."""
    stale = Purchase.objects.filter(status=PurchaseStatus.PENDING, created_at__lt=at - STALE_AFTER)
    settled = 0
    for purchase in stale.order_by("created_at", "pk")[:BATCH]:
        try:
            charge = get_gateway().lookup(
                purchase.idempotency_key, at=at, reference=purchase.gateway_charge_id
            )
            if charge is None:
                charge_and_complete(purchase, at)
            else:
                purchase_settle(purchase, charge, at=at)
        except (ValidationFailed, PaymentNeedsAction):
            pass  # declined: recorded on the purchase; or the buyer is still authenticating it
        except (GatewayError, Unavailable):
            log.warning("purchase %s: the gateway did not answer; trying again later", purchase.pk)
            continue
        settled += 1
    return settled


def purchases_next_due(*, after: datetime) -> datetime | None:
    """When :func:`reconcile_purchases` next has a purchase to settle (``core.due``): the
    earliest pending one's ``created_at`` plus ``STALE_AFTER``."""
    first = Purchase.objects.filter(status=PurchaseStatus.PENDING).aggregate(t=Min("created_at"))["t"]
    return not_before(first + STALE_AFTER if first else None, after=after)
