"""The billing run: claim due subscriptions, invoice every missing period, charge, record.

For each batch (Kill Bill's dispatcher around the pure generator):

1. One transaction claims up to ``batch_size`` due subscriptions (PostgreSQL:
   ``FOR UPDATE SKIP LOCKED``, so concurrent workers take disjoint batches;
   SQLite: the single writer), derives the periods that should be billed up to
   today (in the account's zone) and writes, for each missing one, the invoice
   (unique per subscription and period: the database's last guard) and, for
   automatic collection, a ``pending`` payment with its idempotency key. The
   invoice numbers are taken late: only the numbered invoices, their events
   and emails are written after them (``invoicing/numbering.py``).
2. Outside any transaction, the gateway charges each pending payment with its
   key (a crash here is settled by ``billing.reconcile``).
3. One transaction records the answers (``billing.outcomes``).

Send-invoice subscriptions get their invoice emailed instead. Re-running is a
no-op: a billed period has moved ``next_payment_date`` past today.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from threading import Event
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Min

from recurra.accounts.models import AccountSettings
from recurra.accounts.selectors import account_settings, account_settings_held, account_zone
from recurra.billing import status
from recurra.billing.charging import charge_pending, lease_until_ms
from recurra.billing.outcomes import Outcomes
from recurra.billing.periods import paid_for_period
from recurra.billing.writes import Batch
from recurra.billing.written import Written, writer_xid
from recurra.catalog.schedule import local_date, period_start, step_for
from recurra.catalog.terms import PAYMENT_TERM_DAYS, CollectionMethod
from recurra.core import collector
from recurra.core.due import day_due
from recurra.core.instances import any_of, build, fetch, load_related
from recurra.invoicing.generator import (
    BillingSource,
    InvoiceDraft,
    LineSource,
    line_columns,
    missing_invoices,
)
from recurra.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from recurra.invoicing.numbering import take_numbers
from recurra.payments.models import Payment, PaymentStatus
from recurra.subscriptions import notices
from recurra.subscriptions.lifecycle import BILLABLE
from recurra.subscriptions.models import (
    Subscription,
    SubscriptionLineItem,
    SubscriptionStatus,
    invoice_fields,
)
from recurra.subscriptions.update_links import update_link_new

log = logging.getLogger(__name__)
BATCH_SIZE = 500
MAX_CONFLICTS = 5


@dataclass
class RunReport:
    subscriptions: int = 0
    invoices: int = 0
    payments: int = 0
    outcomes: Outcomes = field(default_factory=Outcomes)

    def __iadd__(self, other: RunReport) -> RunReport:
        self.subscriptions += other.subscriptions
        self.invoices += other.invoices
        self.payments += other.payments
        self.outcomes += other.outcomes
        return self


def billing_run(
    *, at: datetime, batch_size: int = BATCH_SIZE, threads: int | None = None, stop: Event | None = None
) -> RunReport:
    """Bill everything due on the account-local date of ``at``; returns what it did.

    When the first batch comes back full, ``threads`` (default
    ``RECURRA_BILLING_THREADS``) bill the rest side by side, each on its own
    connection and claiming its own batches as separate workers would: while
    one waits on the database or the gateway, another computes. Inside a
    transaction, or on SQLite (one writer), batches run one after another on
    the caller's connection. A set ``stop`` (the worker shutting down) ends the run
    between batches: a batch is claimed, invoiced, charged and recorded whole, and
    the subscriptions not claimed stay due for the next run.
    """
    today = local_date(at, account_zone())
    report = RunReport()
    if not _bill_batches(report, at=at, today=today, batch_size=batch_size, batches=1, stop=stop):
        return report
    threads = threads or settings.RECURRA_BILLING_THREADS
    if threads <= 1 or connection.in_atomic_block or connection.vendor != "postgresql":
        _bill_batches(report, at=at, today=today, batch_size=batch_size, stop=stop)
        return report
    with ThreadPoolExecutor(threads, thread_name_prefix="billing") as pool:
        runs = [
            pool.submit(_bill_batches_in_thread, at=at, today=today, batch_size=batch_size, stop=stop)
            for _ in range(threads)
        ]
        for run in runs:
            report += run.result()
    return report


def _bill_batches_in_thread(**kwargs: Any) -> RunReport:
    report = RunReport()
    try:
        _bill_batches(report, **kwargs)
    finally:
        connection.close()  # this thread's own
    return report


def _bill_batches(
    report: RunReport,
    *,
    at: datetime,
    today: date,
    batch_size: int,
    batches: int | None = None,
    stop: Event | None = None,
) -> bool:
    """Claim, invoice, charge and record batch after batch until a claim comes back empty
    (False), ``stop`` is set (False), or ``batches`` of them (True when the last was full:
    more may be due). Each batch reads the account settings once: a change saved meanwhile
    applies from the next batch."""
    conflicts = 0
    while True:
        if stop is not None and stop.is_set():
            return False
        with account_settings_held():  # read once per batch (invoicing, charging and recording)
            try:
                with collector.paused():
                    claimed, written = _invoice_batch(at=at, today=today, limit=batch_size, report=report)
            except IntegrityError:
                # The database refused a second invoice for a period: another writer billed it
                # between our claim and our insert (only possible when a claim is bypassed). The
                # batch rolled back whole; claim afresh, and give up if it keeps happening.
                conflicts += 1
                log.warning("billing batch met an already-billed period (%d)", conflicts, exc_info=True)
                if conflicts >= MAX_CONFLICTS:
                    raise
                continue
            if not claimed:
                return False
            with collector.paused():
                report.outcomes += charge_pending(list(written.payments.values()), at=at, written=written)
        if batches is not None:
            batches -= 1
            if not batches:
                return claimed == batch_size


def _invoice_batch(*, at: datetime, today: date, limit: int, report: RunReport) -> tuple[int, Written]:
    account = account_settings()
    with transaction.atomic():
        subs = _claim(today, limit)
        if not subs:
            return 0, Written()
        items = _line_items([s.pk for s in subs])
        batch = Batch(at=at)
        invoices: list[tuple[Invoice, Subscription, list[InvoiceLine]]] = []
        lines_of: dict[str, list[InvoiceLine]] = {}
        pending: list[Payment] = []
        for sub in subs:
            drafts = missing_invoices(_source(sub, items[sub.pk]), through=today)
            billed = sub.periods_billed + len(drafts)
            batch.change(sub, periods_billed=billed, status=status.after_invoicing(sub.status))
            batch.change(sub, next_payment_date=next_payment_date_after(sub, billed))
            for draft in drafts:
                invoice, lines = _invoice(sub, draft, at)
                invoices.append((invoice, sub, lines))
                lines_of[invoice.pk] = lines
                batch.add(*lines, event=False)
                payment = _payment(sub, invoice, at)
                if payment is not None:
                    batch.add(payment)
                    pending.append(payment)
        batch.flush()
        _number_and_send(batch, invoices, account)
        report.subscriptions += len(subs)
        report.invoices += len(invoices)
        report.payments += len(pending)
        xid = writer_xid(pending[0]) if pending else None
    return len(subs), Written(xid, {p.pk: p for p in pending}, lines_of)


def _claim(today: date, limit: int) -> list[Subscription]:
    qs = Subscription.objects.filter(  # those set to cancel at their period's end are cancelled instead
        status__in=BILLABLE, next_payment_date__lte=today, cancel_at_period_end=False
    ).order_by("next_payment_date", "pk")
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    subs = fetch(qs[:limit])
    load_related(subs, "contact")
    load_related(subs, "payment_method")
    return subs


def _line_items(sub_ids: list[str]) -> dict[str, list[SubscriptionLineItem]]:
    grouped: dict[str, list[SubscriptionLineItem]] = defaultdict(list)
    items = SubscriptionLineItem.objects.filter(any_of("subscription_id", sub_ids)).order_by("position", "pk")
    for item in fetch(items):
        grouped[item.subscription_id].append(item)
    return grouped


def _source(sub: Subscription, items: list[SubscriptionLineItem]) -> BillingSource:
    anchor, anchor_period = sub.anchor
    return BillingSource(
        subscription_id=sub.pk,
        anchor=anchor,
        anchor_period=anchor_period,
        billing_frequency=sub.billing_frequency,
        number_of_payments=sub.number_of_payments,
        periods_billed=sub.periods_billed,
        payment_term_days=PAYMENT_TERM_DAYS[sub.payment_terms],
        lines=tuple(
            LineSource(
                id=i.pk,
                product_id=i.product_id,
                name=i.name,
                description=i.description,
                unit_amount=i.unit_amount,
                quantity=i.quantity,
                discount_percent=i.discount_percent,
                tax_rate_percent=i.tax_rate_percent,
            )
            for i in items
        ),
    )


def next_payment_date_after(sub: Subscription, billed: int) -> date | None:
    """The start of period ``billed`` (the next to bill); None once a fixed term is all billed."""
    if sub.number_of_payments is not None and billed >= sub.number_of_payments:
        return None
    anchor, anchor_period = sub.anchor
    return period_start(anchor, step_for(sub.billing_frequency), billed - anchor_period)


def _invoice(sub: Subscription, draft: InvoiceDraft, at: datetime) -> tuple[Invoice, list[InvoiceLine]]:
    invoice = build(
        Invoice,
        **invoice_fields(sub),
        status=InvoiceStatus.OPEN,
        subtotal=draft.subtotal,
        discount=draft.discount,
        tax=draft.tax,
        total=draft.total,
        amount_due=draft.total,
        issued_on=draft.issued_on,
        due_on=draft.due_on,
        period_start=draft.period.start,
        period_end=draft.period.end,
        period_index=draft.period.index,
        created_at=at,
        updated_at=at,
    )
    period = draft.period
    lines = [
        build(
            InvoiceLine,
            invoice=invoice,
            **line_columns(line, period.start, period.end, position, subscription_id=sub.pk),
        )
        for position, line in enumerate(draft.lines)
    ]
    return invoice, lines


def _payment(sub: Subscription, invoice: Invoice, at: datetime) -> Payment | None:
    """The pending payment of an automatically collected invoice (None: nothing to charge here)."""
    if sub.collection_method != CollectionMethod.CHARGE_AUTOMATICALLY or invoice.total == 0:
        return None
    method = sub.payment_method
    if method is None or not _chargeable(sub):
        return None
    return build(
        Payment,
        invoice=invoice,
        subscription=sub,
        contact_id=sub.contact_id,
        payment_method=method,
        amount=invoice.total,
        currency=invoice.currency,
        method_type=method.type,
        status=PaymentStatus.PENDING,
        gateway=method.gateway,
        idempotency_key=f"{invoice.pk}/1",
        lease_until_ms=lease_until_ms(),
        created_at=at,
        updated_at=at,
    )


def _chargeable(sub: Subscription) -> bool:
    return sub.payment_method is not None and sub.payment_method.detached_at is None


def _number_and_send(
    batch: Batch, invoices: list[tuple[Invoice, Subscription, list[InvoiceLine]]], account: AccountSettings
) -> None:
    """Number the batch's invoices (the last statements before the commit), then queue their emails."""
    numbers = take_numbers(account.invoice_number_prefix, len(invoices))
    for (invoice, sub, lines), number in zip(invoices, numbers, strict=True):
        invoice.number = number
        if invoice.total == 0:
            invoice.status, invoice.paid_at = InvoiceStatus.PAID, batch.at
            paid_for_period(batch, sub, 0, overdue_open=int(sub.status == SubscriptionStatus.PAST_DUE))
        elif sub.collection_method == CollectionMethod.SEND_INVOICE:
            batch.email(notices.invoice_sent(sub, invoice, lines, account))
        elif not _chargeable(sub):
            invoice.overdue_at = batch.at
            batch.change(sub, status=status.after_failure(sub.status))
            if account.failed_payment_emails_enabled:
                link, update_url = update_link_new(sub, at=batch.at)  # the email's "Update" button
                batch.add(link)
                batch.email(notices.payment_failed(sub, invoice, None, account, update_url))
        batch.add(invoice)
    batch.flush()


def billing_next_due(*, after: datetime) -> datetime | None:
    """When :func:`billing_run` next has a period to bill (``core.due``): the earliest next payment
    date of a billable subscription (those set to cancel at their period's end are cancel_due's)."""
    zone = account_zone()
    day = Subscription.objects.filter(status__in=BILLABLE, cancel_at_period_end=False).aggregate(
        d=Min("next_payment_date")
    )["d"]
    return day_due(day, zone, after=after)
