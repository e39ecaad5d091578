"""Seeding a large subscriptions list, for the index and export benchmarks.

Subscription ``i`` (what each looks like follows its index, so runs repeat):

- status: 5% Unpaid (next payment date in the past), 5% Scheduled (in the
  next two months), 5% Paused, 5% Canceled and 2.5% Expired (no next
  payment date), the rest Active;
- monthly, or annually for one in five (next payment date spread over the
  month or the year after ``at``); created up to two years before ``at``;
- one contact per five subscriptions, four in five of them with a company
  (one per fifty subscriptions).

With ``associations``, every subscription also has one or two line items,
one or two paid invoices with a payment each, and one in ten a deal (and one
in twenty a quote of it): the association columns of an export.

Rows go in through ``core.bulk.insert_objects`` (COPY on PostgreSQL) in
chunks, so memory stays bounded whatever ``n``; no audit events.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from recurra.accounts.selectors import account_settings
from recurra.commerce.models import Quote
from recurra.core import ids
from recurra.core.bulk import insert_objects, new_row
from recurra.crm.models import Company, Contact, Deal
from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment
from recurra.subscriptions.models import Subscription, SubscriptionLineItem

CHUNK = 5000
PER_CONTACT = 5
PER_COMPANY = 50


def status_of(i: int) -> str:
    kind = i % 40
    return {0: "past_due", 20: "past_due", 1: "scheduled", 21: "scheduled", 2: "paused", 22: "paused"}.get(
        kind, "canceled" if kind in (3, 23) else "expired" if kind == 4 else "active"
    )


def next_payment_date(i: int, status: str, today: date) -> date | None:
    if status in ("canceled", "expired"):
        return None
    if status == "past_due":
        return today - timedelta(days=1 + i % 20)
    if status == "scheduled":
        return today + timedelta(days=1 + i % 60)
    return today + timedelta(days=(i * 7919) % (365 if i % 5 == 0 else 31))


def seed_listing(n: int, *, at: datetime, chunk: int = CHUNK, associations: bool = False) -> None:
    """Write ``n`` subscriptions (and their contacts and companies; see the module)."""
    account_settings()
    for start in range(0, n, chunk):
        with transaction.atomic():
            _seed_chunk(range(start, min(n, start + chunk)), at=at, associations=associations)


def prepared(n: int, *, fresh: bool, at: datetime, associations: bool = False) -> int:
    """Migrate, freeze the clock at ``at``, seed ``n`` subscriptions unless an earlier run left
    some (a reused database), then VACUUM ANALYZE; the subscriptions there are."""
    from django.core.management import call_command

    from bench.database import vacuum_analyze
    from recurra.core import clock

    call_command("migrate", verbosity=0)
    clock.freeze(at)
    if fresh or not Subscription.objects.exists():
        seed_listing(n, at=at, associations=associations)
        vacuum_analyze()
    return Subscription.objects.count()


def _seed_chunk(indexes: range, *, at: datetime, associations: bool) -> None:
    today = at.date()
    companies = {
        i // PER_COMPANY: Company(
            id=ids.new_id("com"), name=f"Company {i // PER_COMPANY}", created_at=at, updated_at=at
        )
        for i in indexes
        if i % PER_COMPANY == 0
    }
    contacts: dict[int, Contact] = {}
    rows: dict[str, list[Any]] = {
        name: [] for name in ("deals", "quotes", "subs", "items", "invoices", "payments")
    }
    for i in indexes:
        owner = i // PER_CONTACT
        if owner not in contacts:
            company = companies.get(i // PER_COMPANY) if owner % 5 else None
            contacts[owner] = Contact(
                id=ids.new_id("con"),
                email=f"customer{owner}@bench.example",
                first_name=("Ingrid", "Ola", "Kari", "Lars", "Sofie")[owner % 5],
                last_name=f"Customer {owner}",
                company=company,
                created_at=at,
                updated_at=at,
            )
        contact = contacts[owner]
        deal = _deal(i, contact, at) if associations and i % 10 == 0 else None
        if deal is not None:
            rows["deals"].append(deal)
            if i % 20 == 0:
                rows["quotes"].append(_quote(deal, at))
        sub = _subscription(i, contact, deal, at, today)
        rows["subs"].append(sub)
        if associations:
            rows["items"] += _line_items(i, sub)
            for invoice in _invoices(i, sub):
                rows["invoices"].append(invoice)
                rows["payments"].append(_payment(invoice, at))
    insert_objects(list(companies.values()))
    insert_objects(list(contacts.values()))
    insert_objects(rows["deals"], Deal)
    insert_objects(rows["quotes"], Quote)
    insert_objects(rows["subs"])
    insert_objects(rows["items"], SubscriptionLineItem)
    insert_objects(rows["invoices"], Invoice)
    insert_objects(rows["payments"], Payment)


def _subscription(i: int, contact: Contact, deal: Any, at: datetime, today: date) -> Subscription:
    status = status_of(i)
    annual = i % 5 == 0
    amount = 1000 + (i % 9) * 500
    paid = 1 + i % 3
    ended = at - timedelta(days=i % 30) if status in ("canceled", "expired") else None
    return Subscription(
        id=ids.new_id("sub"),
        name=f"{('Starter', 'Pro', 'Team', 'Enterprise')[i % 4]} {'annual' if annual else 'monthly'} {i}",
        status=status,
        contact=contact,
        company_id=contact.company_id,
        deal_id=deal.id if deal is not None else None,
        currency="USD",
        billing_frequency="annually" if annual else "monthly",
        billing_terms="auto_renew",
        start_date=today - timedelta(days=i % 700),
        periods_billed=paid,
        payments_made=paid,
        next_payment_date=next_payment_date(i, status, today),
        next_payment_amount=amount,
        last_payment_amount=amount,
        total_collected=amount * paid,
        line_items_mrr=0 if ended else (amount // 12 if annual else amount),
        collection_method="send_invoice" if i % 10 == 7 else "charge_automatically",
        payment_terms="net_30" if i % 10 == 7 else "due_on_receipt",
        canceled_at=ended if status == "canceled" else None,
        ended_at=ended,
        paused_at=at - timedelta(days=3) if status == "paused" else None,
        country=("US", "NO", "GB", "DE")[i % 4],
        city=("Austin", "Oslo", "London", "Berlin")[i % 4],
        created_at=at - timedelta(days=i % 700, minutes=i % 1440),
        updated_at=at,
    )


def _deal(i: int, contact: Contact, at: datetime) -> Any:
    return new_row(
        Deal,
        id=ids.new_id("deal"),
        name=f"Deal {i}",
        currency="USD",
        contact_id=contact.id,
        company_id=contact.company_id,
        created_at=at,
        updated_at=at,
    )


def _quote(deal: Any, at: datetime) -> Any:
    return new_row(
        Quote,
        id=ids.new_id("quo"),
        name=f"Quote for {deal.name}",
        status="accepted",
        deal_id=deal.id,
        contact_id=deal.contact_id,
        company_id=deal.company_id,
        currency="USD",
        expires_on=at.date(),
        created_at=at,
        updated_at=at,
    )


def _line_items(i: int, sub: Subscription) -> Iterator[Any]:
    for position in range(1 + (i % 3 == 0)):
        yield new_row(
            SubscriptionLineItem,
            id=ids.new_id("li"),
            subscription_id=sub.id,
            name="Extra seats" if position else sub.name,
            unit_amount=500 if position else sub.next_payment_amount,
            currency="USD",
            quantity=1 + position,
            discount_percent=Decimal(0),
            tax_rate_percent=Decimal(0),
            billing_frequency=sub.billing_frequency,
            billing_terms="auto_renew",
            position=position,
        )


def _invoices(i: int, sub: Subscription) -> Iterator[Any]:
    for n in range(1 + i % 2):
        issued = sub.start_date + timedelta(days=30 * n)
        yield new_row(
            Invoice,
            id=ids.new_id("in"),
            number=f"B-{i}-{n}",
            status="paid",
            subscription_id=sub.id,
            subscription_name=sub.name,
            contact_id=sub.contact_id,
            company_id=sub.company_id,
            currency="USD",
            subtotal=sub.next_payment_amount,
            total=sub.next_payment_amount,
            amount_paid=sub.next_payment_amount,
            amount_due=0,
            collection_method=sub.collection_method,
            payment_terms=sub.payment_terms,
            issued_on=issued,
            due_on=issued,
            period_start=issued,
            period_end=issued + timedelta(days=30),
            period_index=n,
            created_at=sub.created_at,
            updated_at=sub.created_at,
        )


def _payment(invoice: Any, at: datetime) -> Any:
    return new_row(
        Payment,
        id=ids.new_id("pay"),
        invoice_id=invoice.id,
        subscription_id=invoice.subscription_id,
        contact_id=invoice.contact_id,
        amount=invoice.total,
        currency="USD",
        method_type="card",
        status="succeeded",
        gateway="sandbox",
        idempotency_key=f"bench/{invoice.id}",
        settled_at=at,
        created_at=at,
        updated_at=at,
    )
