"""Converting sold line items into subscriptions and an invoice (a deal; later a quote).

Rules of :func:`items_convert`, all checked before anything is written and
reported together (422):

- It needs a contact (``contact_id``: the deal needs one) and at least one
  line item (``line_items``); the items are resolved as one document (one
  currency), and a recurring item's chosen start date is today or later.
- Recurring items become subscriptions by the grouping rule (one per group,
  named after its items, in the order the groups first appear); every one is
  collected manually: ``send_invoice`` with ``payment_terms`` (default
  net 30), payable online by card and ACH. They are billed by the billing run
  from their start date like any other.
- One-time items go on one open invoice of their own (no subscription),
  numbered, addressed to the contact's address, issued today. No email is
  sent here.
- Subscriptions and invoice are written in one transaction: all or nothing.

:func:`deal_convert` converts a deal once: it is refused (409) when the deal
already has subscriptions (made by an earlier conversion or tied to it by
hand) or was converted before (an invoice-only conversion leaves no
subscription, so its ``deal.converted`` event is what tells).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic

from django.db import transaction

from recurra.accounts.selectors import account_settings, account_zone
from recurra.catalog import schedule
from recurra.catalog.line_items import LineItemInput, resolve_line_items, stored_input
from recurra.catalog.terms import CollectionMethod, PaymentTerms, is_recurring
from recurra.commerce.models import Quote, QuoteStatus
from recurra.core import events
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, FieldError, ValidationFailed
from recurra.core.models import Event
from recurra.crm.models import Company, Contact, Deal, DealLineItem
from recurra.invoicing.models import Invoice
from recurra.invoicing.one_off import Billed, invoice_build, invoice_save, line_source
from recurra.notifications.services import email_queue
from recurra.subscriptions.grouping import Group, Item, group_items
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.notices import invoice_sent
from recurra.subscriptions.services import (
    INVOICE_LANGUAGES,
    group_key_of,
    renumbered,
    resolved_lines,
    subscription_create,
)

CONVERTED = "deal.converted"
NEEDS_CONTACT = "the deal needs a contact to convert it: add one to the deal first"
NEEDS_ITEMS = "the deal needs at least one line item to convert it"
ONLINE_METHODS = ("card", "ach")
# The stored line-item fields the grouping key is made of.
_KEY_FIELDS = (
    "billing_frequency",
    "billing_terms",
    "number_of_payments",
    "billing_start_type",
    "billing_start_date",
    "billing_start_days",
    "billing_start_months",
)


@dataclass(frozen=True)
class Conversion:
    subscriptions: list[Subscription]
    invoice: Invoice | None  # the one-time items' invoice


@dataclass(frozen=True)
class Plan(Generic[Item]):
    """What converting ``items`` makes: one group of items per subscription, and the invoice's items."""

    subscriptions: list[Group[Item]]
    invoice: list[Item]


def plan(items: Sequence[Item], *, today: date, values: Callable[[Item], Mapping[str, Any]]) -> Plan[Item]:
    """Split ``items`` (``values(item)``: its line-item fields) by the grouping rule, as of ``today``."""
    groups = group_items(
        items,
        key=lambda i: group_key_of(values(i), today),
        frequency=lambda i: values(i)["billing_frequency"],
    )
    one_time = [i for i in items if not is_recurring(values(i)["billing_frequency"])]
    return Plan(groups, one_time)


def deal_plan(deal: Deal, *, at: datetime) -> Plan[DealLineItem]:
    """What converting ``deal`` now would make (for showing it before doing it)."""
    today = schedule.local_date(at, account_zone())
    return plan(
        list(deal.line_items.all()),
        today=today,
        values=lambda item: {name: getattr(item, name) for name in _KEY_FIELDS},
    )


def deal_quote(deal: Deal) -> Quote | None:
    """The deal's newest accepted or converted quote, else its newest published one, else None."""
    quotes = deal.quotes.order_by("-id")
    accepted = quotes.filter(status__in=(QuoteStatus.ACCEPTED, QuoteStatus.CONVERTED)).first()
    return accepted or quotes.filter(status=QuoteStatus.PUBLISHED).first()


def deal_converted(deal: Deal) -> str | None:
    """Why ``deal`` cannot be converted (again), naming what it has; None when it can."""
    subscriptions = list(deal.subscriptions.order_by("id").values_list("pk", flat=True))
    if subscriptions:
        return f"deal {deal.pk} already has subscription(s) {', '.join(subscriptions)}"
    event = Event.objects.filter(object_id=deal.pk, type=CONVERTED).order_by("-created_at").first()
    if event is None:
        return None
    invoice = Invoice.objects.filter(pk=event.data.get("invoice_id") or None).first()
    made = f"into invoice {invoice.number or invoice.pk}" if invoice is not None else "before"
    return f"deal {deal.pk} was converted {made}"


def _group_errors(
    groups: list[Group[dict[str, Any]]], items: list[LineItemInput], today: date
) -> list[FieldError]:
    """The subscription rules of each group (``subscription_create``'s), named by deal position."""
    errors: list[FieldError] = []
    for group in groups:
        positions = [values["position"] for values in group.items]
        found: list[FieldError] = []
        resolved_lines([items[p] for p in positions], today, found)
        errors += [renumbered(error, positions) for error in found]
    return errors


def _checked(
    contact: Contact | None, items: list[LineItemInput], payment_terms: str, today: date
) -> Plan[dict[str, Any]]:
    """The plan of ``items``, or ValidationFailed naming every broken rule."""
    errors: list[FieldError] = []
    if contact is None:
        errors.append(FieldError("contact_id", NEEDS_CONTACT))
    if not items:
        errors.append(FieldError("line_items", NEEDS_ITEMS))
    if payment_terms not in PaymentTerms.values:
        errors.append(FieldError("payment_terms", f"must be one of {', '.join(PaymentTerms.values)}"))
    resolved: list[dict[str, Any]] = []
    try:
        resolved = resolve_line_items(items) if items else []
    except ValidationFailed as exc:
        errors += exc.errors
    split = plan(resolved, today=today, values=lambda values: values)
    errors += _group_errors(split.subscriptions, items, today)
    if errors:
        raise ValidationFailed(f"{len(errors)} invalid field(s)", errors=errors)
    return split


def _invoice_language() -> str:
    language = account_settings().default_language
    return language if language in INVOICE_LANGUAGES else "en"


def _one_time_invoice(
    values: list[dict[str, Any]],
    *,
    contact: Contact,
    company: Company | None,
    payment_terms: str,
    today: date,
    actor: Actor,
) -> Invoice:
    invoice, lines = invoice_build(
        contact=contact,
        company=company if company is not None else contact.company,
        currency=values[0]["currency"],
        billed=[Billed(line_source(item)) for item in values],
        collection_method=CollectionMethod.SEND_INVOICE,
        payment_terms=payment_terms,
        issued_on=today,
        language=_invoice_language(),
    )
    invoice_save(invoice, lines, actor=actor)
    email_queue(invoice_sent(None, invoice, lines, account_settings()), at=invoice.created_at)
    return invoice


def items_convert(
    *,
    contact: Contact | None,
    company: Company | None,
    deal: Deal | None,
    quote: Quote | None,
    items: list[LineItemInput],
    payment_terms: str = PaymentTerms.NET_30,
    actor: Actor,
    at: datetime,
) -> Conversion:
    """Subscriptions of the recurring ``items`` and an invoice of the one-time ones (see the module)."""
    today = schedule.local_date(at, account_zone())
    split = _checked(contact, items, payment_terms, today)
    assert contact is not None  # _checked refuses a conversion without one
    origin = {"quote": quote} if quote is not None else None
    with transaction.atomic():
        subscriptions = [
            subscription_create(
                contact=contact,
                company=company,
                deal=deal,
                origin=origin,
                line_items=[items[values["position"]] for values in group.items],
                collection_method=CollectionMethod.SEND_INVOICE,
                payment_terms=payment_terms,
                accept_online_payment=True,
                allowed_payment_methods=ONLINE_METHODS,
                actor=actor,
                at=at,
            )
            for group in split.subscriptions
        ]
        invoice = None
        if split.invoice:
            invoice = _one_time_invoice(
                split.invoice,
                contact=contact,
                company=company,
                payment_terms=payment_terms,
                today=today,
                actor=actor,
            )
    return Conversion(subscriptions, invoice)


def deal_convert(
    *, deal: Deal, payment_terms: str = PaymentTerms.NET_30, actor: Actor, at: datetime
) -> Conversion:
    """The deal's line items converted (see the module) for its contact and company, tied to the
    deal and its quote; one ``deal.converted`` event naming what was made."""
    with transaction.atomic():
        locked = Deal.objects.select_for_update(of=("self",))  # PostgreSQL: not the outer-joined rows
        deal = locked.select_related("contact", "company").get(pk=deal.pk)
        refusal = deal_converted(deal)
        if refusal is not None:
            raise Conflict(f"{refusal}: a deal is converted once")
        quote = deal_quote(deal)
        done = items_convert(
            contact=deal.contact,
            company=deal.company,
            deal=deal,
            quote=quote,
            items=[stored_input(item) for item in deal.line_items.all()],
            payment_terms=payment_terms,
            actor=actor,
            at=at,
        )
        events.record(
            type=CONVERTED,
            obj=deal,
            actor=actor,
            extra={
                "subscription_ids": [s.pk for s in done.subscriptions],
                "invoice_id": done.invoice.pk if done.invoice is not None else None,
                "quote_id": quote.pk if quote is not None else None,
                "payment_terms": payment_terms,
            },
        )
    return done
