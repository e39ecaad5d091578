"""The public event types, and the table that derives them from audit events (a strategy table).

Every change already writes an audit event (``core.events``) in its transaction: ``<model>.created``,
``<model>.<new status>`` when a status moved, ``<model>.<verb>`` for named changes, else
``<model>.updated``. :data:`RULES` maps an audit type to the public events it makes; a rule may
look at the audit data (which fields changed, from what) and may be about another object (a failed
payment is also ``invoice.payment_failed``, about its invoice).

>>> [e.type for e in derive("subscription.paused", "sub_1", {"after": {"status": "paused"}})]
['subscription.paused']
>>> [e.type for e in derive("subscription.active", "sub_1", {"before": {"status": "paused"}})]
['subscription.resumed']
>>> [e.type for e in derive("subscription.updated", "sub_1", {"after": {"reminded_for": "2027-02-01"}})]
['subscription.renewal_upcoming']
>>> [(e.type, e.object_type, e.object_id, e.via) for e in derive("payment.failed", "pay_1", {})]
[('payment.failed', 'payment', 'pay_1', None), ('invoice.payment_failed', 'invoice', 'pay_1', 'invoice_id')]
>>> derive("invoiceline.created", "il_1", {})
[]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Data = Mapping[str, Any]

# Public object types by the audit trail's (model) names.
OBJECT_TYPES: dict[str, str] = {
    "subscription": "subscription",
    "invoice": "invoice",
    "payment": "payment",
    "paymentmethod": "payment_method",
    "contact": "contact",
    "company": "company",
    "deal": "deal",
    "quote": "quote",
    "purchase": "checkout",
    "export": "export",
}

# Every public type: when it fires (docs/webhooks.md shows the same table with a sample each).
EVENT_TYPES: dict[str, str] = {
    "subscription.created": "a subscription was created (status scheduled when it starts later)",
    "subscription.updated": (
        "a subscription changed (items, dates, amounts, method, owner, cancel at period end)"
    ),
    "subscription.scheduled": "created to start later, or its status became scheduled",
    "subscription.activated": "a subscription became active: its start came, or a past-due payment was made",
    "subscription.past_due": "a renewal payment failed or its invoice became overdue (shown as Unpaid)",
    "subscription.paused": "a subscription was paused",
    "subscription.resumed": "a paused subscription was resumed",
    "subscription.canceled": "a subscription was canceled (now, or at the end of its period)",
    "subscription.expired": "a fixed-term subscription made its last payment and ended",
    "subscription.deleted": "a canceled or expired subscription was deleted (object: as it was)",
    "subscription.renewal_upcoming": "N days before an automatic charge (N: the reminder setting)",
    "invoice.created": "an invoice was issued",
    "invoice.paid": "an invoice was paid in full",
    "invoice.payment_failed": "a payment of the invoice failed",
    "invoice.overdue": "a send-invoice invoice passed its due date unpaid",
    "invoice.voided": "an invoice was voided",
    "payment.succeeded": "a payment succeeded",
    "payment.failed": "a payment failed",
    "payment.refunded": "a payment was refunded, in full or in part",
    "payment_method.attached": "a payment method was saved for a contact",
    "payment_method.updated": "a saved payment method changed or was detached",
    "contact.created": "a contact was created",
    "contact.updated": "a contact changed",
    "contact.deleted": "a contact was deleted (object: as it was)",
    "company.created": "a company was created",
    "company.updated": "a company changed",
    "company.deleted": "a company was deleted (object: as it was)",
    "deal.created": "a deal was created",
    "deal.updated": "a deal changed (its line items included) or was converted",
    "deal.deleted": "a deal was deleted (object: as it was)",
    "quote.created": "a quote was created",
    "quote.published": "a quote was published (its link works)",
    "quote.accepted": "a quote was accepted by the buyer",
    "checkout.completed": "a buyer completed a checkout (payment link or quote)",
    "export.completed": "an export's file is ready",
    "ping": "sent by POST /webhook-endpoints/{id}/test only",
    "workflow.webhook": "sent by a workflow's webhook step when a date or a filter enrolled the subscription",
}
WILDCARD = "*"
WORKFLOW_WEBHOOK = "workflow.webhook"
ON_REQUEST = frozenset({"ping", WORKFLOW_WEBHOOK})  # sent to one endpoint when asked, never subscribed to


@dataclass(frozen=True, slots=True)
class Derived:
    """A public event an audit event makes: its type and the object it is about. With ``via``, the
    object is another one: the one whose id the audit event's own object (as the API shows it)
    holds in that field (a payment's ``invoice_id``)."""

    type: str
    object_type: str
    object_id: str
    via: str | None = None


Condition = Callable[[Data], bool]


def _always(data: Data) -> bool:
    return True


def _after(data: Data) -> Data:
    return data.get("after") or {}


def _before(data: Data) -> Data:
    return data.get("before") or {}


def _created_scheduled(data: Data) -> bool:
    return _after(data).get("status") == "scheduled"


def _from_paused(data: Data) -> bool:
    return _before(data).get("status") == "paused"


def _not_from_paused(data: Data) -> bool:
    return not _from_paused(data)


def _only_reminded(data: Data) -> bool:
    return set(_after(data)) == {"reminded_for"} and _after(data)["reminded_for"] is not None


def _not_only_reminded(data: Data) -> bool:
    return not _only_reminded(data)


def _became_overdue(data: Data) -> bool:
    return _after(data).get("overdue_at") is not None


@dataclass(frozen=True, slots=True)
class Rule:
    type: str
    when: Condition = _always
    about: tuple[str, str] | None = None  # (object type, field of the own object naming it); None: itself


def _simple(model: str, *verbs: str) -> dict[str, tuple[Rule, ...]]:
    public = OBJECT_TYPES[model]
    return {f"{model}.{verb}": (Rule(f"{public}.{verb}"),) for verb in verbs}


RULES: dict[str, tuple[Rule, ...]] = {
    "subscription.created": (
        Rule("subscription.created"),
        Rule("subscription.scheduled", _created_scheduled),  # it starts later: scheduled, after created
    ),
    "subscription.updated": (
        Rule("subscription.renewal_upcoming", _only_reminded),
        Rule("subscription.updated", _not_only_reminded),
    ),
    "subscription.cancel_scheduled": (Rule("subscription.updated"),),
    "subscription.cancel_undone": (Rule("subscription.updated"),),
    "subscription.collection_switched": (Rule("subscription.updated"),),
    "subscription.scheduled": (Rule("subscription.scheduled"),),
    "subscription.active": (
        Rule("subscription.resumed", _from_paused),
        Rule("subscription.activated", _not_from_paused),
    ),
    "subscription.past_due": (
        Rule("subscription.resumed", _from_paused),
        Rule("subscription.past_due", _not_from_paused),
    ),
    "subscription.paused": (Rule("subscription.paused"),),
    "subscription.canceled": (Rule("subscription.canceled"),),
    "subscription.expired": (Rule("subscription.expired"),),
    "subscription.deleted": (Rule("subscription.deleted"),),
    "invoice.created": (Rule("invoice.created"),),
    "invoice.paid": (Rule("invoice.paid"),),
    "invoice.updated": (Rule("invoice.overdue", _became_overdue),),
    "invoice.void": (Rule("invoice.voided"),),
    "payment.succeeded": (Rule("payment.succeeded"),),
    "payment.failed": (
        Rule("payment.failed"),
        Rule("invoice.payment_failed", about=("invoice", "invoice_id")),
    ),
    "payment.refunded": (Rule("payment.refunded"),),
    "payment.partially_refunded": (Rule("payment.refunded"),),
    "paymentmethod.created": (Rule("payment_method.attached"),),
    "paymentmethod.updated": (Rule("payment_method.updated"),),
    "paymentmethod.detached": (Rule("payment_method.updated"),),
    **_simple("contact", "created", "updated", "deleted"),
    **_simple("company", "created", "updated", "deleted"),
    **_simple("deal", "created", "updated", "deleted"),
    "deal.line_items_replaced": (Rule("deal.updated"),),
    "deal.converted": (Rule("deal.updated"),),
    "quote.created": (Rule("quote.created"),),
    "quote.published": (Rule("quote.published"),),
    "quote.accepted": (Rule("quote.accepted"),),
    "purchase.completed": (Rule("checkout.completed"),),
    "export.completed": (Rule("export.completed"),),
}

# The public types each audit type may make: to skip, cheaply, audit events no endpoint wants.
MAY_MAKE: dict[str, frozenset[str]] = {
    audit: frozenset(r.type for r in rules) for audit, rules in RULES.items()
}


def derive(audit_type: str, object_id: str, data: Data) -> list[Derived]:
    """The public events an audit event of ``audit_type`` about ``object_id`` makes."""
    rules = RULES.get(audit_type)
    if not rules:
        return []
    model = audit_type.partition(".")[0]
    found = []
    for rule in rules:
        if not rule.when(data):
            continue
        if rule.about:
            found.append(Derived(rule.type, rule.about[0], object_id, via=rule.about[1]))
        else:
            found.append(Derived(rule.type, OBJECT_TYPES[model], object_id))
    return found


def wants(enabled: frozenset[str], event_type: str) -> bool:
    """Whether an endpoint with ``enabled`` events receives ``event_type`` (``ping`` only on request).

    >>> wants(frozenset({"*"}), "invoice.paid"), wants(frozenset({"invoice.paid"}), "invoice.created")
    (True, False)
    """
    return event_type in enabled or (WILDCARD in enabled and event_type not in ON_REQUEST)


def unknown_types(types: list[str]) -> list[str]:
    """The names in ``types`` that are neither an event type nor ``*``."""
    return [t for t in types if t != WILDCARD and (t not in EVENT_TYPES or t in ON_REQUEST)]
