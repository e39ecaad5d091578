"""Subscription reads: the filtered, sorted list (keyset-paged) and one with its associations.

A list sorts by any sortable property (:mod:`recurra.subscriptions.properties`),
ascending or descending, then by ``id``. Subscriptions without a value for
the sort key (no next payment date once ended, no company) come last in both
directions, on every database (see :func:`recurra.core.pagination.paginate_keyset`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import reduce
from operator import and_

from django.db.models import Q, QuerySet

from recurra.core.errors import ValidationFailed
from recurra.core.pagination import DEFAULT_LIMIT, Keyset, Page, paginate_keyset
from recurra.core.prepared import Prepared
from recurra.invoicing.models import Invoice, InvoiceLine
from recurra.payments.models import Payment
from recurra.subscriptions.models import Subscription, SubscriptionLineItem, SubscriptionStatus
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


def _invoices_of(ids: Sequence[str], *, pairs: bool = True) -> QuerySet[InvoiceLine]:
    """The invoices with a line of one of the subscriptions or naming one: (subscription id,
    invoice id) pairs, or the invoice ids alone."""
    lines = InvoiceLine.objects.filter(subscription_id__in=ids).order_by()
    named = Invoice.objects.filter(subscription_id__in=ids).order_by()
    if pairs:
        return lines.values_list("subscription_id", "invoice_id").union(  # type: ignore[return-value]
            named.values_list("subscription_id", "id")
        )
    return lines.values_list("invoice_id").union(named.values_list("id"))  # type: ignore[return-value]


def _payments_of(ids: Sequence[str]) -> QuerySet[Payment]:
    """The payments naming one of the subscriptions or paying one of their invoices (a UNION, so
    that each half reads its own index: an OR of the two is a scan of every payment)."""
    columns = ("id", "invoice_id", "subscription_id")
    named = Payment.objects.filter(subscription_id__in=ids).order_by().values_list(*columns)
    paying = Payment.objects.filter(invoice_id__in=_invoices_of(ids, pairs=False)).order_by()
    return named.union(paying.values_list(*columns))  # type: ignore[return-value]


_SUBSCRIPTION = Prepared(Subscription, lambda pk: Subscription.objects.filter(pk=pk).order_by())
_LINE_ITEMS = Prepared(
    SubscriptionLineItem,
    lambda ids: SubscriptionLineItem.objects.filter(subscription_id__in=ids).order_by("position", "id"),
)
_INVOICES = Prepared(InvoiceLine, _invoices_of, columns=("subscription_id", "invoice_id"))
_PAYMENTS = Prepared(Payment, _payments_of, columns=("id", "invoice_id", "subscription_id"))


def with_associations(subs: Iterable[Subscription]) -> list[Subscription]:
    """``subs`` with everything the API object shows loaded: three queries however many rows
    (their line items; the ids of their invoices; the ids of their payments), read back by
    :func:`line_items_of` and :func:`billed_records`.

    A subscription's invoices are those with a line of it and those that name it; its payments,
    those of these invoices and those that name it (:func:`billed_records` reads them back).
    """
    rows = list(subs)
    if not rows:
        return rows
    ids = [s.pk for s in rows]
    items: dict[str, list[SubscriptionLineItem]] = {pk: [] for pk in ids}
    for item in _LINE_ITEMS.objects(ids):
        items[item.subscription_id].append(item)
    invoices: dict[str, set[str]] = {pk: set() for pk in ids}
    of_invoice: dict[str, set[str]] = {}
    for sub_id, invoice_id in _INVOICES.rows(ids):
        invoices[sub_id].add(invoice_id)
        of_invoice.setdefault(invoice_id, set()).add(sub_id)
    payments: dict[str, set[str]] = {pk: set() for pk in ids}
    for pay_id, invoice_id, sub_id in _PAYMENTS.rows(ids):
        for owner in of_invoice.get(invoice_id, set()) | ({sub_id} if sub_id in payments else set()):
            payments[owner].add(pay_id)
    for sub in rows:
        sub.loaded_line_items = items[sub.pk]
        sub.billed_ids = (sorted(invoices[sub.pk], reverse=True), sorted(payments[sub.pk], reverse=True))
    return rows


def line_items_of(sub: Subscription) -> list[SubscriptionLineItem]:
    """``sub``'s line items in their order (as :func:`with_associations` loaded them, else read now)."""
    if not hasattr(sub, "loaded_line_items"):
        with_associations([sub])
    return sub.loaded_line_items


def billed_records(sub: Subscription) -> tuple[list[str], list[str]]:
    """``(invoice ids, payment ids)`` of ``sub``, newest first (see :func:`with_associations`, which
    loads them; two queries here when it has not)."""
    if not hasattr(sub, "billed_ids"):
        with_associations([sub])
    return sub.billed_ids


def subscription_list(
    *,
    statuses: Iterable[str] = (),
    next_payment_date_gte: date | None = None,
    next_payment_date_lte: date | None = None,
    contact_id: str | None = None,
    company_id: str | None = None,
    owner_id: int | None = None,
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
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
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
    """One page of ``qs`` in the ``sort`` order, with associations loaded."""
    page = paginate_keyset(qs, sort_keyset(sort), limit=limit, cursor=cursor)
    with_associations(page.data)
    return page


def subscription_get(pk: str) -> Subscription | None:
    """The subscription ``pk`` with its associations loaded (None when there is none)."""
    found = with_associations(_SUBSCRIPTION.objects(pk))
    return found[0] if found else None
