"""Subscription reads: the filtered, sorted list (keyset-paged) and one with its associations.

Sorting by next payment date puts subscriptions without one (ended, fully
billed) last in both directions, on every database: the sort key is the date
with a far-future (ascending) or far-past (descending) stand-in for none, so
the keyset cursor compares plain dates. Every ordering ends in ``id``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import DateField, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from recurra.core.errors import ValidationFailed
from recurra.core.pagination import DEFAULT_LIMIT, Page, paginate
from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment
from recurra.subscriptions.models import Subscription, SubscriptionStatus


@dataclass(frozen=True)
class Sort:
    ordering: tuple[str, ...]
    annotations: dict[str, Any] = field(default_factory=dict)


def _next_payment_or(stand_in: date) -> Coalesce:
    return Coalesce("next_payment_date", Value(stand_in), output_field=DateField())


SORTS: dict[str, Sort] = {
    "-created_at": Sort(("-created_at", "-id")),
    "created_at": Sort(("created_at", "id")),
    "next_payment_date": Sort(("next_payment_on", "id"), {"next_payment_on": _next_payment_or(date.max)}),
    "-next_payment_date": Sort(("-next_payment_on", "-id"), {"next_payment_on": _next_payment_or(date.min)}),
    "name": Sort(("name", "id")),
}
DEFAULT_SORT = "-created_at"


def _terms(q: str | None) -> list[str]:
    return [t for t in (q or "").split() if t][:5]


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
    return qs.select_related("purchase").prefetch_related(
        "line_items",
        Prefetch("invoices", queryset=Invoice.objects.only("id", "subscription_id").order_by("-id")),
        Prefetch("payments", queryset=Payment.objects.only("id", "subscription_id").order_by("-id")),
    )


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
    for term in _terms(q):
        qs = qs.filter(
            Q(name__icontains=term)
            | Q(contact__email__icontains=term)
            | Q(contact__first_name__icontains=term)
            | Q(contact__last_name__icontains=term)
        )
    return qs


def subscription_page(
    qs: QuerySet[Subscription],
    *,
    sort: str = DEFAULT_SORT,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[Subscription]:
    """One page of ``qs`` in the ``sort`` order, with associations prefetched."""
    if sort not in SORTS:
        raise ValidationFailed.field("sort", f"must be one of {', '.join(SORTS)}")
    chosen = SORTS[sort]
    qs = with_associations(qs.annotate(**chosen.annotations))
    return paginate(qs, limit=limit, cursor=cursor, ordering=chosen.ordering)


def subscription_get(pk: str) -> Subscription | None:
    return with_associations(Subscription.objects.filter(pk=pk)).first()
