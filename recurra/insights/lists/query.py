"""A list's filters as a database condition on contacts or companies: each property condition by
the views' compiler, each subscriptions condition an ``EXISTS`` over the record's subscriptions (the
subscriptions' own filter compiled by the same code). ``today`` and ``zone`` resolve relative
dates; nothing here reads the clock."""

from __future__ import annotations

from datetime import date
from functools import reduce
from operator import and_, or_
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q

from recurra.insights.lists.spec import PROPERTY_TABLES, Clause, ListFilters, SubscriptionsCondition
from recurra.saved_views.query import condition, filters_condition
from recurra.subscriptions.models import Subscription

# The subscription's field naming the record, by the list's object.
OWNER_FIELD = {"contacts": "contact", "companies": "company"}


def list_condition(filters: ListFilters, *, object: str, today: date, zone: ZoneInfo) -> Q:
    """Records matching at least one group (every clause of it); all records when no groups."""
    if not filters.groups:
        return Q()
    groups = [
        reduce(and_, (_clause(c, object=object, today=today, zone=zone) for c in group), Q())
        for group in filters.groups
    ]
    return reduce(or_, groups)


def _clause(clause: Clause, *, object: str, today: date, zone: ZoneInfo) -> Q:
    if not isinstance(clause, SubscriptionsCondition):
        return condition(clause, zone, today=today, properties=PROPERTY_TABLES[object])
    theirs = Subscription.objects.filter(**{OWNER_FIELD[object]: OuterRef("pk")})
    matching = filters_condition(clause.filters, today=today, zone=zone)
    if clause.match == "any":
        return Q(Exists(theirs.filter(matching)))
    if clause.match == "none":
        return ~Q(Exists(theirs.filter(matching)))
    if not matching:  # no subscription filter: every subscription matches (``exclude(Q())`` is all)
        return Q(Exists(theirs))
    return Q(Exists(theirs)) & ~Q(Exists(theirs.exclude(matching)))  # all: some, and none that do not
