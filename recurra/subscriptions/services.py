"""Subscription use cases: creating one, or one per group of line items (the seller's form,
``POST /subscriptions``).

Rules of :func:`subscription_create` (and of :func:`subscription_draft`, which
checks and computes the same subscription and writes nothing), all checked
before anything is written and reported together:

- Every line item is recurring (one-time items are invoiced, not subscribed)
  and all share one grouping key (frequency, terms, start date, number of
  payments); an item that differs is named by its first differing field.
- A chosen start date is today or later in the account's zone: an earlier
  one would bill every period since at once.
- ``charge_automatically`` needs a payment method of this contact, not
  removed, whose type is allowed; ``send_invoice`` needs payment terms.
- The subscription is ``scheduled`` when it starts after today, else
  ``active``; billing itself (period 0 too) is the billing run's job.

:func:`subscriptions_create` (and :func:`subscriptions_draft`) split the line
items by the grouping rule first (``subscriptions.grouping``, as payment links
and deal conversion do): one subscription per group, each under the rules
above, all checked before any is written and written together. An error names
the item by its place among all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext, ngettext

from recurra.accounts.selectors import account_settings, account_zone
from recurra.catalog import schedule
from recurra.catalog.line_items import LineItemInput, resolve_line_items
from recurra.catalog.terms import BillingStartType, CollectionMethod, PaymentTerms, is_recurring
from recurra.core import events
from recurra.core.actors import Actor
from recurra.core.errors import FieldError, ValidationFailed
from recurra.crm.models import Address, Company, Contact, Deal
from recurra.crm.owners import owner_error
from recurra.payments.method_types import online_types_errors
from recurra.payments.models import PaymentMethod
from recurra.subscriptions.amounts import recurring_amounts
from recurra.subscriptions.grouping import GroupKey, group_items, group_key
from recurra.subscriptions.models import Subscription, SubscriptionLineItem, SubscriptionStatus, mrr_in_status

# Documents (invoices, their emails and PDFs) speak every language the product does: CI keeps each
# catalogue complete.
INVOICE_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
INVOICE_SETTINGS = {
    "comments": "invoice_comments",
    "footer": "invoice_footer",
    "po_number": "invoice_po_number",
    "tax_id": "invoice_tax_id",
    "language": "invoice_language",
}
ONE_TIME_REFUSED = "one-time items are invoiced, not subscribed"
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_POSITION = re.compile(r"^line_items\[(\d+)\]")
# (GroupKey attribute, line-item field named in the error, words for the message)
_GROUPING = (
    ("billing_frequency", "billing_frequency", "billing frequency"),
    ("billing_terms", "billing_terms", "billing terms"),
    ("start_date", "billing_start", "start date"),
    ("number_of_payments", "number_of_payments", "number of payments"),
)


def _start(values: Mapping[str, Any], purchased_on: date) -> date:
    return schedule.start_date(
        purchased_on,
        values["billing_start_type"],
        on=values["billing_start_date"],
        days=values["billing_start_days"],
        months=values["billing_start_months"],
    )


def group_key_of(values: Mapping[str, Any], purchased_on: date) -> GroupKey:
    """The grouping key of one resolved line item bought on ``purchased_on`` (``subscriptions.grouping``)."""
    return group_key(
        billing_frequency=values["billing_frequency"],
        billing_terms=values["billing_terms"],
        start_date=_start(values, purchased_on),
        number_of_payments=values["number_of_payments"],
    )


def _grouping_errors(keyed: list[tuple[int, GroupKey]]) -> list[FieldError]:
    """One error for each item that differs from the first, on its first differing field."""
    errors = []
    first = keyed[0][1]
    for index, key in keyed[1:]:
        for attr, field, words in _GROUPING:
            expected = getattr(first, attr)
            if getattr(key, attr) != expected:
                shown = expected.isoformat() if isinstance(expected, date) else expected
                errors.append(
                    FieldError(
                        f"line_items[{index}].{field}",
                        f"every line item of a subscription needs the same {words} ({shown}); "
                        "a different one makes another subscription",
                    )
                )
                break
    return errors


def resolved_lines(
    items: list[LineItemInput], purchased_on: date, errors: list[FieldError]
) -> tuple[list[dict[str, Any]], GroupKey | None]:
    """The resolved line items and their shared grouping key (None when they are invalid)."""
    if not items:
        errors.append(
            FieldError("line_items", gettext("a subscription needs at least one recurring line item"))
        )
        return [], None
    try:
        resolved = resolve_line_items(items)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return [], None
    keyed: list[tuple[int, GroupKey]] = []
    for values in resolved:
        at = f"line_items[{values['position']}]"
        if not is_recurring(values["billing_frequency"]):
            errors.append(FieldError(f"{at}.billing_frequency", ONE_TIME_REFUSED))
            continue
        if (
            values["billing_start_type"] == BillingStartType.DATE
            and values["billing_start_date"] < purchased_on
        ):
            errors.append(
                FieldError(
                    f"{at}.billing_start.date",
                    gettext("must be today (%(today)s) or later in the account's time zone")
                    % {"today": purchased_on.isoformat()},
                )
            )
            continue
        keyed.append((values["position"], group_key_of(values, purchased_on)))
    if not keyed or len(keyed) < len(resolved):
        return resolved, None
    grouping = _grouping_errors(keyed)
    errors.extend(grouping)
    return resolved, None if grouping else keyed[0][1]


def payment_method_errors(method: PaymentMethod, contact: Contact, allowed: list[str]) -> list[FieldError]:
    """Why ``method`` cannot pay for ``contact`` here (another contact's, removed, a type not ``allowed``)."""
    if method.contact_id != contact.pk:
        problem = f"payment method {method.pk} belongs to another contact"
    elif method.detached_at is not None:
        problem = f"payment method {method.pk} has been removed"
    elif method.type not in allowed:
        problem = f"payment method {method.pk} is {method.type}, which allowed_payment_methods leaves out"
    else:
        return []
    return [FieldError("payment_method_id", problem)]


def _collection(
    *,
    contact: Contact,
    collection_method: str,
    payment_method: PaymentMethod | None,
    payment_terms: str | None,
    accept_online_payment: bool,
    allowed_payment_methods: Iterable[str],
    errors: list[FieldError],
) -> dict[str, Any]:
    """How the subscription is paid: the collection fields, checked."""
    allowed = list(dict.fromkeys(allowed_payment_methods))
    automatic = collection_method == CollectionMethod.CHARGE_AUTOMATICALLY
    errors.extend(online_types_errors(allowed, required=automatic or accept_online_payment))
    if collection_method not in CollectionMethod.values:
        errors.append(FieldError("collection_method", "must be charge_automatically or send_invoice"))
    if payment_method is not None:
        errors.extend(payment_method_errors(payment_method, contact, allowed))
    elif automatic:
        errors.append(FieldError("payment_method_id", gettext("is required to charge automatically")))
    if payment_terms is None and automatic:
        payment_terms = PaymentTerms.DUE_ON_RECEIPT
    elif payment_terms is None and collection_method == CollectionMethod.SEND_INVOICE:
        errors.append(FieldError("payment_terms", gettext("is required to send invoices")))
    elif payment_terms is not None and payment_terms not in PaymentTerms.values:
        errors.append(FieldError("payment_terms", f"must be one of {', '.join(PaymentTerms.values)}"))
    return {
        "collection_method": collection_method,
        "payment_method": payment_method,
        "payment_terms": payment_terms,
        "accept_online_payment": accept_online_payment,
        "allowed_payment_methods": allowed,
    }


def _max_length(column: str) -> int | None:
    return getattr(Subscription._meta.get_field(column), "max_length", None)


def checked_text(field: str, column: str, value: Any, errors: list[FieldError]) -> str:
    """``value`` stripped, or an error when it is longer than ``column`` holds."""
    text = (value or "").strip()
    limit = _max_length(column)
    if limit is not None and len(text) > limit:
        errors.append(FieldError(field, f"must be at most {limit} characters"))
    return text


def billing_address_columns(
    address: Mapping[str, Any] | None, contact: Contact, errors: list[FieldError]
) -> dict[str, str]:
    """The address columns: the given address (parts left out are blank), else the contact's."""
    if address is None:
        return {Address.column(part): value for part, value in contact.address.items()}
    unknown = sorted(set(address) - set(Address.ADDRESS_FIELDS))
    errors.extend(FieldError(f"billing_address.{part}", "is not a known field") for part in unknown)
    columns = {
        Address.column(part): checked_text(
            f"billing_address.{part}", Address.column(part), address.get(part), errors
        )
        for part in Address.ADDRESS_FIELDS
    }
    columns["country"] = columns["country"].upper()
    if len(columns["country"]) <= 2 and columns["country"] and not _COUNTRY.match(columns["country"]):
        errors.append(FieldError("billing_address.country", "must be a two-letter ISO 3166 country code"))
    return columns


def _invoice_settings(settings: Mapping[str, Any] | None, errors: list[FieldError]) -> dict[str, str]:
    """The invoice_* columns; the language defaults to the account's (if invoices speak it), else en."""
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(INVOICE_SETTINGS))
    errors.extend(FieldError(f"invoice_settings.{name}", "is not a known field") for name in unknown)
    default_language = account_settings().default_language
    if settings.get("language") is None:
        settings["language"] = default_language if default_language in INVOICE_LANGUAGES else "en"
    elif settings["language"] not in INVOICE_LANGUAGES:
        errors.append(
            FieldError("invoice_settings.language", f"must be one of {', '.join(INVOICE_LANGUAGES)}")
        )
    return {
        column: checked_text(f"invoice_settings.{name}", column, settings.get(name), errors)
        for name, column in INVOICE_SETTINGS.items()
    }


def _name(name: str | None, lines: list[dict[str, Any]], errors: list[FieldError], *, language: str) -> str:
    """The given name, else the first item's name, plus " + N more" when there are several, in the
    subscription's language (the buyer reads it in every email): stored, so it stays as written."""
    text = checked_text("name", "name", name, errors)
    if text or not lines:
        return text
    others = len(lines) - 1
    with translation.override(language or "en"):
        more = (
            ngettext(" + %(count)d more", " + %(count)d more", others) % {"count": others} if others else ""
        )
    limit = _max_length("name") or 200
    return lines[0]["name"].strip()[: limit - len(more)] + more


def _line_item_snapshot(item: SubscriptionLineItem) -> dict[str, Any]:
    return events.snapshot(item, exclude=("subscription",))


@dataclass(frozen=True)
class Draft:
    """A subscription and its line items as :func:`subscription_create` writes them, unsaved."""

    subscription: Subscription
    line_items: list[SubscriptionLineItem]


def subscription_draft(
    *,
    contact: Contact,
    company: Company | None = None,
    deal: Deal | None = None,
    origin: Mapping[str, Any] | None = None,
    name: str | None = None,
    line_items: list[LineItemInput],
    collection_method: str,
    payment_method: PaymentMethod | None = None,
    payment_terms: str | None = None,
    billing_address: Mapping[str, Any] | None = None,
    accept_online_payment: bool = True,
    allowed_payment_methods: Iterable[str] = ("card", "ach"),
    collect_billing_address: bool = False,
    collect_shipping_address: bool = False,
    save_payment_method: bool = True,
    invoice_settings: Mapping[str, Any] | None = None,
    owner_id: int | None = None,
    at: datetime,
) -> Draft:
    """The subscription of ``contact`` with copies of ``line_items``, every rule checked (ValidationFailed
    naming each broken one), written nowhere: what "Create subscription" confirms before it creates.

    ``origin``: where it came from, as Subscription fields (``payment_link``,
    ``quote``, ``purchase``), set as given. ``owner_id``: an active user (``crm.owners``), or None.
    """
    errors: list[FieldError] = []
    purchased_on = schedule.local_date(at, account_zone())
    lines, key = resolved_lines(line_items, purchased_on, errors)
    collection = _collection(
        contact=contact,
        collection_method=collection_method,
        payment_method=payment_method,
        payment_terms=payment_terms,
        accept_online_payment=accept_online_payment,
        allowed_payment_methods=allowed_payment_methods,
        errors=errors,
    )
    address = billing_address_columns(billing_address, contact, errors)
    invoice = _invoice_settings(invoice_settings, errors)
    title = _name(name, lines, errors, language=invoice.get("invoice_language", ""))
    owner_problem = owner_error(owner_id)
    if owner_problem is not None:
        errors.append(owner_problem)
    if errors or key is None:
        raise ValidationFailed(f"{len(errors)} invalid field(s)", errors=errors)

    items = [SubscriptionLineItem(**values) for values in lines]
    amounts = recurring_amounts((item.amounts for item in items), key.billing_frequency)
    step = schedule.step_for(key.billing_frequency)
    subscription = Subscription(
        name=title,
        status=SubscriptionStatus.SCHEDULED if key.start_date > purchased_on else SubscriptionStatus.ACTIVE,
        contact=contact,
        company=company if company is not None else contact.company,
        deal=deal,
        owner_id=owner_id,
        **(origin or {}),
        currency=items[0].currency,
        billing_frequency=key.billing_frequency,
        billing_terms=key.billing_terms,
        number_of_payments=key.number_of_payments,
        start_date=key.start_date,
        periods_billed=0,
        next_payment_date=key.start_date,
        end_date=schedule.end_date(key.start_date, step, key.number_of_payments),
        next_payment_amount=amounts.next_payment_amount,
        line_items_mrr=amounts.mrr,
        collect_billing_address=collect_billing_address,
        collect_shipping_address=collect_shipping_address,
        save_payment_method=save_payment_method,
        **collection,
        **address,
        **invoice,
    )
    subscription.mrr = mrr_in_status(
        subscription.status, subscription.line_items_mrr
    )  # unsaved: not derived yet
    for item in items:
        item.subscription = subscription
    return Draft(subscription, items)


def _save(draft: Draft, actor: Actor) -> Subscription:
    """``draft`` saved with its line items and one ``subscription.created`` event."""
    subscription, items = draft.subscription, draft.line_items
    with transaction.atomic():
        subscription.save(force_insert=True)
        SubscriptionLineItem.objects.bulk_create(items)
        events.record(
            type="subscription.created",
            obj=subscription,
            actor=actor,
            after={
                **events.snapshot(subscription),
                "line_items": [_line_item_snapshot(item) for item in items],
            },
        )
    return subscription


def subscription_create(*, actor: Actor, **values: Any) -> Subscription:
    """The subscription :func:`subscription_draft` makes of ``values`` (its keywords), saved with its line
    items and one ``subscription.created`` event."""
    return _save(subscription_draft(**values), actor)


def renumbered(error: FieldError, positions: list[int]) -> FieldError:
    """An error on ``line_items[i]`` of a group, on the item's position among all the items."""
    field = _POSITION.sub(lambda m: f"line_items[{positions[int(m[1])]}]", error.field)
    return FieldError(field, error.message)


def line_item_groups(items: list[LineItemInput], purchased_on: date) -> list[list[int]]:
    """The positions of ``items`` per subscription, by the grouping rule, in the order the groups first
    appear. Items that are not recurring, or that cannot be read at all, stay with the first group
    (whose draft then names what is wrong with them)."""
    try:
        resolved = resolve_line_items(items)
    except ValidationFailed:
        return [list(range(len(items)))]
    groups = group_items(
        resolved,
        key=lambda values: group_key_of(values, purchased_on),
        frequency=lambda values: values["billing_frequency"],
    )
    positions = [[values["position"] for values in group.items] for group in groups]
    if not positions:
        return [list(range(len(items)))]
    rest = [v["position"] for v in resolved if not is_recurring(v["billing_frequency"])]
    positions[0] = sorted(positions[0] + rest)
    return positions


def subscriptions_draft(*, line_items: list[LineItemInput], at: datetime, **values: Any) -> list[Draft]:
    """One draft (:func:`subscription_draft`, with the other ``values``) per group of ``line_items``:
    every rule of every one checked (ValidationFailed naming each broken one once, the items by their
    place among all of them), written nowhere."""
    purchased_on = schedule.local_date(at, account_zone())
    drafts: list[Draft] = []
    errors: list[FieldError] = []
    for positions in line_item_groups(line_items, purchased_on):
        try:
            drafts.append(subscription_draft(line_items=[line_items[p] for p in positions], at=at, **values))
        except ValidationFailed as exc:
            found = [renumbered(error, positions) for error in exc.errors]
            errors.extend(error for error in found if error not in errors)
    if errors:
        raise ValidationFailed(f"{len(errors)} invalid field(s)", errors=errors)
    return drafts


def subscriptions_create(*, actor: Actor, **values: Any) -> list[Subscription]:
    """The subscriptions :func:`subscriptions_draft` makes of ``values``, all saved in one transaction
    (each with its line items and ``subscription.created`` event), in the order of their groups."""
    drafts = subscriptions_draft(**values)
    with transaction.atomic():
        return [_save(draft, actor) for draft in drafts]
