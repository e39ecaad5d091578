"""The default views every user has: All, Unpaid and Scheduled. Not rows: they cannot be renamed,
shared or deleted, and a view id of ``all``, ``unpaid`` or ``scheduled`` names them."""

from __future__ import annotations

from dataclasses import dataclass

from recurra.saved_views.spec import Filters, Spec
from recurra.subscriptions.models import SubscriptionStatus


@dataclass(frozen=True)
class DefaultView:
    id: str
    name: str
    spec: Spec


DEFAULT_VIEWS: dict[str, DefaultView] = {
    view.id: view
    for view in (
        DefaultView("all", "All", Spec()),
        DefaultView("unpaid", "Unpaid", Spec(Filters(statuses=(SubscriptionStatus.PAST_DUE,)))),
        DefaultView("scheduled", "Scheduled", Spec(Filters(statuses=(SubscriptionStatus.SCHEDULED,)))),
    )
}
FIRST_VIEW = "all"
