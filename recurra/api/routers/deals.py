"""/deals: sales with line items, tied to a contact and a company."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import BaseModel, Field

from recurra.api.auth import actor
from recurra.api.common import ListQuery, get_or_404
from recurra.api.fields import Currency, Id, In, LineItemIn, LineItemOut, Name, changes
from recurra.api.pagination import list_schema
from recurra.crm import selectors, services
from recurra.crm.models import Deal, DealStage

router = Router(tags=["deals"])
Stage = Literal[tuple(DealStage.values)]  # type: ignore[valid-type]
LineItems = Annotated[list[LineItemIn], Field(max_length=100)]


class DealIn(In):
    name: Name
    stage: Stage = "appointment_scheduled"  # type: ignore[valid-type]
    currency: Currency = "USD"
    amount: Annotated[
        int, Field(ge=0, strict=True, description="minor units; computed when line items are given")
    ] = 0
    close_date: dt.date | None = None
    contact_id: Id | None = None
    company_id: Id | None = None
    line_items: LineItems = []


class DealPatch(In):
    name: Name | None = None
    stage: Stage | None = None  # type: ignore[valid-type]
    currency: Currency | None = None
    amount: Annotated[int, Field(ge=0, strict=True)] | None = None
    close_date: dt.date | None = None
    contact_id: Id | None = None
    company_id: Id | None = None
    line_items: LineItems | None = Field(None, description="replaces every line item; [] removes them")


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


def _items(items: list[LineItemIn] | None) -> list | None:
    return None if items is None else [i.to_input() for i in items]


@router.post("", response={201: DealOut}, summary="Create a deal")
def create_deal(request: HttpRequest, payload: DealIn) -> Status[DealOut]:
    values = payload.model_dump(exclude={"line_items"})
    deal = services.deal_create(actor=actor(request), line_items=_items(payload.line_items), **values)
    return Status(201, DealOut.of(deal))


@router.get("", response=list_schema(DealOut), summary="List or search deals")
def list_deals(request: HttpRequest, filters: Query[DealQuery]) -> dict[str, object]:
    qs = selectors.deal_list(
        q=filters.q, contact_id=filters.contact_id, company_id=filters.company_id, stage=filters.stage
    ).prefetch_related("line_items")
    return filters.page(qs).render(DealOut.of)


@router.get("/{deal_id}", response=DealOut, summary="Get a deal")
def get_deal(request: HttpRequest, deal_id: str) -> DealOut:
    return DealOut.of(get_or_404(Deal, deal_id))


@router.patch("/{deal_id}", response=DealOut, summary="Update a deal")
def update_deal(request: HttpRequest, deal_id: str, payload: DealPatch) -> DealOut:
    deal = get_or_404(Deal, deal_id)
    values = changes(payload)
    values.pop("line_items", None)
    deal = services.deal_update(
        deal=deal, actor=actor(request), line_items=_items(payload.line_items), **values
    )
    return DealOut.of(deal)


@router.delete("/{deal_id}", response={204: None}, summary="Delete a deal")
def delete_deal(request: HttpRequest, deal_id: str) -> Status[None]:
    services.deal_delete(deal=get_or_404(Deal, deal_id), actor=actor(request))
    return Status(204, None)
