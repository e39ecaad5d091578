"""Marking an invoice paid by another method (bank transfer, cash, cheque): staff record a payment.

The payment is written as any other (``gateway="offline"``, ``method_type="offline"``, origin
``offline``, with the method and the staff's reference) and its success is recorded through the
same path as a gateway's answer (``outcomes.record_charges``), in one transaction: the invoice is
paid, the subscription counts the period and leaves Unpaid when nothing else is overdue, and the
receipt and notices go out. Only an open invoice with something due and no payment on its way can
be marked paid (409); it is paid in full.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from recurra.billing.outcomes import record_charges
from recurra.core import events, ids
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, ValidationFailed
from recurra.invoicing.models import Invoice, InvoiceStatus
from recurra.payments.gateways.base import Charge, ChargeStatus
from recurra.payments.models import IN_FLIGHT, MethodType, OfflineMethod, Payment, PaymentOrigin

GATEWAY = "offline"


def invoice_mark_paid(
    *, invoice: Invoice, method: str, reference: str, actor: Actor, at: datetime
) -> Payment:
    if method not in OfflineMethod.values:
        raise ValidationFailed.field("method", f"must be one of {', '.join(OfflineMethod.values)}")
    reference = reference.strip()
    if len(reference) > 200:
        raise ValidationFailed.field("reference", "must be at most 200 characters")
    with transaction.atomic():
        locked = Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
        if locked.status != InvoiceStatus.OPEN or locked.amount_due <= 0:
            raise Conflict(f"invoice {locked.number or locked.pk} has nothing left to pay")
        if locked.payments.filter(status__in=IN_FLIGHT).exists():
            raise Conflict("a payment of this invoice is on its way: wait for its answer")
        payment = Payment.objects.create(
            invoice=locked,
            subscription_id=locked.subscription_id,
            contact_id=locked.contact_id,
            amount=locked.amount_due,
            currency=locked.currency,
            method_type=MethodType.OFFLINE,
            gateway=GATEWAY,
            idempotency_key=f"{locked.pk}/offline/{ids.new_id('off')}",
            origin=PaymentOrigin.OFFLINE,
            offline_method=method,
            reference=reference,
            created_at=at,
        )
        events.record(type="payment.created", obj=payment, actor=actor, after=events.snapshot(payment))
        answer = Charge(
            idempotency_key=payment.idempotency_key,
            charge_id="",
            amount=payment.amount,
            currency=payment.currency,
            status=ChargeStatus.SUCCEEDED,
            method_type=MethodType.OFFLINE,
        )
        record_charges([(payment.pk, answer)], at=at, actor=actor)
    payment.refresh_from_db()
    return payment
