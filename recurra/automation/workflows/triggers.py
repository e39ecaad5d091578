"""Which audit events fire which trigger (pure: an event's type, object and data in, a yes out).

An audit event about a subscription has ``data.before`` / ``data.after`` with the changed fields
(``core.events``). A ``property_change`` fires when the property's column is among them and its
values fit ``from`` / ``to``; an ``event`` trigger when the public events the audit event makes
(``webhooks.catalog``) include one of its types. A ``filter`` trigger looks at every event about a
subscription (whether it now matches is for the database to say).

>>> status = PropertyChange("status", to=("past_due",))
>>> fires(status, "subscription.past_due", "subscription", {"before": {"status": "active"},
...       "after": {"status": "past_due"}})
True
>>> fires(status, "subscription.active", "subscription", {"before": {"status": "past_due"},
...       "after": {"status": "active"}})
False
>>> fires(EventTrigger(("invoice.payment_failed",)), "payment.failed", "payment", {})
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recurra.automation.webhooks.catalog import RULES, derive
from recurra.automation.workflows.spec import (
    LIST_EVENTS,
    DateTrigger,
    EventTrigger,
    FilterTrigger,
    PropertyChange,
    Trigger,
)
from recurra.subscriptions.properties import PROPERTIES

SUBSCRIPTION = "subscription"
# The audit object types an event trigger can follow to one subscription (their subscription_id).
LINKED = ("invoice", "payment")


def column_of(key: str) -> str:
    """The subscription column whose change is a change of property ``key`` (audit data's name).

    >>> column_of("status"), column_of("contact"), column_of("billing_city"), column_of("owner")
    ('status', 'contact_id', 'city', 'owner_id')
    """
    if key == "owner":
        return "owner_id"
    path = PROPERTIES[key].path
    return path.split("__")[0] + "_id" if "__" in path else path


def audit_types(trigger: Trigger) -> frozenset[str] | None:
    """The audit event types that may fire ``trigger``; None: any about a subscription. Date
    triggers fire from the calendar, never from an event (the empty set)."""
    if isinstance(trigger, EventTrigger):
        wanted = set(trigger.event_types)
        public = {audit for audit, rules in RULES.items() if wanted & {r.type for r in rules}}
        return frozenset(public | (wanted & set(LIST_EVENTS)))
    if isinstance(trigger, DateTrigger):
        return frozenset()
    return None


def fires(trigger: Trigger, audit_type: str, object_type: str, data: Mapping[str, Any]) -> bool:
    """Whether the audit event fires ``trigger`` (its subscription is for the caller to find)."""
    if isinstance(trigger, PropertyChange):
        if object_type != SUBSCRIPTION:
            return False
        column = column_of(trigger.property)
        after = data.get("after")
        before = data.get("before")
        if not isinstance(after, Mapping) or column not in after or not isinstance(before, Mapping):
            return False  # a creation (no before) is not a change of a property
        if trigger.to is not None and after[column] not in trigger.to:
            return False
        return trigger.from_ is None or before.get(column) in trigger.from_
    if isinstance(trigger, EventTrigger):
        if audit_type in LIST_EVENTS:
            return audit_type in trigger.event_types
        if object_type != SUBSCRIPTION and object_type not in LINKED:
            return False
        wanted = trigger.event_types
        return any(d.type in wanted for d in derive(audit_type, "", data))
    if isinstance(trigger, FilterTrigger):
        return object_type == SUBSCRIPTION
    return False
