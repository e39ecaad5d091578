"""The subscriptions a spec selects: one page in its sort order, and how many there are.

The page and the count are separate reads (the index shows the page at once
and fills the count in after): a page is one keyset range scan, a count may
have to read every match (see :mod:`recurra.core.counting`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from recurra.accounts.selectors import account_zone
from recurra.catalog.schedule import local_date
from recurra.core.counting import RowCount, count_rows
from recurra.core.pagination import Page, paginate_keyset
from recurra.saved_views.query import filters_condition
from recurra.saved_views.spec import Filters, Spec
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.properties import related_of
from recurra.subscriptions.selectors import sort_keyset

PAGE_SIZE = 25
SCOPES = ("contact_id", "company_id")


def matching(
    filters: Filters, *, at: datetime, zone: ZoneInfo | None = None, scope: Mapping[str, str] | None = None
) -> QuerySet[Subscription]:
    """The subscriptions ``filters`` selects when looked at on ``at`` in ``zone`` (the account's
    unless given; relative dates resolved), of one contact or company when ``scope`` says so
    (``{"contact_id": ...}``)."""
    zone = zone or account_zone()
    condition = filters_condition(filters, today=local_date(at, zone), zone=zone)
    within = {name: value for name, value in (scope or {}).items() if name in SCOPES}
    return Subscription.objects.filter(condition, **within)


def index_page(
    spec: Spec,
    *,
    at: datetime,
    zone: ZoneInfo | None = None,
    scope: Mapping[str, str] | None = None,
    limit: int = PAGE_SIZE,
    cursor: str | None = None,
    before: str | None = None,
) -> Page[Subscription]:
    """One page of what ``spec`` shows (after ``cursor``, or before ``before``: see
    :func:`~recurra.core.pagination.paginate_keyset`), with the relations its columns show selected."""
    qs = matching(spec.filters, at=at, zone=zone, scope=scope).select_related(*related_of(spec.columns))
    return paginate_keyset(qs, sort_keyset(str(spec.sort)), limit=limit, cursor=cursor, before=before)


def index_count(
    filters: Filters,
    *,
    at: datetime,
    zone: ZoneInfo | None = None,
    scope: Mapping[str, str] | None = None,
    at_least: int = 0,
) -> RowCount:
    """How many ``filters`` selects; ``at_least`` rows are known to (the pages seen, and one more)."""
    return count_rows(matching(filters, at=at, zone=zone, scope=scope), at_least=at_least)
