"""Filters as a database condition: one ``Q`` per spec, relative dates resolved for one day.

``today`` is the account-local day the list is looked at (presets and
date-time comparisons depend on it and on ``zone``); nothing here reads the
clock. Each condition is one indexable comparison where it can be: "next 7
days" is a range on ``next_payment_date``, not a function of it.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import and_, or_
from zoneinfo import ZoneInfo

from django.db.models import Q

from recurra.core.dates import clamped
from recurra.saved_views.spec import DAYS_OPERATORS, IN_LIST, LISTED, Condition, Due, Filters, Op
from recurra.subscriptions.lifecycle import BILLABLE
from recurra.subscriptions.models import SubscriptionStatus
from recurra.subscriptions.properties import PROPERTIES, Kind, Property
from recurra.subscriptions.selectors import search_condition


def filters_condition(filters: Filters, *, today: date, zone: ZoneInfo) -> Q:
    """Rows matching every quick filter and at least one advanced group (when there are groups)."""
    parts = [search_condition(filters.q)]
    if filters.statuses:
        parts.append(Q(status__in=filters.statuses))
    if filters.due:
        parts.append(due_condition(filters.due, today))
    if filters.groups:
        groups = [
            reduce(and_, (condition(c, zone, today=today) for c in group), Q()) for group in filters.groups
        ]
        parts.append(reduce(or_, groups))
    return reduce(and_, parts, Q())


def due_range(due: Due, today: date) -> tuple[date | None, date | None]:
    """The inclusive range of next payment dates a preset means on ``today`` (overdue: before it)."""
    if due.preset == "today":
        return today, today
    if due.preset == "next_7_days":
        return today, today + timedelta(days=6)
    if due.preset == "next_30_days":
        return today, today + timedelta(days=29)
    if due.preset == "this_month":
        last = calendar.monthrange(today.year, today.month)[1]
        return today.replace(day=1), today.replace(day=last)
    if due.preset == "overdue":
        return None, today - timedelta(days=1)
    return due.start, due.end


def due_condition(due: Due, today: date) -> Q:
    """The quick filter on the next payment date. "Overdue" is what should have been paid by
    now: Unpaid subscriptions, and billable ones whose next payment date has passed unbilled."""
    start, end = due_range(due, today)
    if due.preset == "overdue":
        return Q(status=SubscriptionStatus.PAST_DUE) | Q(status__in=BILLABLE, next_payment_date__lt=today)
    q = Q()
    if start is not None:
        q &= Q(next_payment_date__gte=start)
    if end is not None:
        q &= Q(next_payment_date__lte=end)
    return q


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _compare(prop: Property, zone: ZoneInfo) -> Callable[[str, object], Q]:
    """``compare(lookup, value)``: a Q on the property's column; a date-time property compares
    a date with the instants of that day in ``zone``. A day far outside the supported range (a
    view saved before it was checked) is :func:`~recurra.core.dates.clamped` first, so that the
    next day, and each day's start in UTC, exist."""
    if prop.kind != Kind.DATETIME:
        return lambda lookup, value: Q(**{f"{prop.path}__{lookup}": value})

    def by_day(lookup: str, value: object) -> Q:
        assert isinstance(value, date)
        value = clamped(value)
        start, end = _day_start(value, zone), _day_start(value + timedelta(days=1), zone)
        if lookup == "exact":
            return Q(**{f"{prop.path}__gte": start, f"{prop.path}__lt": end})
        if lookup == "lt":
            return Q(**{f"{prop.path}__lt": start})
        return Q(**{f"{prop.path}__gte": end})  # gt: from the next day on

    return by_day


# Conditions that are no property of a subscription, compiled by a package above (a port):
# name → compile(value, *, today, zone) -> Q. ``in_list``: registered by ``insights``.
_SPECIAL: dict[str, Callable[..., Q]] = {}


def register_condition(name: str, compile: Callable[..., Q]) -> None:
    _SPECIAL[name] = compile


def days_range(operator: str, days: int, today: date) -> tuple[date, date]:
    """The inclusive range of days "within the next/last N days" means on ``today``: N days
    starting, or ending, today (as the "Next 7 days" preset).

    >>> days_range("within_next_days", 7, date(2027, 1, 30))
    (datetime.date(2027, 1, 30), datetime.date(2027, 2, 5))
    >>> days_range("within_last_days", 1, date(2027, 1, 30))
    (datetime.date(2027, 1, 30), datetime.date(2027, 1, 30))
    """
    span = timedelta(days=days - 1)
    return (today, today + span) if operator == Op.WITHIN_NEXT_DAYS else (today - span, today)


def condition(
    c: Condition, zone: ZoneInfo, *, today: date, properties: Mapping[str, Property] = PROPERTIES
) -> Q:
    """One advanced condition on a property of ``properties`` (a subscription's unless told) as a Q
    (see :mod:`recurra.saved_views.spec` for the operators); ``today`` for relative ones."""
    if c.property == IN_LIST and properties is PROPERTIES:
        special = _SPECIAL.get(c.property)
        return special(c.values[0], today=today, zone=zone) if special else Q(pk__in=[])
    prop = properties[c.property]
    compare = _compare(prop, zone)
    values = c.values
    if c.operator in DAYS_OPERATORS:
        values, c = days_range(c.operator, values[0], today), Condition(c.property, Op.BETWEEN, ())
    if c.operator in (Op.IS_EMPTY, Op.IS_NOT_EMPTY):
        empty = Q(**{f"{prop.path}__isnull": True})
        if prop.kind == Kind.TEXT:
            empty |= Q(**{prop.path: ""})
        return empty if c.operator == Op.IS_EMPTY else ~empty
    if c.operator == Op.CONTAINS:
        return reduce(or_, (Q(**{f"{path}__icontains": values[0]}) for path in prop.text or (prop.path,)))
    if c.operator in (Op.IS, Op.IS_NOT):
        if prop.kind in LISTED:  # any of; a user's "is not" matches no owner too
            matched = Q(**{f"{prop.path}__in": values})
        elif prop.kind == Kind.TEXT:
            matched = Q(**{f"{prop.path}__iexact": values[0]})
        else:
            matched = compare("exact", values[0])
        return matched if c.operator == Op.IS else ~matched
    if c.operator == Op.BETWEEN:
        low, high = values
        if prop.kind == Kind.DATETIME:  # from the first day's start to the last day's end
            end = _day_start(clamped(high) + timedelta(days=1), zone)
            return Q(**{f"{prop.path}__gte": _day_start(clamped(low), zone), f"{prop.path}__lt": end})
        return Q(**{f"{prop.path}__gte": low, f"{prop.path}__lte": high})
    lookup = "lt" if c.operator in (Op.BEFORE, Op.LESS_THAN) else "gt"
    return compare(lookup, values[0])
