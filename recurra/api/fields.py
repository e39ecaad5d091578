"""Field types shared by the API schemas: text, money, currency, percent, ids, addresses, line items.

Dates are ``YYYY-MM-DD`` within the supported range (:mod:`recurra.core.dates`).
Money is a strict integer of minor units (``19.99`` or ``"1999"`` are refused,
not coerced); percents are strings or integers, never floats. Every string is
checked by :data:`TEXT`: NUL characters and lone surrogates, which no
database stores, are refused. A field that may be left out but means nothing
as null (most PATCH fields) is :func:`omittable`: ``null`` is a 422, not a
silent change, and the schema does not offer it.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, WithJsonSchema

from recurra.catalog.line_items import BillingStart, LineItemInput
from recurra.catalog.models import MAX_AMOUNT, MAX_QUANTITY, LineItemFields
from recurra.catalog.terms import MAX_NUMBER_OF_PAYMENTS, BillingFrequency, BillingTerms
from recurra.core.dates import RANGE_TEXT, out_of_range
from recurra.core.money import CurrencyError, currencies, normalize_currency


class In(BaseModel):
    """Base of every request body: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


def _text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


TEXT = AfterValidator(_text)  # after any length constraint: Annotated[str, Field(max_length=9), TEXT]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def omittable(**kwargs: Any) -> Any:
    """A field that may be left out but not sent as null (and whose schema shows no default)."""
    return Field(None, json_schema_extra=_no_default, **kwargs)


def _currency(value: str) -> str:
    try:
        return normalize_currency(value)
    except CurrencyError:
        raise ValueError(f"unknown currency {value!r}; use an ISO 4217 code such as USD") from None


Currency = Annotated[
    str,
    Field(min_length=3, max_length=3),
    AfterValidator(_currency),
    WithJsonSchema({"type": "string", "enum": sorted(currencies()), "description": "ISO 4217, upper case"}),
]
MinorUnits = Annotated[StrictInt, Field(ge=0, le=MAX_AMOUNT, description="integer minor units")]
PERCENT_PATTERN = r"^(100(\.0{1,4})?|[0-9]{1,2}(\.[0-9]{1,4})?)$"


def _percent(value: object) -> Decimal:
    """A percentage from an int or a string like "12.5"; floats are refused (they are inexact)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError('must be a string such as "12.5" or an integer, not a float')
    if isinstance(value, str) and not re.fullmatch(PERCENT_PATTERN, value):
        raise ValueError("must be a number from 0 to 100 with at most 4 decimals")
    number = Decimal(value)
    if not Decimal(0) <= number <= Decimal(100):
        raise ValueError("must be from 0 to 100")
    return number


Percent = Annotated[
    Decimal,
    BeforeValidator(_percent),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "integer", "minimum": 0, "maximum": 100},
                {"type": "string", "pattern": PERCENT_PATTERN},
            ],
            "description": 'a percentage from 0 to 100 as a string ("12.5") or integer; never a float',
        }
    ),
]
Id = Annotated[str, Field(min_length=1, max_length=40, description="an opaque id"), TEXT]
MAX_USER_ID = 2**63 - 1
OwnerId = Annotated[
    StrictInt,
    Field(ge=1, le=MAX_USER_ID, description="the id of an active user (GET /users); null: no owner"),
]
OwnerQuery = Annotated[int, Field(ge=1, le=MAX_USER_ID, description="only those this user (GET /users) owns")]
Name = Annotated[
    str,
    Field(max_length=200),
    TEXT,
    AfterValidator(_non_blank),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"}),
]
Line = Annotated[str, Field(max_length=200), TEXT]
ShortText = Annotated[str, Field(max_length=100), TEXT]
Phone = Annotated[str, Field(max_length=40), TEXT]
Description = Annotated[str, Field(max_length=5000), TEXT]
Email = Annotated[
    str,
    Field(max_length=254),
    TEXT,
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254}),
]


def _date_text(value: object) -> object:
    """Only ``YYYY-MM-DD`` (pydantic alone would also take ``0`` as 1970-01-01, or a datetime)."""
    if isinstance(value, dt.date) or (
        isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)
    ):
        return value
    raise ValueError("must be a date as YYYY-MM-DD")


def _date_in_range(value: dt.date) -> dt.date:
    problem = out_of_range(value)
    if problem:
        raise ValueError(problem)
    return value


Date = Annotated[
    dt.date,
    BeforeValidator(_date_text),
    AfterValidator(_date_in_range),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "description": f"YYYY-MM-DD, {RANGE_TEXT}",
        }
    ),
]


def percent_text(value: Decimal) -> str:
    """``Decimal('12.5000')`` as ``"12.5"``, never in exponent form."""
    return f"{value.normalize():f}"


class AddressIn(In):
    """A postal address; parts left out stay as they are, null or "" clears a part."""

    line1: Line | None = None
    line2: Line | None = None
    city: ShortText | None = None
    state: ShortText | None = None
    postal_code: Annotated[str, Field(max_length=20), TEXT] | None = None
    country: Annotated[str, Field(max_length=2, description="ISO 3166-1 alpha-2"), TEXT] | None = None


class AddressOut(BaseModel):
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str
    country: str


class BillingStartIn(In):
    type: Literal["at_purchase", "date", "delay_days", "delay_months"] = "at_purchase"
    date: Date | None = None
    days: Annotated[StrictInt, Field(ge=1, le=3650)] | None = None
    months: Annotated[StrictInt, Field(ge=1, le=120)] | None = None


class BillingStartOut(BaseModel):
    type: str
    date: dt.date | None = None
    days: int | None = None
    months: int | None = None


Frequency = Literal[tuple(BillingFrequency.values)]  # type: ignore[valid-type]
Terms = Literal[tuple(BillingTerms.values)]  # type: ignore[valid-type]


class LineItemIn(In):
    """A line item: ``product_id`` (its values are the defaults) or a custom name and price."""

    product_id: Id | None = None
    name: Name | None = None
    description: Description | None = None
    unit_amount: MinorUnits | None = None
    currency: Currency | None = None
    quantity: Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY)] = 1
    discount_percent: Percent = Decimal(0)
    tax_rate_percent: Percent | None = None
    billing_frequency: Frequency | None = None  # type: ignore[valid-type]
    billing_terms: Terms = "auto_renew"  # type: ignore[valid-type]
    number_of_payments: Annotated[StrictInt, Field(ge=1, le=MAX_NUMBER_OF_PAYMENTS)] | None = None
    billing_start: BillingStartIn = Field(default_factory=BillingStartIn)

    def to_input(self) -> LineItemInput:
        values = self.model_dump(exclude={"billing_start"})
        return LineItemInput(**values, billing_start=BillingStart(**self.billing_start.model_dump()))


class LineItemOut(BaseModel):
    id: str
    product_id: str | None
    name: str
    description: str
    unit_amount: int
    currency: str
    quantity: int
    discount_percent: str
    tax_rate_percent: str
    billing_frequency: str
    billing_terms: str
    number_of_payments: int | None
    billing_start: BillingStartOut
    amount_discount: int
    amount_subtotal: int = Field(description="quantity × unit_amount − discount")
    amount_tax: int
    amount_total: int

    @classmethod
    def of(cls, item: LineItemFields) -> LineItemOut:
        amounts = item.amounts
        return cls(
            id=item.pk,
            product_id=item.product_id,
            name=item.name,
            description=item.description,
            unit_amount=item.unit_amount,
            currency=item.currency,
            quantity=item.quantity,
            discount_percent=percent_text(item.discount_percent),
            tax_rate_percent=percent_text(item.tax_rate_percent),
            billing_frequency=item.billing_frequency,
            billing_terms=item.billing_terms,
            number_of_payments=item.number_of_payments,
            billing_start=BillingStartOut(**item.billing_start),
            amount_discount=amounts.discount,
            amount_subtotal=amounts.net,
            amount_tax=amounts.tax,
            amount_total=amounts.total,
        )


def changes(payload: BaseModel) -> dict[str, Any]:
    """The fields a PATCH body actually sent (absent fields stay as they are)."""
    return payload.model_dump(exclude_unset=True)
