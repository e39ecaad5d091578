"""Rows for the workflow tests, made with the ORM: an active monthly subscription, paid to 15 Feb 2027."""

from __future__ import annotations

from datetime import date

from recurra.crm.models import Contact
from recurra.subscriptions.models import Subscription


def a_subscription(name: str = "Pro plan", *, mrr: int = 3000) -> Subscription:
    """An active subscription of its own contact (``<name>@example.com``), next payment 15 Feb 2027."""
    return Subscription.objects.create(
        name=name,
        status="active",
        contact=Contact.objects.create(email=f"{name.lower().replace(' ', '.')}@example.com"),
        currency="USD",
        billing_frequency="monthly",
        billing_terms="auto_renew",
        start_date=date(2027, 1, 15),
        next_payment_date=date(2027, 2, 15),
        collection_method="charge_automatically",
        line_items_mrr=mrr,
    )
