"""What a subscription has paid for and not used: the prorated refund of cancelling it on a day.

The rule, read from invoice lines (each names its subscription and period):

- Every paid invoice with lines of the subscription whose period has not
  ended on ``day`` counts: the period's own invoice, its share of a purchase
  invoice (a checkout that started several subscriptions and sold one-time
  items), and a prorated upgrade's invoice (its credit and charge lines bill
  the rest of the period from the edit).
- The subscription's share of an invoice is the total of its lines there,
  less what was already refunded *for it* from that invoice's payments.
  A credit invoice (a downgrade) was paid by nobody and gives nothing back.
- Of each share, the days from ``day`` to the period's end are unused
  (``proration.unused``: account-local days, rounded half up once).
- That amount goes back to the invoice's payments newest first, never more
  than a payment has left to refund.

Pure arithmetic first (:func:`unused_shares`, :func:`spread`); :func:`refunds_due`
loads the rows and calls it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import cast

from django.db.models import Sum

from recurra.catalog.schedule import Period
from recurra.invoicing.models import InvoiceLine, InvoiceStatus
from recurra.payments.models import Payment, PaymentStatus, Refund
from recurra.payments.refunds import refundable_amount
from recurra.subscriptions import proration
from recurra.subscriptions.models import Subscription

REFUNDABLE = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED)
GIVEN_BACK = (Refund.Status.SUCCEEDED, Refund.Status.PENDING)


@dataclass(frozen=True, slots=True)
class Share:
    """A subscription's lines on one paid invoice for one period: their total, less its refunds."""

    invoice_id: str
    period: Period
    amount: int


def unused_shares(shares: Iterable[Share], day: date) -> dict[str, int]:
    """Per invoice, what its shares buy from ``day`` to their periods' ends.

    >>> jan = Period(0, date(2027, 1, 1), date(2027, 2, 1))
    >>> unused_shares([Share("in_1", jan, 3100), Share("in_2", jan, -50)], date(2027, 1, 22))
    {'in_1': 1000}
    """
    left: dict[str, int] = defaultdict(int)
    for share in shares:
        if share.amount > 0:
            left[share.invoice_id] += proration.unused(share.amount, share.period, day)
    return {invoice: amount for invoice, amount in left.items() if amount > 0}


def spread(amount: int, payments: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """``amount`` over ``(payment id, refundable)`` newest first, each at most its refundable.

    >>> spread(700, [("pay_2", 500), ("pay_1", 500)])
    [('pay_2', 500), ('pay_1', 200)]
    """
    planned = []
    for payment_id, refundable in payments:
        if amount <= 0:
            break
        part = min(amount, refundable)
        if part > 0:
            planned.append((payment_id, part))
            amount -= part
    return planned


@dataclass(frozen=True)
class RefundsDue:
    """What cancelling on ``day`` gives back: ``(payment, amount)`` pairs, and the period it is for."""

    planned: list[tuple[Payment, int]]
    period: Period | None

    @property
    def total(self) -> int:
        return sum(amount for _, amount in self.planned)


def refunds_due(
    sub: Subscription, day: date, *, invoice_ids: Sequence[str] | None = None, lock: bool = False
) -> RefundsDue:
    """The unused days of what ``sub`` paid for on ``day`` (see the module), over its payments.

    ``invoice_ids`` limits it to those invoices (a charge that settled after the cancellation);
    ``lock`` locks the payments to refund (inside the transaction that reserves the refunds).
    """
    lines = InvoiceLine.objects.filter(
        subscription=sub,
        period_end__gt=day,
        period_start__isnull=False,  # a subscription's line always has its period
        invoice__status=InvoiceStatus.PAID,
        invoice__amount_paid__gt=0,
    )
    if invoice_ids is not None:
        lines = lines.filter(invoice_id__in=invoice_ids)
    totals = list(
        lines.values("invoice_id", "period_start", "period_end")
        .annotate(total=Sum("amount_total"))
        .order_by("period_start", "invoice_id")
    )
    if not totals:
        return RefundsDue([], None)
    invoices = sorted({row["invoice_id"] for row in totals})
    paying = Payment.objects.filter(invoice_id__in=invoices, status__in=REFUNDABLE).order_by(
        "-created_at", "-pk"
    )
    payments = list(paying.select_for_update() if lock else paying)
    given = dict(
        Refund.objects.filter(payment__invoice_id__in=invoices, subscription=sub, status__in=GIVEN_BACK)
        .values_list("payment__invoice_id")
        .annotate(total=Sum("amount"))
    )
    shares = []
    for row in totals:
        less = given.pop(row["invoice_id"], 0)  # one period of a subscription per invoice
        period = Period(0, cast(date, row["period_start"]), cast(date, row["period_end"]))
        shares.append(Share(row["invoice_id"], period, row["total"] - less))
    planned: list[tuple[Payment, int]] = []
    by_id = {p.pk: p for p in payments}
    for invoice_id, amount in unused_shares(shares, day).items():
        own = [(p.pk, refundable_amount(p)) for p in payments if p.invoice_id == invoice_id]
        planned.extend((by_id[pk], part) for pk, part in spread(amount, own))
    return RefundsDue(planned, shares[0].period)
