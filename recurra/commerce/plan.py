"""What a checkout charges today and what it starts for later (pure: no database, no clock).

From a document's stored line items (a payment link's or a quote's) and the
purchase date (in the account's zone):

- one-time items are charged today;
- recurring items are grouped by the rule of ``subscriptions.grouping``; a
  group that starts on the purchase date has its first period charged today,
  a later one is a "future charge" (its first payment is on its start date);
- a fixed start date already past when the buyer pays starts at purchase
  instead (billing a period that has gone by would surprise the buyer).

HubSpot's rule that a checkout charges something today (and at least the
currency's minimum) is checked on this plan (``commerce.payment_links``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from recurra.catalog import schedule
from recurra.catalog.terms import BillingStartType, is_recurring
from recurra.subscriptions.grouping import Group, GroupKey, group_items, group_key


def item_start(item: Any, purchased_on: date) -> date:
    """The first billing date of a stored line item bought on ``purchased_on``."""
    if item.billing_start_type == BillingStartType.DATE and item.billing_start_date < purchased_on:
        return purchased_on
    return schedule.start_date(
        purchased_on,
        item.billing_start_type,
        on=item.billing_start_date,
        days=item.billing_start_days,
        months=item.billing_start_months,
    )


def item_key(item: Any, purchased_on: date) -> GroupKey:
    return group_key(
        billing_frequency=item.billing_frequency,
        billing_terms=item.billing_terms,
        start_date=item_start(item, purchased_on),
        number_of_payments=item.number_of_payments,
    )


@dataclass(frozen=True)
class Plan:
    purchased_on: date
    one_time: tuple[Any, ...]
    groups: tuple[Group[Any], ...]

    @property
    def starting_now(self) -> tuple[Group[Any], ...]:
        return tuple(g for g in self.groups if g.key.start_date <= self.purchased_on)

    @property
    def later(self) -> tuple[Group[Any], ...]:
        """The future charges: groups whose first payment is after today."""
        return tuple(g for g in self.groups if g.key.start_date > self.purchased_on)

    @property
    def due_today(self) -> tuple[Any, ...]:
        return self.one_time + tuple(item for g in self.starting_now for item in g.items)

    @property
    def amount_today(self) -> int:
        return sum(item.amounts.total for item in self.due_today)

    @property
    def has_recurring(self) -> bool:
        return bool(self.groups)


def plan(items: Sequence[Any], purchased_on: date) -> Plan:
    """The plan of ``items`` (stored line items, in order) bought on ``purchased_on``."""
    return Plan(
        purchased_on=purchased_on,
        one_time=tuple(i for i in items if not is_recurring(i.billing_frequency)),
        groups=tuple(
            group_items(
                items, key=lambda i: item_key(i, purchased_on), frequency=lambda i: i.billing_frequency
            )
        ),
    )


def group_amount(group: Group[Any]) -> int:
    """What each payment of a group's subscription comes to."""
    return sum(item.amounts.total for item in group.items)
