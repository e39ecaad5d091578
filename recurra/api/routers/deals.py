"""/deals: sales with line items, tied to a contact and a company."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import BaseModel, Field

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
    changes,
    omittable,
)
from recurra.api.pagination import list_schema
from recurra.catalog.line_items import LineItemInput
from recurra.crm import selectors, services
from recurra.crm.models import Deal, DealStage

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
    line_items: LineItems = []


class DealPatch(In):
    name: Name = omittable()
    stage: Stage = omittable()  # type: ignore[valid-type]
    currency: Currency = omittable(description=CURRENCY_RULE)
    amount: MinorUnits = omittable(description=AMOUNT_RULE)
    close_date: Date | None = None
    contact_id: Id | None = None
    company_id: Id | None = None
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
            line_items=[LineItemOut.of(i) for i in d.line_items.all()],
            created_at=d.created_at,
            updated_at=d.updated_at,
        )


class DealQuery(ListQuery):
    contact_id: Id | None = None
    company_id: Id | None = None
    stage: Stage | None = None  # type: ignore[valid-type]


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
        q=filters.q, contact_id=filters.contact_id, company_id=filters.company_id, stage=filters.stage
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
