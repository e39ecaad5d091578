"""A subscription's ``total_collected`` is net of the refunds given back for it (``payments.refunds``' hook).

A refund counts against the subscription it was made for (``Refund.subscription``):
a cancellation's, or a payment's own subscription when staff refund it. A refund
of a purchase's one-time items, made for no subscription, counts against none.
"""

from __future__ import annotations

from django.db.models import F

from recurra.core.actors import Actor
from recurra.payments.models import Payment, Refund
from recurra.payments.refunds import on_refund_succeeded
from recurra.subscriptions.models import Subscription


@on_refund_succeeded("subscription.total_collected")
def subscription_refunded(refund: Refund, payment: Payment, actor: Actor) -> None:
    if refund.subscription_id:
        Subscription.objects.filter(pk=refund.subscription_id).update(
            total_collected=F("total_collected") - refund.amount
        )
