"""The ``subscription_changed`` email of an edit, as a draft whose ``data`` holds everything it says.

Built like ``billing/notices.py`` (same common keys and snapshot rule): the new
lines and amount per payment, the next payment date, which fields changed,
and the prorated amount billed (or credited) at once. It goes to the
subscription's contact as it is after the edit: a new contact gets it, and
every later email.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from recurra.accounts.models import AccountSettings
from recurra.billing.notices import _common, _draft, _iso
from recurra.notifications.services import EmailDraft
from recurra.subscriptions.models import Subscription

if TYPE_CHECKING:
    from recurra.subscriptions.editing import ProrationResult


def subscription_changed(
    sub: Subscription,
    changed: Mapping[str, Any],
    proration: ProrationResult | None,
    account: AccountSettings,
) -> EmailDraft:
    items = list(sub.line_items.all())
    data = _common(sub, account) | {
        "next_payment_amount": sub.next_payment_amount,
        "next_payment_date": _iso(sub.next_payment_date),
        "lines": [{"name": i.name, "quantity": i.quantity, "amount": i.amounts.total} for i in items],
        "changed": sorted(changed),
        "prorated_amount": proration.total if proration is not None else None,  # < 0: a credit
        "prorated_credit": -proration.total if proration is not None and proration.total < 0 else None,
    }
    return _draft("subscription_changed", sub.contact.email, sub, data)
