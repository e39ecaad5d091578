"""Reads of invoices and payments for the API (newest first; filters by their links and status).

- A subscription's invoices are those with a line of it (a purchase invoice
  bills several subscriptions' first periods); its payments are every
  payment of those invoices.
- A payment written but not yet answered by the gateway (``pending``) is, to
  the outside, still being processed: the ``processing`` filter includes it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from recurra.invoicing.models import Invoice, InvoiceLine
from recurra.payments.models import Payment, PaymentStatus


def invoice_ids_of(subscription_id: str) -> QuerySet[InvoiceLine, Any]:
    """The ids of the invoices with a line of ``subscription_id`` (a subquery)."""
    return InvoiceLine.objects.filter(subscription_id=subscription_id).values("invoice_id")


def invoices_of(subscription_id: str) -> Q:
    """Invoices of ``subscription_id``: named by it, or with a line of it."""
    return Q(subscription_id=subscription_id) | Q(pk__in=invoice_ids_of(subscription_id))


def payments_of(subscription_id: str) -> Q:
    """Payments of ``subscription_id``: named by it, or paying an invoice with a line of it."""
    return Q(subscription_id=subscription_id) | Q(invoice_id__in=invoice_ids_of(subscription_id))


def invoice_list(
    *, subscription_id: str | None = None, contact_id: str | None = None, status: str | None = None
) -> QuerySet[Invoice]:
    qs = Invoice.objects.prefetch_related("lines")
    if subscription_id:
        qs = qs.filter(invoices_of(subscription_id))
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
    owners = InvoiceLine.objects.only("invoice_id", "subscription_id").order_by("subscription_id")
    qs = Payment.objects.prefetch_related(Prefetch("invoice__lines", queryset=owners))
    if subscription_id:
        qs = qs.filter(payments_of(subscription_id))
    if invoice_id:
        qs = qs.filter(invoice_id=invoice_id)
    if status == PaymentStatus.PROCESSING:
        qs = qs.filter(status__in=(PaymentStatus.PROCESSING, PaymentStatus.PENDING))  # as shown
    elif status:
        qs = qs.filter(status=status)
    return qs
