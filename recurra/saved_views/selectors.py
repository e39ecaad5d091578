"""Which views a user sees, and a view as the spec it stands for."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from recurra.accounts.models import User
from recurra.saved_views.models import ListObject, SavedView, Visibility
from recurra.saved_views.spec import Spec, parse_columns, parse_filters, parse_sort


def visible_views(user: User | None) -> QuerySet[SavedView]:
    """The team's views and ``user``'s own private ones, oldest first (the tabs' order)."""
    mine = Q(owner=user) if user is not None else Q(pk__in=[])
    return SavedView.objects.filter(Q(visibility=Visibility.TEAM) | mine, object=ListObject.SUBSCRIPTIONS)


def spec_of(view: SavedView) -> Spec:
    """What ``view`` shows (its stored JSON was checked when saved)."""
    return Spec(parse_filters(view.filters), parse_columns(view.columns), parse_sort(view.sort or None))
