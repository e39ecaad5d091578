"""The invoice generator: pure, no database, no clock (Kill Bill's InvoiceGenerator).

Given what a subscription bills and how many periods are already billed, it
returns a draft for every period that should be billed on or before
``through`` and is not yet: recompute, then bill only what is missing.
Running it again after the drafts were saved returns nothing.

Each draft bills every line item once for the whole period (no proration
here). Amounts are rounded per line (``catalog.pricing``), so a draft's total
is exactly the sum of its lines. Issued on ``through`` (the day of the run),
due after the payment terms.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from recurra.catalog.pricing import line_amounts
from recurra.catalog.schedule import Period, periods_through, step_for


@dataclass(frozen=True, slots=True)
class LineSource:
    """A subscription line item, as the generator needs it."""

    id: str
    product_id: str | None
    name: str
    description: str
    unit_amount: int
    quantity: int
    discount_percent: Decimal
    tax_rate_percent: Decimal


@dataclass(frozen=True, slots=True)
class BillingSource:
    """What a subscription bills: its schedule, its terms and its lines."""

    subscription_id: str
    anchor: date
    billing_frequency: str
    number_of_payments: int | None
    periods_billed: int
    payment_term_days: int
    lines: tuple[LineSource, ...]
    anchor_period: int = 0  # ``anchor`` starts this period (re-anchored schedules)


@dataclass(frozen=True, slots=True)
class LineDraft:
    source: LineSource
    amount_discount: int
    amount_subtotal: int
    amount_tax: int
    amount_total: int


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    subscription_id: str
    period: Period
    issued_on: date
    due_on: date
    lines: tuple[LineDraft, ...]
    subtotal: int
    discount: int
    tax: int
    total: int


def line_columns(
    line: LineDraft, start: date | None, end: date | None, position: int, *, subscription_id: str | None
) -> dict[str, Any]:
    """An invoice line's column values for a priced line billed for ``start``–``end`` of
    ``subscription_id``'s period (None: a one-time item)."""
    return {
        "subscription_id": subscription_id,
        "line_item_id": line.source.id,
        "product_id": line.source.product_id or "",
        "name": line.source.name,
        "description": line.source.description,
        "quantity": line.source.quantity,
        "unit_amount": line.source.unit_amount,
        "discount_percent": line.source.discount_percent,
        "tax_rate_percent": line.source.tax_rate_percent,
        "amount_discount": line.amount_discount,
        "amount_subtotal": line.amount_subtotal,
        "amount_tax": line.amount_tax,
        "amount_total": line.amount_total,
        "period_start": start,
        "period_end": end,
        "position": position,
    }


# Pure and mostly asked the same few questions (a batch bills the same prices again and again).
_line_amounts = functools.lru_cache(maxsize=4096)(line_amounts)


def price_lines(lines: tuple[LineSource, ...]) -> tuple[LineDraft, ...]:
    drafts = []
    for line in lines:
        amounts = _line_amounts(
            unit_amount=line.unit_amount,
            quantity=line.quantity,
            discount_percent=line.discount_percent,
            tax_rate_percent=line.tax_rate_percent,
        )
        drafts.append(LineDraft(line, amounts.discount, amounts.net, amounts.tax, amounts.total))
    return tuple(drafts)


def draft_invoice(
    *, subscription_id: str, period: Period, lines: tuple[LineDraft, ...], issued_on: date, term_days: int
) -> InvoiceDraft:
    return InvoiceDraft(
        subscription_id=subscription_id,
        period=period,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=term_days),
        lines=lines,
        subtotal=sum(line.amount_subtotal for line in lines),
        discount=sum(line.amount_discount for line in lines),
        tax=sum(line.amount_tax for line in lines),
        total=sum(line.amount_total for line in lines),
    )


def missing_invoices(source: BillingSource, *, through: date) -> list[InvoiceDraft]:
    """A draft for each period from ``periods_billed`` whose start is on or before ``through``."""
    periods = periods_through(
        source.anchor,
        step_for(source.billing_frequency),
        through,
        first=source.periods_billed,
        number_of_payments=source.number_of_payments,
        anchor_period=source.anchor_period,
    )
    lines = price_lines(source.lines)
    return [
        draft_invoice(
            subscription_id=source.subscription_id,
            period=period,
            lines=lines,
            issued_on=through,
            term_days=source.payment_term_days,
        )
        for period in periods
    ]
