"""Subscription reads: the filtered, sorted list (keyset-paged) and one with its associations.

A list sorts by any sortable property (:mod:`recurra.subscriptions.properties`),
ascending or descending, then by ``id``. Subscriptions without a value for
the sort key (no next payment date once ended, no company) come last in both
directions, on every database (see :func:`recurra.core.pagination.paginate_keyset`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import reduce
from operator import and_

from django.db.models import Prefetch, Q, QuerySet

from recurra.core.errors import ValidationFailed
from recurra.core.pagination import DEFAULT_LIMIT, Keyset, Page, paginate_keyset
from recurra.invoicing.models import Invoice, InvoiceLine
from recurra.payments.models import Payment
from recurra.subscriptions.models import Subscription, SubscriptionStatus
from recurra.subscriptions.properties import PROPERTIES

DEFAULT_SORT = "-created_at"
SEARCH_WORDS = 5


def search_condition(q: str | None) -> Q:
    """Each word of ``q`` (the first five) in the name, or the contact's email, first or last name."""
    words = [t for t in (q or "").split() if t][:SEARCH_WORDS]
    return reduce(
        and_,
        (
            Q(name__icontains=word)
            | Q(contact__email__icontains=word)
            | Q(contact__first_name__icontains=word)
            | Q(contact__last_name__icontains=word)
            for word in words
        ),
        Q(),
    )


def parse_statuses(values: Iterable[str]) -> list[str]:
    """Statuses from repeated and/or comma-separated values; an unknown one is a 422 on ``status``."""
    statuses = [s.strip() for value in values for s in value.split(",") if s.strip()]
    unknown = [s for s in statuses if s not in SubscriptionStatus.values]
    if unknown:
        raise ValidationFailed.field(
            "status", f"unknown status {unknown[0]!r}; use {', '.join(SubscriptionStatus.values)}"
        )
    return list(dict.fromkeys(statuses))


def with_associations(qs: QuerySet[Subscription]) -> QuerySet[Subscription]:
    """Everything the API object shows, in a fixed number of queries however many rows."""
    return qs.prefetch_related(
        "line_items",
        Prefetch("invoice_lines", queryset=InvoiceLine.objects.only("id", "subscription_id", "invoice_id")),
        Prefetch("invoice_lines__invoice", queryset=Invoice.objects.only("id")),
        Prefetch("invoice_lines__invoice__payments", queryset=Payment.objects.only("id", "invoice_id")),
        Prefetch("invoices", queryset=Invoice.objects.only("id", "subscription_id")),
        Prefetch("invoices__payments", queryset=Payment.objects.only("id", "invoice_id")),
        Prefetch("payments", queryset=Payment.objects.only("id", "subscription_id")),
    )


def billed_records(sub: Subscription) -> tuple[list[str], list[str]]:
    """``(invoice ids, payment ids)`` of ``sub``, newest first: the invoices with a line of it and their
    payments (read through :func:`with_associations`' prefetch when there is one)."""
    invoices = {line.invoice_id: line.invoice for line in sub.invoice_lines.all()}
    invoices.update((i.pk, i) for i in sub.invoices.all())
    payments = {p.pk for invoice in invoices.values() for p in invoice.payments.all()}
    payments.update(p.pk for p in sub.payments.all())
    return sorted(invoices, reverse=True), sorted(payments, reverse=True)


def subscription_list(
    *,
    statuses: Iterable[str] = (),
    next_payment_date_gte: date | None = None,
    next_payment_date_lte: date | None = None,
    contact_id: str | None = None,
    company_id: str | None = None,
    q: str | None = None,
) -> QuerySet[Subscription]:
    """Subscriptions matching every filter given; ``q`` matches each word in the name or the contact's
    email or name."""
    qs = Subscription.objects.all()
    chosen = parse_statuses(statuses)
    if chosen:
        qs = qs.filter(status__in=chosen)
    if next_payment_date_gte is not None:
        qs = qs.filter(next_payment_date__gte=next_payment_date_gte)
    if next_payment_date_lte is not None:
        qs = qs.filter(next_payment_date__lte=next_payment_date_lte)
    if contact_id:
        qs = qs.filter(contact_id=contact_id)
    if company_id:
        qs = qs.filter(company_id=company_id)
    return qs.filter(search_condition(q))


def sort_keyset(sort: str) -> Keyset:
    """The ordering ``sort`` names: a sortable property, ``-`` first for descending (else a 422)."""
    key = sort.removeprefix("-")
    prop = PROPERTIES.get(key)
    if prop is None or not prop.sortable:
        sortable = ", ".join(k for k, p in PROPERTIES.items() if p.sortable)
        raise ValidationFailed.field("sort", f"must be a property to sort by, - first to reverse: {sortable}")
    return Keyset(prop.sort, descending=sort.startswith("-"), nullable=prop.nullable)


def subscription_page(
    qs: QuerySet[Subscription],
    *,
    sort: str = DEFAULT_SORT,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[Subscription]:
    """One page of ``qs`` in the ``sort`` order, with associations prefetched."""
    return paginate_keyset(with_associations(qs), sort_keyset(sort), limit=limit, cursor=cursor)


def subscription_get(pk: str) -> Subscription | None:
    return with_associations(Subscription.objects.filter(pk=pk)).first()
