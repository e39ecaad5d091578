"""Charging an open invoice again: scheduled retries, staff retries and the buyer's new method.

One path for all three. Under a lock on the invoice, a new ``pending``
payment is written for what is still due (each attempt is its own payment
with its own decline code; the invoice keeps one open balance), keyed
``<invoice>/<n>`` with ``n`` the invoice's attempts so far plus one; it is
then charged outside the transaction and recorded like a renewal's
(``billing.charging``). Two callers racing for one invoice (the retry job
and a buyer on the update page) queue on that lock, and the second finds a
payment in flight and charges nothing (or, asked to wait, raises
:class:`AttemptOnItsWay` so that its queued charge runs again later); were
both to get past it, the key's unique constraint keeps one payment, and the
gateway's idempotency one charge.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from recurra.billing.charging import charge_pending, lease_until_ms
from recurra.billing.outcomes import Outcomes
from recurra.core import events
from recurra.core.actors import Actor
from recurra.core.errors import Conflict
from recurra.invoicing.models import Invoice, InvoiceStatus
from recurra.payments.models import IN_FLIGHT, Payment, PaymentMethod, PaymentOrigin, PaymentStatus

MANUAL_RETRIES = 3  # per invoice


class AttemptOnItsWay(Exception):
    """The invoice has an attempt at the gateway: charge it once that is answered (the job retries)."""


def charge_invoices(
    invoice_ids: Iterable[str],
    *,
    origin: str,
    actor: Actor,
    at: datetime,
    method: PaymentMethod | None = None,
    waits: bool = False,
) -> Outcomes:
    """Charge each open invoice's amount due to ``method`` (default: its subscription's).

    Skipped, and not counted: invoices paid, void or with nothing due, those
    with a payment in flight (with ``waits``: :class:`AttemptOnItsWay` is
    raised instead, seen under the invoice's lock), and those without a usable method.
    """
    pending = [p for p in (_write_attempt(pk, origin, actor, at, method, waits) for pk in invoice_ids) if p]
    return charge_pending(pending, at=at)


def _write_attempt(
    invoice_id: str, origin: str, actor: Actor, at: datetime, method: PaymentMethod | None, waits: bool
) -> Payment | None:
    try:
        with transaction.atomic():
            invoice = (
                Invoice.objects.select_for_update(of=("self",))
                .select_related("subscription")
                .get(pk=invoice_id)
            )
            if invoice.status != InvoiceStatus.OPEN or invoice.amount_due <= 0:
                return None
            attempts = invoice.payments.all()
            if attempts.filter(status__in=IN_FLIGHT).exists():
                if waits:
                    raise AttemptOnItsWay(
                        f"invoice {invoice.pk} has a charge on its way; charged once answered"
                    )
                return None
            if origin == PaymentOrigin.MANUAL and _manual(invoice) >= MANUAL_RETRIES:
                return None
            sub = invoice.subscription
            chosen = method or (sub.payment_method if sub is not None else None)
            if chosen is None or chosen.detached_at is not None:
                return None
            payment = Payment.objects.create(
                invoice=invoice,
                subscription=sub,
                contact_id=invoice.contact_id,
                payment_method=chosen,
                amount=invoice.amount_due,
                currency=invoice.currency,
                method_type=chosen.type,
                status=PaymentStatus.PENDING,
                gateway=chosen.gateway,
                idempotency_key=f"{invoice.pk}/{attempts.count() + 1}",
                origin=origin,
                lease_until_ms=lease_until_ms(),
                created_at=at,
            )
            events.record(type="payment.created", obj=payment, actor=actor, after=events.snapshot(payment))
            return payment
    except IntegrityError:
        return None  # another caller wrote this attempt first: theirs is charged, not ours


def origin_counts(payments: Iterable[Payment]) -> dict[str, int]:
    """How many of ``payments`` each origin made (``renewal``, ``retry``, ``manual``, ``update_link``)."""
    counts = dict.fromkeys(PaymentOrigin.values, 0)
    for payment in payments:
        counts[payment.origin] += 1
    return counts


def payment_retry(*, payment: Payment, actor: Actor, at: datetime) -> Payment:
    """Staff retry a failed payment's invoice now (at most :data:`MANUAL_RETRIES` per invoice);
    returns the new attempt, whatever its outcome. 409 when there is nothing to retry."""
    if payment.status != PaymentStatus.FAILED:
        raise Conflict(gettext("only a failed payment can be retried"))
    invoice = payment.invoice
    if invoice.status != InvoiceStatus.OPEN or invoice.amount_due <= 0:
        raise Conflict(
            gettext("invoice %(number)s has nothing left to pay") % {"number": invoice.number or invoice.pk}
        )
    if _manual(invoice) >= MANUAL_RETRIES:
        raise Conflict(
            gettext("invoice %(number)s was already retried by hand %(count)s times")
            % {"number": invoice.number or invoice.pk, "count": MANUAL_RETRIES}
        )
    outcome = charge_invoices([invoice.pk], origin=PaymentOrigin.MANUAL, actor=actor, at=at)
    made = list(outcome.by_payment)
    if not made:
        raise Conflict(
            gettext("another payment of this invoice is on its way, or it has no usable payment method")
        )
    return Payment.objects.get(pk=made[0])


def _manual(invoice: Invoice) -> int:
    return invoice.payments.filter(origin=PaymentOrigin.MANUAL).count()
