"""Tying an existing subscription to a company or a deal (from that record's page).

A subscription has at most one company and at most one deal: associating it
with one replaces the one it had (its contact stays; a contact is changed
with ``editing.subscription_change``). Any status may be associated, ended
ones too: it changes who the record belongs to, not what is billed.
Associating it with the record it already has changes nothing and records
nothing; otherwise one ``subscription.updated`` event with the id before and
after (``company_id`` or ``deal_id``).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Model

from recurra.core import events
from recurra.core.actors import Actor
from recurra.crm.models import Company, Deal
from recurra.subscriptions.models import Subscription


def subscription_associate_company(
    *, subscription: Subscription, company: Company, actor: Actor, at: datetime
) -> Subscription:
    """``subscription`` with ``company`` as its company (see the module)."""
    return _associate(subscription, "company", company, actor=actor, at=at)


def subscription_associate_deal(
    *, subscription: Subscription, deal: Deal, actor: Actor, at: datetime
) -> Subscription:
    """``subscription`` with ``deal`` as its deal (see the module)."""
    return _associate(subscription, "deal", deal, actor=actor, at=at)


def _associate(
    subscription: Subscription, field: str, record: Model, *, actor: Actor, at: datetime
) -> Subscription:
    """Point the ``field`` foreign key of ``subscription`` at ``record``, with its event, once."""
    column = f"{field}_id"
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if getattr(sub, column) == record.pk:
            return sub
        before = {column: getattr(sub, column)}
        Subscription.objects.filter(pk=sub.pk).update(**{field: record, "updated_at": at})
        setattr(sub, field, record)
        sub.updated_at = at
        events.record(
            type="subscription.updated", obj=sub, actor=actor, before=before, after={column: record.pk}
        )
    return sub
