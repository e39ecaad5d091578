"""Invoices made outside the billing run's schedule.

A checkout's first payment (one-time items and the first period of each
subscription that starts at purchase), and a deal or quote converted without
recurring items, are billed on an invoice of their own. Its ``period_index``
is null, so the one-invoice-per-period constraint does not count it; a line
that bills a subscription's first period names that subscription, its line
item (``line_item_id``) and the period's dates. The invoice itself names a
subscription only when the lines of exactly one are on it.

Lines are priced like the generator's (``catalog.pricing``, rounded per
line), so the invoice's total is exactly the sum of its lines. The number is
taken last, in the caller's transaction (``invoicing/numbering.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from recurra.accounts.selectors import account_settings
from recurra.catalog.terms import PAYMENT_TERM_DAYS
from recurra.core import events
from recurra.core.actors import Actor
from recurra.crm.models import Company, Contact
from recurra.invoicing.generator import LineSource, line_columns, price_lines
from recurra.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from recurra.invoicing.numbering import take_numbers


@dataclass(frozen=True, slots=True)
class Billed:
    """One line to bill and, when it bills a subscription's period, that subscription and period."""

    source: LineSource
    period_start: date | None = None
    period_end: date | None = None
    subscription_id: str | None = None


def line_source(item: Any, *, line_item_id: str = "") -> LineSource:
    """A LineSource from a line item (a model with the line item fields, or resolved values)."""

    def get(name: str) -> Any:
        return item.get(name) if isinstance(item, Mapping) else getattr(item, name)

    return LineSource(
        id=line_item_id,
        product_id=get("product_id") or None,
        name=get("name"),
        description=get("description") or "",
        unit_amount=get("unit_amount"),
        quantity=get("quantity"),
        discount_percent=get("discount_percent"),
        tax_rate_percent=get("tax_rate_percent"),
    )


def invoice_build(
    *,
    contact: Contact,
    company: Company | None,
    currency: str,
    billed: Sequence[Billed],
    collection_method: str,
    payment_terms: str,
    issued_on: date,
    name: str = "",
    language: str = "en",
    billing_address: Mapping[str, str] | None = None,
) -> tuple[Invoice, list[InvoiceLine]]:
    """An open invoice of ``billed`` (unsaved, unnumbered) and its lines; the invoice names a
    subscription only when exactly one has lines on it."""
    priced = price_lines(tuple(b.source for b in billed))
    owners = {b.subscription_id for b in billed if b.subscription_id}
    invoice = Invoice(
        status=InvoiceStatus.OPEN,
        subscription_id=owners.pop() if len(owners) == 1 else None,
        subscription_name=name,
        contact=contact,
        company=company,
        currency=currency,
        subtotal=sum(line.amount_subtotal for line in priced),
        discount=sum(line.amount_discount for line in priced),
        tax=sum(line.amount_tax for line in priced),
        total=sum(line.amount_total for line in priced),
        collection_method=collection_method,
        payment_terms=payment_terms,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=PAYMENT_TERM_DAYS[payment_terms]),
        language=language,
        billing_address=dict(billing_address if billing_address is not None else contact.address),
    )
    invoice.amount_due = invoice.total
    lines = [
        InvoiceLine(
            invoice=invoice,
            **line_columns(
                line, item.period_start, item.period_end, position, subscription_id=item.subscription_id
            ),
        )
        for position, (item, line) in enumerate(zip(billed, priced, strict=True))
    ]
    return invoice, lines


def invoice_save(invoice: Invoice, lines: list[InvoiceLine], *, actor: Actor) -> Invoice:
    """Number and save ``invoice`` with its lines, with an ``invoice.created`` event.

    Call inside the caller's transaction: the number is taken last, just
    before the commit, so the sequence stays gapless.
    """
    invoice.save(force_insert=True)
    InvoiceLine.objects.bulk_create(lines)
    invoice.number = take_numbers(account_settings().invoice_number_prefix, 1)[0]
    Invoice.objects.filter(pk=invoice.pk).update(number=invoice.number)
    events.record(
        type="invoice.created",
        obj=invoice,
        actor=actor,
        after={**events.snapshot(invoice), "lines": [events.snapshot(line) for line in lines]},
    )
    return invoice
