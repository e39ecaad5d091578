"""Deleting a subscription: only once it is cancelled or expired, and never its financial records.

The subscription row and its line items go. Its invoices and payments stay,
still carrying its id (their foreign keys do not cascade or clear: no
database constraint), and invoices its name; the audit trail stays, with a
``subscription.deleted`` event holding the last state.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from recurra.core import records
from recurra.core.actors import Actor
from recurra.core.errors import Conflict
from recurra.subscriptions.lifecycle import TERMINAL
from recurra.subscriptions.models import Subscription


def subscription_delete(*, subscription: Subscription, actor: Actor) -> None:
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if sub.status not in TERMINAL:
            raise Conflict(
                gettext(
                    "only a canceled or expired subscription can be deleted; "
                    "this one is %(status)s: cancel it first"
                )
                % {"status": sub.get_status_display().lower()}
            )
        records.delete(sub, actor=actor, in_use="the subscription is still referenced")
