"""A record's timeline: its audit events (and those of the records it produced), as people read them.

- Each entry names its record the way people know it: "Subscription", "Invoice INV-16" (a draft:
  "Invoice (draft)"), "Payment of $76.00"; a record other than the page's own links to its page.
- A status change is the title, by the labels the pages use: "Invoice INV-16: Open → Paid".
  Other changes read "Invoice INV-16 created", "Subscription updated".
- Changed fields go in the model's field order (on any database), by their labels, their values as
  the pages show them: money in the record's currency, days and moments (the account's zone, to the
  minute) in the one date format, choices by their labels, related records by their names, line
  items as "2 × Pro plan, $49.00/month". Internal bookkeeping (leases, idempotency keys, schedule
  anchors, update times, failure codes beside their message) is left out.
- A creation or deletion lists no fields (the record itself shows them).

The names of the records an event points to are read in one query per kind of record, not per event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from recurra.core.models import Event
from recurra.core.money import Money
from recurra.invoicing.models import Invoice
from recurra.payments.models import Payment, Refund
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.properties import PROPERTIES
from recurra.web.present import MAX_VALUE_TEXT, PER_PERIOD, Change, value_text
from recurra.web.templatetags.recurra_web import day, language_name, method_types, moment, money, percent

MODELS: dict[str, type[models.Model]] = {
    "subscription": Subscription,
    "invoice": Invoice,
    "payment": Payment,
    "refund": Refund,
}
PAGES = {"subscription": "web:subscription", "invoice": "web:invoice", "payment": "web:payment"}
SUBJECTS: dict[str, Promise] = {"subscription": _("Subscription"), "refund": _("Refund")}

# Money fields (integer minor units in the record's currency).
MONEY = frozenset(
    {
        "amount",
        "amount_due",
        "amount_paid",
        "amount_refunded",
        "subtotal",
        "discount",
        "tax",
        "total",
        "next_payment_amount",
        "last_payment_amount",
        "total_collected",
        "line_items_mrr",
        "mrr",
    }
)
HIDDEN = frozenset(
    {"id", "lease_until_ms", "idempotency_key", "updated_at", "anchor_date", "anchor_period", "failure_code"}
)
LABELS: dict[str, Promise] = {
    "line_items": _("Line items"),
    "line_items_mrr": _("MRR"),
    "reminded_for": _("Reminder sent for the payment of"),
    "gateway_charge_id": _("Gateway charge ID"),
    "gateway_refund_id": _("Gateway refund ID"),
    "amount_refunded": _("Refunded"),
    "paid_at": _("Paid"),
    "settled_at": _("Settled"),
    "voided_at": _("Voided"),
    "overdue_at": _("Overdue since"),
    "ended_at": _("Ended"),
    "retryable": _("Will be retried"),
    "payment_method_id": _("Payment method"),
    "cancel_refund": _("Refund when canceled"),
    "allowed_payment_methods": _("Online payment methods"),
}
VERBS: dict[str, Promise] = {
    "created": _("created"),
    "updated": _("updated"),
    "deleted": _("deleted"),
    "cancel_scheduled": _("set to cancel at the end of its period"),
    "cancel_undone": _("cancellation undone"),
    "collection_switched": _("switched to charge automatically"),
    "disputed": _("disputed"),
    "dispute_updated": _("dispute updated"),
    "dispute_closed": _("dispute closed"),
    "detached": _("removed"),
    "revoked": _("revoked"),
}
# The other fields' labels, where a model's own (its verbose name, made from the field's name) would
# be English whatever the language: after a subscription property's label.
FIELD_LABELS: dict[str, Promise] = {
    "contact_id": _("Contact"),
    "company_id": _("Company"),
    "deal_id": _("Deal"),
    "owner_id": _("Owner"),
    "payment_link_id": _("Payment link"),
    "quote_id": _("Quote"),
    "purchase_id": _("Purchase"),
    "invoice_id": _("Invoice"),
    "payment_id": _("Payment"),
    "subscription_id": _("Subscription"),
    "subscription_name": _("Subscription name"),
    "periods_billed": _("Periods billed"),
    "collect_billing_address": _("Collect the billing address"),
    "collect_shipping_address": _("Collect the shipping address"),
    "save_payment_method": _("Save payment methods for future charges"),
    "invoice_comments": _("Comments"),
    "invoice_footer": _("Footer"),
    "comments": _("Comments"),
    "footer": _("Footer"),
    "created_at": _("Created"),
    "number": _("Number"),
    "status": _("Status"),
    "currency": _("Currency"),
    "subtotal": _("Subtotal"),
    "discount": _("Discount"),
    "tax": _("Tax"),
    "total": _("Total"),
    "amount": _("Amount"),
    "amount_paid": _("Amount paid"),
    "amount_due": _("Amount due"),
    "collection_method": _("Collection"),
    "payment_terms": _("Payment terms"),
    "issued_on": _("Issued"),
    "due_on": _("Due date"),
    "period_start": _("Period start"),
    "period_end": _("Period end"),
    "period_index": _("Period number"),
    "language": _("Language"),
    "po_number": _("PO number"),
    "tax_id": _("Tax ID"),
    "billing_address": _("Billing address"),
    "shipping_address": _("Shipping address"),
    "method_type": _("Payment method type"),
    "gateway": _("Processor"),
    "dispute_status": _("Dispute status"),
    "failure_message": _("Failure reason"),
    "origin": _("Origin"),
    "offline_method": _("Offline method"),
    "reference": _("Reference"),
}
# Lazy labels, translated when shown (in the request's language), not once at import.
_PROPERTY_LABELS = {p.reads[0]: p.label for p in PROPERTIES.values() if len(p.reads) == 1}


@dataclass(frozen=True)
class TimelineEntry:
    event: Event
    subject: str  # "Invoice INV-16"
    rest: str  # " created", ": Open → Paid"
    url: str  # the subject's page ("" when it is the page's own record)
    changes: list[Change] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.subject}{self.rest}"


@dataclass(frozen=True)
class LinesChange(Change):
    """A change of line items: each line kept, removed or added, as readable text."""

    lines: tuple[tuple[str, str], ...] = ()  # ("removed" | "added" | "kept", "2 × Pro plan, $49.00/month")


def timeline_entries(events: Iterable[Event], *, record_id: str, currency: str) -> list[TimelineEntry]:
    """``events`` as entries of the timeline of record ``record_id`` (whose money is in ``currency``)."""
    events = list(events)
    names = _Names(events)
    return [_entry(event, record_id, currency, names) for event in events]


def _entry(event: Event, record_id: str, currency: str, names: _Names) -> TimelineEntry:
    verb = event.type.partition(".")[2]
    model = MODELS.get(event.object_type)
    before, after = event.data.get("before"), event.data.get("after")
    subject = names.subject(event.object_type, event.object_id)
    url = ""
    if event.object_id != record_id and event.object_type in PAGES:
        url = reverse(PAGES[event.object_type], args=[event.object_id])
    changes: list[Change] = []
    status = _choices(model, "status")
    rest = f" {VERBS.get(verb, verb.replace('_', ' '))}"  # "Invoice INV-16" + " created"
    if verb in status:
        old = before.get("status") if isinstance(before, dict) else None
        rest = f": {status[old]} → {status[verb]}" if old in status else f": {status[verb]}"
    if isinstance(before, dict) and isinstance(after, dict):
        for name in _in_field_order(model, after):
            if name in HIDDEN or (name == "status" and verb in status):
                continue
            changes.append(_change(model, name, before.get(name), after[name], currency, names))
    return TimelineEntry(event, subject, rest, url, changes)


def _in_field_order(model: type[models.Model] | None, names: Iterable[str]) -> list[str]:
    """``names`` in the model's field order, the others (line items) after them by name: the same
    order whatever order the database kept the event's keys in (PostgreSQL's jsonb does not)."""
    order = {f.attname: i for i, f in enumerate(model._meta.concrete_fields)} if model else {}
    return sorted(names, key=lambda name: (order.get(name, len(order)), name))


def _choices(model: type[models.Model] | None, name: str) -> dict[str, str]:
    found = _field(model, name)
    return {str(value): str(label) for value, label in found.choices} if found and found.choices else {}


def _field(model: type[models.Model] | None, name: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    for candidate in model._meta.concrete_fields:
        if candidate.attname == name:
            return candidate
    return None


def _label(model: type[models.Model] | None, name: str) -> str:
    if name in LABELS:
        return str(LABELS[name])
    if model is Subscription and name in _PROPERTY_LABELS:
        return str(_PROPERTY_LABELS[name])
    if name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    found = _field(model, name)
    words = str(found.verbose_name) if found is not None else name.replace("_", " ")
    return capfirst(" ".join("ID" if word == "id" else word for word in words.split()))


def _change(
    model: type[models.Model] | None, name: str, before: Any, after: Any, currency: str, names: _Names
) -> Change:
    label = _label(model, name)
    if name == "line_items":
        old, new = _lines(before, currency), _lines(after, currency)
        shown = [("removed", line) for line in old if line not in new]
        shown += [("added" if line not in old else "kept", line) for line in new]
        return LinesChange(label, "; ".join(old) or "—", "; ".join(new) or "—", tuple(shown))
    old_value = _value(model, name, before, currency, names)
    return Change(label, old_value, _value(model, name, after, currency, names))


def _value(model: type[models.Model] | None, name: str, value: Any, currency: str, names: _Names) -> str:
    """One value as the pages show it; "—" when empty."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    found = _field(model, name)
    if name in MONEY and isinstance(value, int):
        return money(value, currency)
    if found is not None and found.choices:
        return dict((str(v), str(label)) for v, label in found.choices).get(str(value), str(value))
    if isinstance(found, models.ForeignKey):
        return names.related(found.related_model, str(value))
    if isinstance(found, models.DateTimeField) and isinstance(value, str):
        return moment(_moment(value)) or value
    if isinstance(found, models.DateField) and isinstance(value, str):
        return day(date.fromisoformat(value))
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if name == "allowed_payment_methods" and isinstance(value, list):
        return method_types(value)
    if name.endswith("language") and isinstance(value, str):
        return language_name(value)
    if isinstance(found, models.DecimalField):
        return percent(_decimal(value)) if "percent" in name else value_text(value)
    if isinstance(value, dict):
        return value_text(", ".join(str(part) for part in value.values() if part))
    return value_text(value)


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _lines(items: Any, currency: str) -> tuple[str, ...]:
    """Line item snapshots as "2 × Pro plan, $49.00/month" (a discount: "…, 10 % off")."""
    if not isinstance(items, list):
        return ()
    lines = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        price = money(int(item.get("unit_amount") or 0), str(item.get("currency") or currency))
        per = PER_PERIOD.get(item.get("billing_frequency", ""))
        text = (
            f"{item.get('quantity', 1)} × {item.get('name', '')}, {price}{per if per else gettext(' once')}"
        )
        discount = _decimal(item.get("discount_percent") or 0)
        if discount:
            text = gettext("%(line)s, %(percent)s off") % {"line": text, "percent": percent(discount)}
        lines.append(text if len(text) <= MAX_VALUE_TEXT * 2 else f"{text[: MAX_VALUE_TEXT * 2 - 1]}…")
    return tuple(lines)


class _Names:
    """The names of the records the events are about and point to, read once per kind of record."""

    def __init__(self, events: list[Event]) -> None:
        ids: dict[str, set[str]] = defaultdict(set)
        related: dict[type[models.Model], set[str]] = defaultdict(set)
        for event in events:
            ids[event.object_type].add(event.object_id)
            model = MODELS.get(event.object_type)
            for side in ("before", "after"):
                values = event.data.get(side)
                if not isinstance(values, dict):
                    continue
                for name, value in values.items():
                    found = _field(model, name)
                    if isinstance(found, models.ForeignKey) and value:
                        related[found.related_model].add(str(value))  # type: ignore[arg-type]
        invoices = Invoice.objects.filter(pk__in=ids.get("invoice", ()))
        self.invoices = dict(invoices.values_list("pk", "number"))
        self.payments = {
            pk: Money(amount, currency)
            for pk, amount, currency in Payment.objects.filter(pk__in=ids.get("payment", ())).values_list(
                "pk", "amount", "currency"
            )
        }
        self.records = {
            model: {str(pk): str(obj) for pk, obj in model._default_manager.in_bulk(list(pks)).items()}
            for model, pks in related.items()
        }

    def subject(self, object_type: str, object_id: str) -> str:
        if object_type == "invoice":
            number = self.invoices.get(object_id)
            return (
                gettext("Invoice %(number)s") % {"number": number} if number else gettext("Invoice (draft)")
            )
        if object_type == "payment":
            amount = self.payments.get(object_id)
            return (
                gettext("Payment of %(amount)s") % {"amount": money(amount)}
                if amount is not None
                else gettext("Payment")
            )
        return (
            str(SUBJECTS.get(object_type))
            if object_type in SUBJECTS
            else capfirst(object_type.replace("_", " "))
        )

    def related(self, model: Any, pk: str) -> str:
        return self.records.get(model, {}).get(pk, gettext("(deleted)"))
