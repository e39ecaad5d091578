"""An invoice's ``amount_refunded`` follows the refunds of its payments (``payments.refunds``' hook)."""

from __future__ import annotations

from django.db.models import F

from recurra.core.actors import Actor
from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment, Refund
from recurra.payments.refunds import on_refund_succeeded


@on_refund_succeeded("invoice.amount_refunded")
def invoice_refunded(refund: Refund, payment: Payment, actor: Actor) -> None:
    Invoice.objects.filter(pk=payment.invoice_id).update(amount_refunded=F("amount_refunded") + refund.amount)
