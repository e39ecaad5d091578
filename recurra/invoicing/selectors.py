"""Reads of invoices and payments for the API (newest first; filters by their links and status).

A payment written but not yet answered by the gateway (``pending``) is, to
the outside, still being processed: the ``processing`` filter includes it.
"""

from __future__ import annotations

from django.db.models import QuerySet

from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment, PaymentStatus


def invoice_list(
    *, subscription_id: str | None = None, contact_id: str | None = None, status: str | None = None
) -> QuerySet[Invoice]:
    qs = Invoice.objects.prefetch_related("lines")
    if subscription_id:
        qs = qs.filter(subscription_id=subscription_id)
    if contact_id:
        qs = qs.filter(contact_id=contact_id)
    if status:
        qs = qs.filter(status=status)
    return qs


def invoice_get(pk: str) -> Invoice | None:
    return invoice_list().filter(pk=pk).first()


def public_payment_status(status: str) -> str:
    """The status the API shows: ``pending`` (gateway not yet answered) shows as ``processing``."""
    return PaymentStatus.PROCESSING if status == PaymentStatus.PENDING else status


def payment_list(
    *, subscription_id: str | None = None, invoice_id: str | None = None, status: str | None = None
) -> QuerySet[Payment]:
    qs = Payment.objects.all()
    if subscription_id:
        qs = qs.filter(subscription_id=subscription_id)
    if invoice_id:
        qs = qs.filter(invoice_id=invoice_id)
    if status == PaymentStatus.PROCESSING:
        qs = qs.filter(status__in=(PaymentStatus.PROCESSING, PaymentStatus.PENDING))
    elif status:
        qs = qs.filter(status=status)
    return qs
