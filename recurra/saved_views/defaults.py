"""The default views every user has: All, Unpaid and Scheduled. Not rows: they cannot be renamed,
shared or deleted, and a view id of ``all``, ``unpaid`` or ``scheduled`` names them."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from recurra.saved_views.spec import Filters, Spec
from recurra.subscriptions.models import SubscriptionStatus


@dataclass(frozen=True)
class DefaultView:
    id: str
    name: str | Promise
    spec: Spec


DEFAULT_VIEWS: dict[str, DefaultView] = {
    view.id: view
    for view in (
        DefaultView("all", _("All"), Spec()),
        DefaultView("unpaid", _("Unpaid"), Spec(Filters(statuses=(SubscriptionStatus.PAST_DUE,)))),
        DefaultView("scheduled", _("Scheduled"), Spec(Filters(statuses=(SubscriptionStatus.SCHEDULED,)))),
    )
}
FIRST_VIEW = "all"
