"""Turning line-item input into line-item values: product defaults, then the rules.

Input names a product (its name, price, currency, tax rate and frequency are
copied unless given) or is custom (name, unit_amount and currency required).
Rules: all items of one document share its currency; ``fixed`` terms need a
number of payments and one-time items take no terms; a start date (in the
range of :mod:`recurra.core.dates`), delay in days or delay in months comes
with its own value; no line, and no document, comes to more than
``MAX_AMOUNT`` (so every total fits the database).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext

from recurra.catalog.models import AMOUNT_RULE, MAX_AMOUNT, MAX_QUANTITY, Product, is_amount
from recurra.catalog.pricing import line_amounts
from recurra.catalog.terms import (
    MAX_NUMBER_OF_PAYMENTS,
    BillingFrequency,
    BillingStartType,
    BillingTerms,
    is_recurring,
)
from recurra.core.dates import out_of_range
from recurra.core.errors import FieldError, ValidationFailed
from recurra.core.money import CurrencyError, normalize_currency


@dataclass(frozen=True)
class BillingStart:
    type: str = BillingStartType.AT_PURCHASE
    date: date | None = None
    days: int | None = None
    months: int | None = None


@dataclass(frozen=True)
class LineItemInput:
    product_id: str | None = None
    name: str | None = None
    description: str | None = None
    unit_amount: int | None = None
    currency: str | None = None
    quantity: int = 1
    discount_percent: Decimal = Decimal(0)
    tax_rate_percent: Decimal | None = None
    billing_frequency: str | None = None
    billing_terms: str = BillingTerms.AUTO_RENEW
    number_of_payments: int | None = None
    billing_start: BillingStart = field(default_factory=BillingStart)


_START_VALUE: dict[str, str] = {
    BillingStartType.DATE: "date",
    BillingStartType.DELAY_DAYS: "days",
    BillingStartType.DELAY_MONTHS: "months",
}


def _resolve_one(
    item: LineItemInput, product: Product | None, at: str
) -> tuple[dict[str, Any], list[FieldError]]:
    errors: list[FieldError] = []

    def pick(name: str, fallback: Any = None) -> Any:
        value = getattr(item, name)
        if value is not None:
            return value
        return getattr(product, name) if product is not None else fallback

    values: dict[str, Any] = {
        "product": product,
        "name": pick("name"),
        "description": pick("description", ""),
        "unit_amount": pick("unit_amount"),
        "currency": pick("currency"),
        "quantity": item.quantity,
        "discount_percent": item.discount_percent,
        "tax_rate_percent": pick("tax_rate_percent", Decimal(0)),
        "billing_frequency": pick("billing_frequency", BillingFrequency.ONE_TIME),
        "billing_terms": item.billing_terms,
        "number_of_payments": item.number_of_payments,
        "billing_start_type": item.billing_start.type,
        "billing_start_date": item.billing_start.date,
        "billing_start_days": item.billing_start.days,
        "billing_start_months": item.billing_start.months,
    }
    for required in ("name", "unit_amount", "currency"):
        if values[required] in (None, ""):
            errors.append(FieldError(f"{at}.{required}", gettext("is required for a custom line item")))
    amount = values["unit_amount"]
    if amount is not None and not is_amount(amount):
        errors.append(FieldError(f"{at}.unit_amount", AMOUNT_RULE))
    if not 1 <= item.quantity <= MAX_QUANTITY:
        errors.append(
            FieldError(
                f"{at}.quantity",
                gettext("must be from 1 to %(max_quantity)s") % {"max_quantity": MAX_QUANTITY},
            )
        )
    if values["currency"]:
        try:
            values["currency"] = normalize_currency(values["currency"])
        except CurrencyError:
            errors.append(FieldError(f"{at}.currency", f"unknown currency {values['currency']!r}"))
    if not is_recurring(values["billing_frequency"]):
        if item.billing_terms == BillingTerms.FIXED or item.number_of_payments is not None:
            errors.append(FieldError(f"{at}.billing_terms", gettext("one-time items have no billing terms")))
    elif item.billing_terms == BillingTerms.FIXED:
        if not item.number_of_payments or not 1 <= item.number_of_payments <= MAX_NUMBER_OF_PAYMENTS:
            errors.append(
                FieldError(
                    f"{at}.number_of_payments",
                    f"fixed terms need a number of payments from 1 to {MAX_NUMBER_OF_PAYMENTS}",
                )
            )
    elif item.number_of_payments is not None:
        errors.append(
            FieldError(f"{at}.number_of_payments", gettext("only fixed terms have a number of payments"))
        )
    needed = _START_VALUE.get(item.billing_start.type)
    start_problem = out_of_range(item.billing_start.date) if item.billing_start.date else None
    if needed == "date" and start_problem:
        errors.append(FieldError(f"{at}.billing_start.date", start_problem))
    if needed and getattr(item.billing_start, needed) is None:
        errors.append(
            FieldError(
                f"{at}.billing_start.{needed}", f"is required when the start is {item.billing_start.type}"
            )
        )
    return values, errors


def _line_total(values: dict[str, Any]) -> int:
    return line_amounts(
        unit_amount=values["unit_amount"],
        quantity=values["quantity"],
        discount_percent=values["discount_percent"],
        tax_rate_percent=values["tax_rate_percent"],
    ).total


def resolve_line_items(
    items: list[LineItemInput],
    *,
    currency: str | None = None,
    field_name: str = "line_items",
    products_in_use: Collection[str] = (),
) -> list[dict[str, Any]]:
    """Field values for each item, in order, or ValidationFailed naming every bad field.

    ``currency``: the document's currency every item must use; when None, the
    first item's currency becomes everyone's. An archived product cannot be
    put on a document, unless it is one of ``products_in_use`` (already on it).
    """
    product_ids = {i.product_id for i in items if i.product_id}
    products = Product.objects.in_bulk(product_ids) if product_ids else {}
    resolved: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    document_total = 0
    for index, item in enumerate(items):
        at = f"{field_name}[{index}]"
        product = products.get(item.product_id) if item.product_id else None
        if item.product_id and product is None:
            errors.append(
                FieldError(
                    f"{at}.product_id", gettext("no product %(product_id)s") % {"product_id": item.product_id}
                )
            )
            continue
        if product is not None and product.is_archived and product.pk not in products_in_use:
            errors.append(
                FieldError(f"{at}.product_id", gettext("product %(pk)s is archived") % {"pk": product.pk})
            )
            continue
        values, item_errors = _resolve_one(item, product, at)
        errors.extend(item_errors)
        if not item_errors:
            currency = currency or values["currency"]
            if values["currency"] != currency:
                errors.append(
                    FieldError(
                        f"{at}.currency",
                        gettext("every line item must be in %(currency)s") % {"currency": currency},
                    )
                )
            line_total = _line_total(values)
            if line_total > MAX_AMOUNT:
                errors.append(
                    FieldError(
                        f"{at}.quantity",
                        gettext("makes the line total more than %(max_amount)s") % {"max_amount": MAX_AMOUNT},
                    )
                )
            document_total += line_total
            values["position"] = index
            resolved.append(values)
    if not errors and document_total > MAX_AMOUNT:
        errors.append(
            FieldError(
                field_name,
                gettext("the line items come to more than %(max_amount)s") % {"max_amount": MAX_AMOUNT},
            )
        )
    if errors:
        raise ValidationFailed(f"{len(errors)} invalid line item field(s)", errors=errors)
    return resolved


def stored_input(item: Any) -> LineItemInput:
    """The input that makes a copy of ``item``, a stored line item (a deal's, a link's, a quote's)."""
    return LineItemInput(
        product_id=item.product_id,
        name=item.name,
        description=item.description,
        unit_amount=item.unit_amount,
        currency=item.currency,
        quantity=item.quantity,
        discount_percent=item.discount_percent,
        tax_rate_percent=item.tax_rate_percent,
        billing_frequency=item.billing_frequency,
        billing_terms=item.billing_terms,
        number_of_payments=item.number_of_payments,
        billing_start=BillingStart(
            type=item.billing_start_type,
            date=item.billing_start_date,
            days=item.billing_start_days,
            months=item.billing_start_months,
        ),
    )
