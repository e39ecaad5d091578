"""Recording what the gateway answered: one code path for fresh charges, reconciled ones and settlements.

A payment's outcome is recorded at most once: only payments still ``pending``
(or ``processing``, for a settlement) are touched, under a row lock, so a
worker and the reconciler answering for the same charge cannot both count
it. Rows are locked in one order (payments, invoices, subscriptions; each by
id), which keeps concurrent workers free of deadlocks.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from recurra.accounts.selectors import account_settings, admin_recipients
from recurra.billing import status
from recurra.billing.digest import digest_schedule
from recurra.billing.first_payments import first_payment_failed, first_payment_succeeded
from recurra.billing.periods import paid_for_period
from recurra.billing.writes import SYSTEM, Batch
from recurra.billing.written import Written, lock
from recurra.core import clock
from recurra.core.actors import Actor
from recurra.core.instances import any_of, fetch, load_related
from recurra.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from recurra.payments.gateways.base import AUTHENTICATION_REQUIRED, Charge, ChargeStatus
from recurra.payments.models import IN_FLIGHT, Payment, PaymentOrigin, PaymentStatus
from recurra.subscriptions import notices
from recurra.subscriptions.canceling import cancellation_refund_queue
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.update_links import update_link_new

OPEN_OUTCOMES = IN_FLIGHT
# How long a buyer has to authenticate an on-session payment (3-D Secure) before the reconciler
# cancels it at the processor and records it failed.
AUTHENTICATION_WINDOW_MS = 15 * 60 * 1000


@dataclass
class Outcomes:
    succeeded: int = 0
    failed: int = 0
    processing: int = 0
    requires_action: int = 0
    skipped: int = 0
    by_payment: dict[str, str] = field(default_factory=dict)
    # payment id → the secret the buyer's page authenticates it with (REQUIRES_ACTION answers)
    actions: dict[str, str] = field(default_factory=dict)

    def __iadd__(self, other: Outcomes) -> Outcomes:
        self.succeeded += other.succeeded
        self.failed += other.failed
        self.processing += other.processing
        self.requires_action += other.requires_action
        self.skipped += other.skipped
        self.by_payment.update(other.by_payment)
        self.actions.update(other.actions)
        return self


def record_charges(
    answers: Sequence[tuple[str, Charge]],
    *,
    at: datetime,
    written: Written | None = None,
    actor: Actor = SYSTEM,
) -> Outcomes:
    """Apply each ``(payment id, gateway charge)`` answer: payment, invoice, subscription, emails, events.

    ``written``: the rows the caller's last transaction wrote, reused where unchanged (``billing.written``).
    """
    result = Outcomes()
    if not answers:
        return result
    known = written or Written()
    with transaction.atomic():
        open_payments = Payment.objects.filter(status__in=OPEN_OUTCOMES)
        payments = lock(open_payments, {pk for pk, _ in answers}, known.payments, known.xid)
        invoices = lock(
            Invoice.objects.all(), {p.invoice_id for p in payments.values()}, known.invoices(), known.xid
        )
        sub_ids = {p.subscription_id for p in payments.values() if p.subscription_id}
        first = _first_payment_subs(payments.values())
        sub_ids.update(pk for pks in first.values() for pk in pks)
        subs = lock(Subscription.objects.all(), sub_ids, known.subscriptions(), known.xid)
        load_related(payments.values(), "payment_method")  # its label on the receipt
        load_related(subs.values(), "contact")  # the emails' recipient
        lines = _lines_of([pk for pk in invoices if pk not in known.lines]) | {
            pk: known.lines[pk] for pk in invoices if pk in known.lines
        }
        batch = Batch(at=at, actor=actor)
        account = account_settings()
        recipients = admin_recipients() if account.admin_notifications_enabled else []
        overdue = _overdue_open(subs)
        for payment_id, charge in answers:
            payment = payments.get(payment_id)
            if payment is None or not _changes(payment, charge):
                result.skipped += 1
                continue
            invoice = invoices[payment.invoice_id]
            if payment.pk in first:
                bought = [subs[pk] for pk in first[payment.pk]]
                _apply_first(batch, payment, charge, invoice, bought, lines[invoice.pk], account, recipients)
            else:
                sub = subs.get(payment.subscription_id or "")
                _apply(batch, payment, charge, invoice, sub, lines[invoice.pk], account, recipients, overdue)
            result.by_payment[payment.pk] = payment.status
            setattr(result, payment.status, getattr(result, payment.status) + 1)
            if charge.status == ChargeStatus.REQUIRES_ACTION:
                result.actions[payment.pk] = charge.action_secret
        batch.flush()
        if result.succeeded or result.failed:
            digest_schedule(at=at)  # with the daily digest on, that day's summary is due
    return result


def _lines_of(invoice_ids: list[str]) -> dict[str, list[InvoiceLine]]:
    grouped: dict[str, list[InvoiceLine]] = defaultdict(list)
    if not invoice_ids:
        return grouped
    lines = InvoiceLine.objects.filter(any_of("invoice_id", invoice_ids)).order_by("position", "id")
    for line in fetch(lines):
        grouped[line.invoice_id].append(line)
    return grouped


def _first_payment_subs(payments: Iterable[Payment]) -> dict[str, list[str]]:
    """For each checkout payment: the subscriptions its purchase created (``billing.first_payments``)."""
    checkout = [p.pk for p in payments if p.origin == PaymentOrigin.CHECKOUT]
    found: dict[str, list[str]] = {pk: [] for pk in checkout}
    if checkout:
        rows = Subscription.objects.filter(purchase__payment_id__in=checkout).order_by("pk")
        for sub_id, payment_id in rows.values_list("pk", "purchase__payment_id"):
            found[payment_id].append(sub_id)
    return found


def _overdue_open(subs: dict[str, Subscription]) -> Counter[str]:
    """How many overdue invoices each subscription has open (those that made it Unpaid)."""
    rows = Invoice.objects.filter(
        any_of("subscription_id", subs), status=InvoiceStatus.OPEN, overdue_at__isnull=False
    ).values_list("subscription_id", flat=True)
    return Counter(rows)


def _changes(payment: Payment, charge: Charge) -> bool:
    """Whether the answer moves the payment on (``processing`` again is no news)."""
    return not (payment.status == PaymentStatus.PROCESSING and charge.status == ChargeStatus.PROCESSING)


# Charges made while the buyer is away: a bank that wants them to authenticate one emails them.
ASKS_BUYER = frozenset(
    {PaymentOrigin.RENEWAL, PaymentOrigin.RETRY, PaymentOrigin.MANUAL, PaymentOrigin.PRORATION}
)
WAITING = (ChargeStatus.PROCESSING, ChargeStatus.REQUIRES_ACTION)  # no outcome yet: nothing else moves


def _settle(batch: Batch, payment: Payment, charge: Charge) -> None:
    """The payment's own columns for the answer."""
    batch.change(payment, status=str(charge.status), gateway_charge_id=charge.charge_id)
    if charge.status == ChargeStatus.REQUIRES_ACTION:  # the buyer's window to authenticate it
        batch.change(payment, lease_until_ms=clock.epoch_ms() + AUTHENTICATION_WINDOW_MS)
    if charge.status == ChargeStatus.FAILED:
        batch.change(
            payment,
            failure_code=charge.failure_code or "",
            failure_message=charge.failure_message,
            retryable=charge.retryable,
            settled_at=batch.at,
        )
    elif charge.status == ChargeStatus.SUCCEEDED:
        batch.change(payment, settled_at=batch.at)


def _pay(batch: Batch, payment: Payment, invoice: Invoice) -> bool:
    """Add a succeeded payment to its invoice; whether the invoice is now paid."""
    paid = invoice.amount_paid + payment.amount
    batch.change(invoice, amount_paid=paid, amount_due=invoice.total - paid)
    if invoice.amount_due == 0:
        batch.change(invoice, status=InvoiceStatus.PAID, paid_at=batch.at)
    return invoice.status == InvoiceStatus.PAID


def _apply_first(
    batch: Batch,
    payment: Payment,
    charge: Charge,
    invoice: Invoice,
    subs: list[Subscription],
    lines: list[InvoiceLine],
    account: Any,
    recipients: list[str],
) -> None:
    """A checkout's first payment: the invoice, then every subscription it paid the first period of."""
    _settle(batch, payment, charge)
    if charge.status in WAITING:
        return
    if charge.status == ChargeStatus.FAILED and payment.origin == PaymentOrigin.ONLINE:
        return  # the buyer tried on the invoice's page and was told; it is Unpaid only once overdue
    if charge.status == ChargeStatus.FAILED:
        if invoice.overdue_at is None:
            batch.change(invoice, overdue_at=batch.at)
        first_payment_failed(batch, subs, invoice, payment, account, recipients)
        return
    _pay(batch, payment, invoice)
    first_payment_succeeded(batch, subs, lines)
    for sub in subs:
        cancellation_refund_queue(subscription=sub, payment=payment, at=batch.at)
    batch.email(notices.receipt(subs[0] if subs else None, invoice, lines, payment, account, bought=subs))
    batch.email(
        *notices.admin_notices("admin_payment_succeeded", None, invoice, payment, account, recipients)
    )


def _apply(
    batch: Batch,
    payment: Payment,
    charge: Charge,
    invoice: Invoice,
    sub: Subscription | None,
    lines: list[InvoiceLine],
    account: Any,
    recipients: list[str],
    overdue: Counter[str],
) -> None:
    _settle(batch, payment, charge)
    if charge.status in WAITING:
        return
    if charge.status == ChargeStatus.FAILED and payment.origin == PaymentOrigin.ONLINE:
        return  # the buyer tried on the invoice's page and was told; it is Unpaid only once overdue
    if charge.status == ChargeStatus.FAILED:
        if invoice.overdue_at is None:
            batch.change(invoice, overdue_at=batch.at)
            overdue[invoice.subscription_id or ""] += 1
        if sub is not None:
            batch.change(sub, status=status.after_failure(sub.status))
            if payment.origin in ASKS_BUYER and charge.failure_code == AUTHENTICATION_REQUIRED:
                # The bank wants the buyer: they confirm it on the invoice's page (3-D Secure there).
                batch.email(notices.payment_action_required(sub, invoice, payment, account))
            elif (
                payment.origin == PaymentOrigin.RENEWAL
            ):  # told of the first failure; dunning retries quietly
                if account.failed_payment_emails_enabled:
                    link, update_url = update_link_new(sub, at=batch.at)  # the email's "Update" button
                    batch.add(link)
                    batch.email(notices.payment_failed(sub, invoice, payment, account, update_url))
                batch.email(
                    *notices.admin_notices("admin_payment_failed", sub, invoice, payment, account, recipients)
                )
        return
    was_overdue = invoice.overdue_at is not None
    _pay(batch, payment, invoice)
    if sub is None:
        return
    cancellation_refund_queue(subscription=sub, payment=payment, at=batch.at)  # cancelled meanwhile
    if invoice.status == InvoiceStatus.PAID and was_overdue:
        overdue[sub.pk] -= 1
    if invoice.status == InvoiceStatus.PAID and invoice.period_index is not None:
        paid_for_period(batch, sub, payment.amount, overdue[sub.pk])
    else:  # part of an invoice, or a prorated one (no period of its own: no payment counted)
        batch.change(sub, total_collected=sub.total_collected + payment.amount)
        if invoice.status == InvoiceStatus.PAID:
            moved = status.after_payment(sub.status, term_complete=False, overdue_open=overdue[sub.pk])
            batch.change(sub, status=moved)
    batch.email(notices.receipt(sub, invoice, lines, payment, account))
    batch.email(*notices.admin_notices("admin_payment_succeeded", sub, invoice, payment, account, recipients))
