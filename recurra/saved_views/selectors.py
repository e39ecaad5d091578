"""Which views a user sees, and a view as the spec it stands for."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from recurra.accounts.models import User
from recurra.core.errors import ValidationFailed
from recurra.saved_views.models import ListObject, SavedView, Visibility
from recurra.saved_views.spec import (
    DEFAULT_COLUMNS,
    DEFAULT_SORT,
    Spec,
    parse_columns,
    parse_sort,
    stored_filters,
)


def visible_views(user: User | None) -> QuerySet[SavedView]:
    """The team's views and ``user``'s own private ones, oldest first (the tabs' order)."""
    mine = Q(owner=user) if user is not None else Q(pk__in=[])
    return SavedView.objects.filter(Q(visibility=Visibility.TEAM) | mine, object=ListObject.SUBSCRIPTIONS)


def spec_of(view: SavedView) -> Spec:
    """What ``view`` shows. Its JSON was checked when saved, by the rules of then: whatever no
    longer reads is left out (a column or sort: the default's), so its tab always opens."""
    try:
        columns = parse_columns(view.columns)
    except ValidationFailed:
        columns = DEFAULT_COLUMNS
    try:
        sort = parse_sort(view.sort or None)
    except ValidationFailed:
        sort = DEFAULT_SORT
    return Spec(stored_filters(view.filters), columns, sort)
