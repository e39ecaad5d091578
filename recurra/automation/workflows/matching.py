"""Which subscriptions match a workflow's filters now: the saved views' compiler, one query a batch."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from recurra.accounts.selectors import account_zone
from recurra.catalog.schedule import local_date
from recurra.saved_views.query import filters_condition
from recurra.saved_views.spec import Filters
from recurra.subscriptions.models import Subscription

CHUNK = 900  # ids per query (under SQLite's variable limit with room for the filters' own)


def account_day(at: datetime) -> tuple[date, ZoneInfo]:
    """The account-local day at ``at`` and the zone (relative filters resolve against it)."""
    zone = account_zone()
    return local_date(at, zone), zone


def matching(filters: Filters, ids: Iterable[str], *, at: datetime) -> set[str]:
    """The subscriptions among ``ids`` that match ``filters`` at ``at`` (all of them, no filters)."""
    wanted = list(dict.fromkeys(ids))
    if filters.is_empty:
        return set(wanted)
    today, zone = account_day(at)
    condition = filters_condition(filters, today=today, zone=zone)
    found: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        found.update(Subscription.objects.filter(condition, pk__in=chunk).values_list("pk", flat=True))
    return found


def all_matching(filters: Filters, *, at: datetime) -> list[str]:
    """Every subscription matching ``filters`` now (a filter trigger's starting point)."""
    today, zone = account_day(at)
    condition = filters_condition(filters, today=today, zone=zone)
    return list(Subscription.objects.filter(condition).values_list("pk", flat=True))
