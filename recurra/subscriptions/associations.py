"""Tying an existing subscription to a company (from the company's record).

A subscription has at most one company: associating it with a company
replaces the one it had (its contact stays; a contact is changed with
``editing.subscription_change``). Any status may be associated, ended ones
too: it changes who the record belongs to, not what is billed. Associating
it with the company it already has changes nothing and records nothing;
otherwise one ``subscription.updated`` event with the company before and after.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from recurra.core import events
from recurra.core.actors import Actor
from recurra.crm.models import Company
from recurra.subscriptions.models import Subscription


def subscription_associate_company(
    *, subscription: Subscription, company: Company, actor: Actor, at: datetime
) -> Subscription:
    """``subscription`` with ``company`` as its company (see the module)."""
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if sub.company_id == company.pk:
            return sub
        before = {"company_id": sub.company_id}
        Subscription.objects.filter(pk=sub.pk).update(company=company, updated_at=at)
        sub.company, sub.updated_at = company, at
        events.record(
            type="subscription.updated",
            obj=sub,
            actor=actor,
            before=before,
            after={"company_id": company.pk},
        )
    return sub
