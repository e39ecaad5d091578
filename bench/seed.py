"""Seeding many due monthly subscriptions fast, for the billing benchmark and the race tests.

Each subscription started one month before ``at`` and has its first period
billed, so the run at ``at`` bills period 1 (a renewal). Its kind follows
its index (:func:`kind_of`): 90% ``tok_visa`` cards, 5% ``tok_fail_renewals``
cards already charged once (so the renewal FAILS), 5% ``send_invoice``
(net 30, no card). Amounts vary with the index; every tenth subscription has
a second, taxed line. ``next_payment_amount`` is the renewal's exact total.

Rows go in with ``core.bulk.insert_objects`` in chunks (memory stays
bounded whatever ``n``), without audit events: the seed is the state a
month of billing would have left, not part of what is measured.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction

from recurra.accounts.selectors import account_settings
from recurra.catalog.pricing import line_amounts
from recurra.core import ids
from recurra.core.bulk import insert_objects
from recurra.crm.models import Contact
from recurra.payments.gateways.models import SandboxCharge, SandboxMethod
from recurra.payments.models import PaymentMethod
from recurra.subscriptions.models import Subscription, SubscriptionLineItem

VISA, FAIL_RENEWALS, SEND_INVOICE = "tok_visa", "tok_fail_renewals", "send_invoice"
CHUNK = 2000
TAX = Decimal(25)


def kind_of(index: int) -> str:
    """Which kind the ``index``-th subscription is: 1 in 20 send_invoice, 1 in 20 failing, else visa."""
    return SEND_INVOICE if index % 20 == 0 else FAIL_RENEWALS if index % 20 == 1 else VISA


def lines_of(index: int) -> list[tuple[int, int, Decimal]]:
    """(unit amount, quantity, tax rate %) of each line of the ``index``-th subscription."""
    lines = [(1000 + (index % 7) * 250, 1 + index % 3, Decimal(0))]
    if index % 10 == 3:
        lines.append((499, 1, TAX))
    return lines


def total_of(index: int) -> int:
    return sum(
        line_amounts(unit_amount=u, quantity=q, discount_percent=Decimal(0), tax_rate_percent=t).total
        for u, q, t in lines_of(index)
    )


@dataclass(frozen=True)
class Seeded:
    n: int
    due_on: str  # ISO date the renewals are due (the local date of ``at``)
    expected_total: int  # sum of every renewal invoice's total


def seed_due_subscriptions(n: int, *, at: datetime, chunk: int = CHUNK, tag: str = "s") -> Seeded:
    """Write ``n`` subscriptions whose period 1 is due on ``at``'s date (UTC account zone)."""
    account_settings()  # the settings row (UTC, prefix INV-), made once
    total = 0
    for start in range(0, n, chunk):
        with transaction.atomic():
            total += _seed_chunk(range(start, min(n, start + chunk)), at=at, tag=tag)
    return Seeded(n=n, due_on=at.date().isoformat(), expected_total=total)


def _seed_chunk(indexes: range, *, at: datetime, tag: str) -> int:
    started = at - relativedelta(months=1)
    contacts, sbx_methods, methods, subs, items, charges = [], [], [], [], [], []
    total = 0
    for i in indexes:
        kind = kind_of(i)
        contact = Contact(
            id=ids.new_id("con"),
            email=f"{tag}{i}@bench.example",
            first_name="Bench",
            last_name=f"Customer {i}",
            country="US",
            created_at=started,
            updated_at=started,
        )
        contacts.append(contact)
        method = None
        if kind != SEND_INVOICE:
            sbx = _sandbox_method(kind, started)
            sbx_methods.append(sbx)
            method = _payment_method(contact, sbx, started)
            methods.append(method)
        amount = total_of(i)
        total += amount
        sub = _subscription(i, contact, method, amount, started, at)
        subs.append(sub)
        items.extend(_line_items(i, sub, started))
        if kind == FAIL_RENEWALS:
            charges.append(_first_charge(sub, sbx_methods[-1], amount, started))
    for rows in (contacts, sbx_methods, methods, subs, items, charges):
        insert_objects(rows)
    return total


def _sandbox_method(token: str, at: datetime) -> SandboxMethod:
    last4 = "4242" if token == VISA else "0341"
    return SandboxMethod(
        id=ids.new_id("sbxpm"),
        token=token,
        type="card",
        brand="visa",
        last4=last4,
        exp_month=at.month,
        exp_year=at.year + 3,
        created_at=at,
    )


def _payment_method(contact: Contact, sbx: SandboxMethod, at: datetime) -> PaymentMethod:
    return PaymentMethod(
        id=ids.new_id("pm"),
        contact=contact,
        gateway="sandbox",
        gateway_method_id=sbx.pk,
        type="card",
        brand=sbx.brand,
        last4=sbx.last4,
        exp_month=sbx.exp_month,
        exp_year=sbx.exp_year,
        created_at=at,
        updated_at=at,
    )


def _subscription(
    index: int, contact: Contact, method: PaymentMethod | None, amount: int, started: datetime, at: datetime
) -> Subscription:
    automatic = method is not None
    return Subscription(
        id=ids.new_id("sub"),
        name=f"Plan {index % 7}",
        status="active",
        contact=contact,
        currency="USD",
        billing_frequency="monthly",
        billing_terms="auto_renew",
        start_date=started.date(),
        periods_billed=1,
        next_payment_date=at.date(),
        next_payment_amount=amount,
        last_payment_amount=amount if automatic else None,
        payments_made=1 if automatic else 0,
        total_collected=amount if automatic else 0,
        line_items_mrr=amount,
        collection_method="charge_automatically" if automatic else "send_invoice",
        payment_terms="due_on_receipt" if automatic else "net_30",
        payment_method=method,
        country="US",
        created_at=started,
        updated_at=started,
    )


def _line_items(index: int, sub: Subscription, at: datetime) -> Iterator[SubscriptionLineItem]:
    for position, (unit, quantity, tax) in enumerate(lines_of(index)):
        yield SubscriptionLineItem(
            id=ids.new_id("li"),
            subscription=sub,
            name="Support add-on" if position else f"Plan {index % 7}",
            unit_amount=unit,
            currency="USD",
            quantity=quantity,
            discount_percent=Decimal(0),
            tax_rate_percent=tax,
            billing_frequency="monthly",
            billing_terms="auto_renew",
            position=position,
        )


def _first_charge(sub: Subscription, sbx: SandboxMethod, amount: int, at: datetime) -> SandboxCharge:
    """The period-0 charge of a ``tok_fail_renewals`` card: it makes every later charge fail."""
    return SandboxCharge(
        id=ids.new_id("sbxch"),
        idempotency_key=f"seed/{sub.pk}/0",
        method=sbx,
        method_ref=sbx.pk,
        method_type="card",
        amount=amount,
        currency="USD",
        status="succeeded",
        outcome="succeeded",
        created_at=at,
    )
