"""Reads behind the billing pages: lists, the upcoming payment schedule, emails and timelines.

Rules:
- Lists are newest first (ids are time-ordered) and filter only on what the
  page passes; an empty filter means "all".
- The upcoming schedule is computed from the anchor, never from the
  previous date (anchor Jan 31: Feb 28, Mar 31, Apr 30, …), and stops at the
  end of a fixed term. A subscription that will not bill again (paused,
  canceled, expired, or canceling at the period end) has none.
- A timeline is the audit events of a record and of the records it produced
  (a subscription's invoices and payments), newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from recurra.catalog.schedule import period_start, step_for
from recurra.core.models import Event
from recurra.core.money import Money
from recurra.invoicing import selectors as invoicing
from recurra.invoicing.models import Invoice
from recurra.notifications.models import EmailMessage
from recurra.payments.models import Payment
from recurra.subscriptions import selectors as subscriptions
from recurra.subscriptions.lifecycle import BILLABLE
from recurra.subscriptions.models import Subscription
from recurra.web.timeline import TimelineEntry, timeline_entries

UPCOMING_COUNT = 12
TIMELINE_SIZE = 50


def subscription_list(
    *, q: str = "", contact_id: str | None = None, status: str | None = None
) -> QuerySet[Subscription]:
    """The API's filters (one rule for both), with what the list page shows."""
    return subscriptions.subscription_list(
        statuses=[status] if status else (), contact_id=contact_id, q=q
    ).select_related("contact", "company")


def invoice_list(
    *, q: str = "", subscription_id: str | None = None, status: str | None = None
) -> QuerySet[Invoice]:
    """The API's filters, plus a search by number or contact email, with what the list page shows."""
    qs = invoicing.invoice_list(subscription_id=subscription_id, status=status)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(contact__email__icontains=q))
    return qs.prefetch_related(None).select_related("contact", "subscription")


def payment_list(
    *,
    q: str = "",
    subscription_id: str | None = None,
    invoice_id: str | None = None,
    status: str | None = None,
) -> QuerySet[Payment]:
    """The API's filters (``processing`` includes payments awaiting the gateway's answer), plus a
    search by id, charge id or contact email."""
    qs = invoicing.payment_list(subscription_id=subscription_id, invoice_id=invoice_id, status=status)
    if q:
        qs = qs.filter(Q(pk=q) | Q(gateway_charge_id=q) | Q(contact__email__icontains=q))
    return qs.select_related("contact", "invoice", "payment_method")


def emails_about(**ids: str) -> QuerySet[EmailMessage]:
    """The message log's emails about one record: ``emails_about(subscription_id=sub.pk)``."""
    return EmailMessage.objects.filter(**ids).order_by("-id")


@dataclass(frozen=True)
class UpcomingPayment:
    number: int  # 1-based payment number (for a fixed term: of number_of_payments)
    on: date
    amount: Money


def upcoming_payments(sub: Subscription, *, count: int = UPCOMING_COUNT) -> list[UpcomingPayment]:
    """The next ``count`` payment dates and amounts, from the first period not yet billed."""
    if sub.status not in BILLABLE or sub.cancel_at_period_end or sub.next_payment_date is None:
        return []
    step = step_for(sub.billing_frequency)
    last = sub.periods_billed + count
    if sub.number_of_payments is not None:
        last = min(last, sub.number_of_payments)
    amount = Money(sub.next_payment_amount, sub.currency)
    anchor, anchor_period = sub.anchor
    return [
        UpcomingPayment(index + 1, period_start(anchor, step, index - anchor_period), amount)
        for index in range(sub.periods_billed, last)
    ]


def timeline(
    condition: Q, *, record_id: str, currency: str, size: int = TIMELINE_SIZE
) -> list[TimelineEntry]:
    events = Event.objects.filter(condition).order_by("-created_at", "-id")[:size]
    return timeline_entries(events, record_id=record_id, currency=currency)


def subscription_timeline(sub: Subscription) -> list[TimelineEntry]:
    invoices = Invoice.objects.filter(invoicing.invoices_of(sub.pk)).values("pk")
    payments = Payment.objects.filter(invoicing.payments_of(sub.pk)).values("pk")
    condition = Q(object_id=sub.pk) | Q(object_id__in=invoices) | Q(object_id__in=payments)
    return timeline(condition, record_id=sub.pk, currency=sub.currency)


def invoice_timeline(invoice: Invoice) -> list[TimelineEntry]:
    payments = Payment.objects.filter(invoice=invoice).values("pk")
    condition = Q(object_id=invoice.pk) | Q(object_id__in=payments)
    return timeline(condition, record_id=invoice.pk, currency=invoice.currency)


def payment_timeline(payment: Payment) -> list[TimelineEntry]:
    return timeline(Q(object_id=payment.pk), record_id=payment.pk, currency=payment.currency)
