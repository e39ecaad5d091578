"""Which recurring line items share a subscription.

Items with the same billing frequency, billing terms, first billing date and
number of payments become one subscription; any difference starts another
(a monthly and an annual item: two subscriptions). One-time items belong to
no subscription. Groups keep the order in which their first item appeared,
and items keep their order within a group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from recurra.catalog.terms import BillingTerms, is_recurring

Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class GroupKey:
    billing_frequency: str
    billing_terms: str
    start_date: date
    number_of_payments: int | None


@dataclass(frozen=True, slots=True)
class Group(Generic[Item]):
    key: GroupKey
    items: tuple[Item, ...]


def group_key(
    *, billing_frequency: str, billing_terms: str, start_date: date, number_of_payments: int | None
) -> GroupKey:
    """The grouping key; an auto-renewing item's number of payments is ignored (it has none)."""
    payments = number_of_payments if billing_terms == BillingTerms.FIXED else None
    return GroupKey(billing_frequency, billing_terms, start_date, payments)


def group_items(
    items: Iterable[Item], key: Callable[[Item], GroupKey], frequency: Callable[[Item], str]
) -> list[Group[Item]]:
    """The recurring ``items`` split into subscriptions by ``key``; one-time items are left out."""
    groups: dict[GroupKey, list[Item]] = {}
    for item in items:
        if is_recurring(frequency(item)):
            groups.setdefault(key(item), []).append(item)
    return [Group(k, tuple(v)) for k, v in groups.items()]
