"""Product library use cases. A product on any line item is archived, not deleted."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from recurra.catalog.models import AMOUNT_RULE, Product, is_amount
from recurra.catalog.terms import BillingFrequency
from recurra.core import records
from recurra.core.actors import Actor
from recurra.core.errors import Conflict, FieldError, ValidationFailed
from recurra.core.money import CurrencyError, normalize_currency

PRODUCT_FIELDS = (
    "name",
    "sku",
    "description",
    "unit_amount",
    "currency",
    "tax_rate_percent",
    "billing_frequency",
)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Normalise and check product values; ValidationFailed names every bad field."""
    errors: list[FieldError] = []
    cleaned = dict(values)
    if "name" in cleaned:
        cleaned["name"] = (cleaned["name"] or "").strip()
        if not cleaned["name"]:
            errors.append(FieldError("name", gettext("must not be blank")))
    if "sku" in cleaned:
        cleaned["sku"] = (cleaned["sku"] or "").strip() or None
    if "description" in cleaned:
        cleaned["description"] = cleaned["description"] or ""
    if "currency" in cleaned:
        try:
            cleaned["currency"] = normalize_currency(cleaned["currency"] or "")
        except CurrencyError as exc:
            errors.append(FieldError("currency", str(exc)))
    if "unit_amount" in cleaned and not is_amount(cleaned["unit_amount"]):
        errors.append(FieldError("unit_amount", AMOUNT_RULE))
    rate = cleaned.get("tax_rate_percent")
    if rate is not None and not Decimal(0) <= Decimal(str(rate)) <= Decimal(100):
        errors.append(FieldError("tax_rate_percent", gettext("must be between 0 and 100")))
    if "tax_rate_percent" in cleaned and rate is None:
        cleaned["tax_rate_percent"] = Decimal(0)
    if "billing_frequency" in cleaned and cleaned["billing_frequency"] not in BillingFrequency.values:
        errors.append(FieldError("billing_frequency", gettext("unknown billing frequency")))
    if errors:
        raise ValidationFailed("invalid product", errors=errors)
    return cleaned


def product_create(*, actor: Actor, **values: object) -> Product:
    unknown = set(values) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    return records.create(Product, actor=actor, unique_field="sku", **_clean(values))


def product_update(
    *, product: Product, actor: Actor, at: datetime, archived: bool | None = None, **changes: object
) -> Product:
    """Change fields; ``archived`` True/False archives or restores (no-op when already so)."""
    with transaction.atomic():
        if changes:
            product = records.update(product, actor=actor, unique_field="sku", **_clean(changes))
        if archived is True and not product.is_archived:
            product = product_archive(product=product, actor=actor, at=at)
        elif archived is False and product.is_archived:
            product = product_unarchive(product=product, actor=actor)
    return product


def product_archive(*, product: Product, actor: Actor, at: datetime) -> Product:
    if product.is_archived:
        raise Conflict(gettext("product %(pk)s is already archived") % {"pk": product.pk})
    return records.update(product, actor=actor, verb="archived", archived_at=at)


def product_unarchive(*, product: Product, actor: Actor) -> Product:
    if not product.is_archived:
        raise Conflict(gettext("product %(pk)s is not archived") % {"pk": product.pk})
    return records.update(product, actor=actor, verb="unarchived", archived_at=None)


def product_delete(*, product: Product, actor: Actor) -> None:
    records.delete(
        product,
        actor=actor,
        in_use=f"product {product.pk} is used on line items; archive it instead",
    )
