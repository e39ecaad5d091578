"""Payment link use cases: create, change, deactivate, delete.

A link sells copies of its line items (from the product library or custom)
on its public checkout page (``commerce.checkout``). It is saved only under
the checkout rules (``commerce.rules``): something charged today, at least
the currency's minimum; recurring items need the method saved. A deleted
link keeps its row (purchases point to it) and its page says it is gone; an
inactive one says it is not taking payments.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction

from recurra.accounts.selectors import account_zone
from recurra.catalog.line_items import LineItemInput, resolve_line_items
from recurra.catalog.schedule import local_date
from recurra.commerce.models import PaymentLink, PaymentLinkLineItem, PurchaseStatus
from recurra.commerce.rules import checkout_errors, methods_errors
from recurra.core import events, records
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, FieldError, ValidationFailed
from recurra.crm.models import Deal

NAME_LIMIT: int = PaymentLink._meta.get_field("name").max_length or 200


def _items(
    line_items: list[LineItemInput], errors: list[FieldError], in_use: list[str] | None = None
) -> list[PaymentLinkLineItem]:
    """The new items; an archived product may stay on a link that already sells it (``in_use``)."""
    if not line_items:
        errors.append(FieldError("line_items", "a payment link needs at least one line item"))
        return []
    try:
        return [
            PaymentLinkLineItem(**values)
            for values in resolve_line_items(line_items, products_in_use=in_use or [])
        ]
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return []


def _checked(
    values: dict[str, Any], items: list[PaymentLinkLineItem], at: datetime, *, new_items: bool = True
) -> None:
    """Raise every broken rule of a link with ``values`` and ``items`` (``new_items``: being set now)."""
    errors: list[FieldError] = []
    name = values["name"] = (values.get("name") or "").strip()
    if not name:
        errors.append(FieldError("name", "is required"))
    elif len(name) > NAME_LIMIT:
        errors.append(FieldError("name", f"must be at most {NAME_LIMIT} characters"))
    values["allowed_payment_methods"] = list(dict.fromkeys(values["allowed_payment_methods"]))
    errors.extend(methods_errors(values["allowed_payment_methods"]))
    if items:
        errors.extend(
            checkout_errors(
                items,
                currency=items[0].currency,
                save_payment_method=values["save_payment_method"],
                today=local_date(at, account_zone()),
                new_items=new_items,
            )
        )
    if errors:
        raise ValidationFailed(f"{len(errors)} invalid field(s)", errors=errors)


def _save_items(link: PaymentLink, items: list[PaymentLinkLineItem], actor: Actor) -> None:
    before = [events.snapshot(i, exclude=("id", "payment_link")) for i in link.line_items.all()]
    link.line_items.all().delete()
    for item in items:
        item.payment_link = link
    PaymentLinkLineItem.objects.bulk_create(items)
    after = [events.snapshot(i, exclude=("id", "payment_link")) for i in items]
    if before != after:
        events.record(
            type="paymentlink.line_items_replaced",
            obj=link,
            actor=actor,
            before={"line_items": before},
            after={"line_items": after},
        )


def payment_link_create(
    *,
    name: str,
    line_items: list[LineItemInput],
    allowed_payment_methods: Iterable[str] = ("card", "ach"),
    collect_billing_address: bool = False,
    collect_shipping_address: bool = False,
    save_payment_method: bool = True,
    active: bool = True,
    deal: Deal | None = None,
    actor: Actor,
    at: datetime,
) -> PaymentLink:
    errors: list[FieldError] = []
    items = _items(line_items, errors)
    values: dict[str, Any] = {
        "name": name,
        "allowed_payment_methods": list(allowed_payment_methods),
        "collect_billing_address": collect_billing_address,
        "collect_shipping_address": collect_shipping_address,
        "save_payment_method": save_payment_method,
        "active": active,
        "deal": deal,
    }
    try:
        _checked(values, items, at)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(f"{len(errors)} invalid field(s)", errors=errors)
    with transaction.atomic():
        link = records.create(PaymentLink, actor=actor, currency=items[0].currency, created_at=at, **values)
        _save_items(link, items, actor)
    return link


def payment_link_update(
    *,
    link: PaymentLink,
    line_items: list[LineItemInput] | None = None,
    actor: Actor,
    at: datetime,
    **changes: Any,
) -> PaymentLink:
    """Change a link; ``line_items`` replaces them all (None keeps them). A deleted link is a 409."""
    if link.deleted_at is not None:
        raise Conflict(f"payment link {link.pk} is deleted")
    if line_items is not None and link.purchases.filter(status=PurchaseStatus.PENDING).exists():
        raise Conflict(f"a checkout of payment link {link.pk} is being paid: change its items in a moment")
    errors: list[FieldError] = []
    current = list(link.line_items.all())
    in_use = [item.product_id for item in current if item.product_id]
    items = _items(line_items, errors, in_use) if line_items is not None else None
    values = {
        name: changes.get(name, getattr(link, name))
        for name in (
            "name",
            "allowed_payment_methods",
            "collect_billing_address",
            "collect_shipping_address",
            "save_payment_method",
            "active",
            "deal",
        )
    }
    try:
        _checked(values, items if items is not None else current, at, new_items=items is not None)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if errors:
        raise ValidationFailed(f"{len(errors)} invalid field(s)", errors=errors)
    with transaction.atomic():
        if items is not None:
            _save_items(link, items, actor)
            values["currency"] = items[0].currency
        records.update(link, actor=actor, **values)
    return link


def payment_link_delete(*, link: PaymentLink, actor: Actor, at: datetime) -> PaymentLink:
    """Delete a link: it stops selling at once; its purchases and subscriptions keep pointing to it."""
    if link.deleted_at is not None:
        return link
    return records.update(link, actor=actor, verb="deleted", deleted_at=at, active=False)
