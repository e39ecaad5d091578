"""/deals: sales with line items, tied to a contact and a company; converting one into
subscriptions (and an invoice of its one-time items)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import BaseModel, Field
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from recurra.api.auth import actor
from recurra.api.common import ListQuery, get_or_404, no_content
from recurra.api.fields import (
    Currency,
    Date,
    Id,
    In,
    LineItemIn,
    LineItemOut,
    MinorUnits,
    Name,
    OwnerId,
    OwnerQuery,
    changes,
    omittable,
)
from recurra.api.pagination import list_schema
from recurra.api.routers.invoices import InvoiceOut
from recurra.api.routers.subscriptions import SubscriptionOut, Terms
from recurra.catalog.line_items import LineItemInput
from recurra.commerce import conversion
from recurra.core import clock
from recurra.crm import selectors, services
from recurra.crm.models import Deal, DealStage
from recurra.invoicing.selectors import invoice_list
from recurra.subscriptions.models import Subscription
from recurra.subscriptions.selectors import with_associations

router = Router(tags=["deals"])
Stage = Literal[tuple(DealStage.values)]  # type: ignore[valid-type]
LineItems = Annotated[list[LineItemIn], Field(max_length=100)]
CURRENCY_RULE = (
    f"with line items, theirs (if given, it must match them); else {services.DEFAULT_CURRENCY} if left out"
)
AMOUNT_RULE = "with line items, the sum of their amount_subtotal (if given, it must match it)"
REPLACE_RULE = "replaces every line item; [] removes them (the amount is then 0 unless sent)"


class DealIn(In):
    name: Name
    stage: Stage = "appointment_scheduled"  # type: ignore[valid-type]
    currency: Currency = omittable(description=CURRENCY_RULE)
    amount: MinorUnits = omittable(description=AMOUNT_RULE)
    close_date: Date | None = None
    contact_id: Id | None = None
    company_id: Id | None = None
    owner_id: OwnerId | None = None
    line_items: LineItems = []


class DealPatch(In):
    name: Name = omittable()
    stage: Stage = omittable()  # type: ignore[valid-type]
    currency: Currency = omittable(description=CURRENCY_RULE)
    amount: MinorUnits = omittable(description=AMOUNT_RULE)
    close_date: Date | None = None
    contact_id: Id | None = None
    company_id: Id | None = None
    owner_id: OwnerId | None = Field(None, description="null: no owner")
    line_items: LineItems = omittable(description=REPLACE_RULE)


class DealOut(BaseModel):
    id: str
    name: str
    stage: str
    amount: int
    currency: str
    close_date: dt.date | None
    contact_id: str | None
    company_id: str | None
    owner_id: int | None = Field(description="the user who owns the deal (GET /users); null: nobody")
    line_items: list[LineItemOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, d: Deal) -> DealOut:
        return cls(
            id=d.pk,
            name=d.name,
            stage=d.stage,
            amount=d.amount,
            currency=d.currency,
            close_date=d.close_date,
            contact_id=d.contact_id,
            company_id=d.company_id,
            owner_id=d.owner_id,
            line_items=[LineItemOut.of(i) for i in d.line_items.all()],
            created_at=d.created_at,
            updated_at=d.updated_at,
        )


class DealQuery(ListQuery):
    contact_id: Id | None = None
    company_id: Id | None = None
    stage: Stage | None = None  # type: ignore[valid-type]
    owner_id: OwnerQuery | None = None


def _sent(payload: DealIn | DealPatch) -> tuple[dict[str, Any], list[LineItemInput] | None]:
    """The fields the body sent, and its line items as service input (None when not sent)."""
    values = changes(payload)
    if values.pop("line_items", None) is None:
        return values, None
    return values, [item.to_input() for item in payload.line_items]


@router.post("", response={201: DealOut}, summary="Create a deal")
def create_deal(request: HttpRequest, payload: DealIn) -> Status[DealOut]:
    values, line_items = _sent(payload)
    deal = services.deal_create(actor=actor(request), line_items=line_items, **values)
    return Status(201, DealOut.of(deal))


@router.get("", response=list_schema(DealOut), summary="List or search deals")
def list_deals(request: HttpRequest, filters: Query[DealQuery]) -> dict[str, object]:
    qs = selectors.deal_list(
        q=filters.q,
        contact_id=filters.contact_id,
        company_id=filters.company_id,
        stage=filters.stage,
        owner_id=filters.owner_id,
    ).prefetch_related("line_items")
    return filters.page(qs).render(DealOut.of)


@router.get("/{deal_id}", response=DealOut, summary="Get a deal")
def get_deal(request: HttpRequest, deal_id: Id) -> DealOut:
    return DealOut.of(get_or_404(Deal, deal_id))


@router.patch("/{deal_id}", response=DealOut, summary="Update a deal")
def update_deal(request: HttpRequest, deal_id: Id, payload: DealPatch) -> DealOut:
    deal = get_or_404(Deal, deal_id)
    values, line_items = _sent(payload)
    deal = services.deal_update(deal=deal, actor=actor(request), line_items=line_items, **values)
    return DealOut.of(deal)


@router.delete("/{deal_id}", response={204: None}, summary="Delete a deal")
def delete_deal(request: HttpRequest, deal_id: Id) -> HttpResponse:
    services.deal_delete(deal=get_or_404(Deal, deal_id), actor=actor(request))
    return no_content()


class ConvertIn(In):
    """A deal's or a quote's conversion (manual collection)."""

    payment_terms: Terms = Field(  # type: ignore[valid-type]
        "net_30", description="of every subscription and of the one-time items' invoice"
    )


class ConversionOut(TypedDict, total=False):
    """What a conversion made; what it did not make is left out (not null)."""

    subscription: Annotated[
        SubscriptionOut, Field(description="the first subscription; left out without recurring items")
    ]
    subscriptions: Annotated[
        list[SubscriptionOut],
        Field(
            description="every subscription, one per group of recurring items (frequency, terms, start, "
            "number of payments); left out without recurring items"
        ),
    ]
    invoice: Annotated[InvoiceOut, Field(description="the one-time items' invoice; left out without them")]


@router.post(
    "/{deal_id}/convert",
    response={201: ConversionOut},
    summary="Convert a deal into subscriptions (or an invoice)",
    description="Recurring line items become send_invoice subscriptions of the deal's contact and company "
    "(tied to the deal and its quote), grouped by frequency, terms, start and number of payments; one-time "
    "items go on one open invoice. 422 when the deal has no contact or no line items; 409 when it was "
    "converted already.",
)
def convert_deal(
    request: HttpRequest, deal_id: Id, payload: ConvertIn | None = None
) -> Status[ConversionOut]:
    payload = payload or ConvertIn.model_validate({})
    done = conversion.deal_convert(
        deal=get_or_404(Deal, deal_id),
        payment_terms=payload.payment_terms,
        actor=actor(request),
        at=clock.now(),
    )
    return Status(201, conversion_out(done))


def conversion_out(done: conversion.Conversion) -> ConversionOut:
    """A conversion's answer (a deal's or a quote's): what it made, nothing for what it did not."""
    made: ConversionOut = {}
    if done.subscriptions:
        rows = with_associations(Subscription.objects.filter(pk__in=[s.pk for s in done.subscriptions]))
        by_id = {row.pk: SubscriptionOut.of(row) for row in rows}
        made["subscriptions"] = [by_id[s.pk] for s in done.subscriptions]
        made["subscription"] = made["subscriptions"][0]
    if done.invoice is not None:
        made["invoice"] = InvoiceOut.of(invoice_list().get(pk=done.invoice.pk))
    return made
