"""Twenty enabled workflows of the kinds a subscription team keeps, for the benchmarks.

Property changes with and without filters (status, next payment date, name), events about
subscriptions, invoices and payments, a filter trigger and two date triggers; actions of every kind
but webhooks (no receiver in a benchmark).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

EMAIL = {
    "type": "internal_email",
    "to": ["team@bench.example"],
    "subject": "{{ subscription.name }}",
    "body": "x",
}
BIG = {"groups": [{"conditions": [{"property": "mrr", "operator": "greater_than", "value": 10000}]}]}


def definitions() -> list[dict[str, Any]]:
    """Twenty definitions (POST /workflows bodies without the name)."""
    change = {"type": "property_change", "property": "status"}
    made: list[dict[str, Any]] = [
        {"trigger": {**change, "to": ["past_due"]}, "actions": [EMAIL]},
        {"trigger": {**change, "to": ["past_due"]}, "filters": BIG, "reenroll": True, "actions": [EMAIL]},
        {"trigger": {**change, "to": ["canceled"]}, "actions": [EMAIL]},
        {"trigger": {**change, "to": ["active"], "from": ["past_due"]}, "actions": [EMAIL]},
        {"trigger": {**change, "to": ["paused", "expired"]}, "actions": [EMAIL]},
        {"trigger": {"type": "property_change", "property": "name"}, "actions": [EMAIL]},
        {
            "trigger": {"type": "property_change", "property": "next_payment_amount"},
            "filters": BIG,
            "actions": [EMAIL],
        },
        {"trigger": {"type": "event", "event_types": ["invoice.payment_failed"]}, "actions": [EMAIL]},
        {"trigger": {"type": "event", "event_types": ["subscription.canceled"]}, "actions": [EMAIL]},
        {"trigger": {"type": "event", "event_types": ["payment.refunded"]}, "actions": [EMAIL]},
        {
            "trigger": {"type": "event", "event_types": ["subscription.created"]},
            "actions": [{"type": "delay", "days": 1}, EMAIL],
        },
        {
            "trigger": {"type": "event", "event_types": ["invoice.overdue"]},
            "filters": BIG,
            "actions": [EMAIL],
        },
        {"trigger": {"type": "filter"}, "filters": {"status": ["past_due"], **BIG}, "actions": [EMAIL]},
        {"trigger": {"type": "date", "property": "next_payment_date", "offset_days": -7}, "actions": [EMAIL]},
        {"trigger": {"type": "date", "property": "end_date", "offset_days": -30}, "actions": [EMAIL]},
    ]
    for n, status in enumerate(["scheduled", "paused", "canceled", "expired", "past_due"]):
        made.append(
            {
                "trigger": {**change, "to": [status]},
                "filters": {
                    "groups": [
                        {
                            "conditions": [
                                {"property": "payments_made", "operator": "greater_than", "value": n}
                            ]
                        }
                    ]
                },
                "actions": [{"type": "branch", "if": BIG, "then": [EMAIL], "else": []}],
            }
        )
    return made


def create(*, at: datetime) -> int:
    """Make the twenty, enabled; how many."""
    from recurra.automation.workflows.services import workflow_create
    from recurra.core.actors import Actor

    for n, definition in enumerate(definitions()):
        workflow_create(name=f"Bench {n}", definition=definition, enabled=True, actor=Actor.system(), at=at)
    return len(definitions())
