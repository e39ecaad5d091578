"""/quotes: offers made from deals; publish, accept (and pay), convert to subscriptions or an invoice."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import BaseModel, Field

from recurra.api.auth import actor, sees_buyer_links
from recurra.api.common import ListQuery, get_or_404, referenced
from recurra.api.fields import AddressIn, Date, Email, Id, In, LineItemIn, LineItemOut, Name, ShortText
from recurra.api.pagination import list_schema
from recurra.api.routers.deals import ConversionOut, ConvertIn, conversion_out
from recurra.api.routers.payment_links import (
    CheckoutOut,
    PaymentMethodTokenIn,
    attempt_of,
    buyer_of,
    checkout_out,
)
from recurra.commerce import quotes as services
from recurra.commerce.checkout import checkout_plan
from recurra.commerce.links import quote_url
from recurra.commerce.models import Quote, QuoteStatus
from recurra.core import clock
from recurra.crm.models import Deal

router = Router(tags=["quotes"])
Method = Literal["card", "ach", "sepa_debit"]


class QuoteIn(In):
    deal_id: Id
    line_items: Annotated[list[LineItemIn], Field(max_length=100)] | None = Field(
        None, description="left out: the deal's line items"
    )
    name: Name | None = None
    expires_on: Date | None = Field(None, description="left out: 30 days from today")
    payment_enabled: bool = Field(False, description="the buyer pays on the quote page when accepting")
    allowed_payment_methods: Annotated[list[Method], Field(min_length=1, max_length=3)] = ["card", "ach"]
    collect_billing_address: bool = False
    collect_shipping_address: bool = False
    save_payment_method: bool = True
    language: Literal["en", "nb"] = "en"
    comments: Annotated[str, Field(max_length=2000)] = ""


class QuoteOut(BaseModel):
    id: str
    name: str
    status: str
    expired: bool
    url: str | None = Field(
        description="the public quote page, once published; null for a viewer key (whoever holds it "
        "can accept the quote as the buyer)"
    )
    deal_id: str
    contact_id: str | None
    company_id: str | None
    currency: str
    expires_on: dt.date
    line_items: list[LineItemOut]
    total: int = Field(description="one payment of every item")
    amount_today: int = Field(description="charged on acceptance when payment is enabled")
    payment_enabled: bool
    allowed_payment_methods: list[str]
    language: str
    signed_name: str
    accepted_at: dt.datetime | None
    converted_at: dt.datetime | None
    subscriptions: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, q: Quote, *, links: bool = True) -> QuoteOut:
        """The quote; ``links``: with its ``url`` (``auth.sees_buyer_links``)."""
        items = list(q.line_items.all())
        now = clock.now()
        return cls(
            id=q.pk,
            name=q.name,
            status=q.status,
            expired=services.is_expired(q, now),
            url=quote_url(q) if links and q.status != QuoteStatus.DRAFT else None,
            deal_id=q.deal_id,
            contact_id=q.contact_id,
            company_id=q.company_id,
            currency=q.currency,
            expires_on=q.expires_on,
            line_items=[LineItemOut.of(i) for i in items],
            total=sum(i.amounts.total for i in items),
            amount_today=checkout_plan(q, now).amount_today,
            payment_enabled=q.payment_enabled,
            allowed_payment_methods=list(q.allowed_payment_methods),
            language=q.language,
            signed_name=q.signed_name,
            accepted_at=q.accepted_at,
            converted_at=q.converted_at,
            subscriptions=list(q.subscriptions.order_by("pk").values_list("pk", flat=True)),
            created_at=q.created_at,
            updated_at=q.updated_at,
        )


class QuoteQuery(ListQuery):
    deal_id: Id | None = None
    status: Literal[tuple(QuoteStatus.values)] | None = None  # type: ignore[valid-type]


class AcceptIn(In):
    signed_name: Annotated[str, Field(min_length=1, max_length=200, description="the buyer's typed name")]
    email: Email | None = Field(None, description="the buyer's; left out: the quote's contact's")
    first_name: ShortText = ""
    last_name: ShortText = ""
    payment_method: PaymentMethodTokenIn | None = Field(None, description="required when payment is enabled")
    billing_address: AddressIn | None = None
    shipping_address: AddressIn | None = None


class AcceptOut(BaseModel):
    quote: QuoteOut
    checkout: CheckoutOut | None = Field(description="the payment and subscriptions, when paid")


@router.post("", response={201: QuoteOut}, summary="Create a quote from a deal")
def create_quote(request: HttpRequest, payload: QuoteIn) -> Status[QuoteOut]:
    values = payload.model_dump(exclude={"deal_id", "line_items"})
    quote = services.quote_create(
        deal=referenced(Deal, payload.deal_id, "deal_id"),
        line_items=[i.to_input() for i in payload.line_items] if payload.line_items is not None else None,
        actor=actor(request),
        at=clock.now(),
        **values,
    )
    return Status(201, QuoteOut.of(quote))


@router.get("", response=list_schema(QuoteOut), summary="List quotes")
def list_quotes(request: HttpRequest, filters: Query[QuoteQuery]) -> dict[str, object]:
    qs = Quote.objects.prefetch_related("line_items")
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    if filters.deal_id:
        qs = qs.filter(deal_id=filters.deal_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    links = sees_buyer_links(request)
    return filters.page(qs).render(lambda q: QuoteOut.of(q, links=links))


@router.get("/{quote_id}", response=QuoteOut, summary="Get a quote")
def get_quote(request: HttpRequest, quote_id: Id) -> QuoteOut:
    return QuoteOut.of(get_or_404(Quote, quote_id), links=sees_buyer_links(request))


@router.post("/{quote_id}/publish", response=QuoteOut, summary="Publish a quote (its public page)")
def publish_quote(request: HttpRequest, quote_id: Id) -> QuoteOut:
    quote = services.quote_publish(quote=get_or_404(Quote, quote_id), actor=actor(request), at=clock.now())
    return QuoteOut.of(quote)


@router.post(
    "/{quote_id}/accept",
    response=AcceptOut,
    summary="Accept a quote (and pay it when payment is enabled)",
    description="What the quote page does. Expired or not published: 409. Declined: 422 on payment_method.",
)
def accept_quote(request: HttpRequest, quote_id: Id, payload: AcceptIn) -> AcceptOut:
    quote = get_or_404(Quote, quote_id)
    buyer = buyer_of(payload, payload.email or (quote.contact.email if quote.contact else ""))
    paid = services.quote_accept(
        quote=quote,
        signed_name=payload.signed_name,
        buyer=buyer,
        token=payload.payment_method.token if payload.payment_method else None,
        attempt=attempt_of(request),
        at=clock.now(),
    )
    return AcceptOut(quote=QuoteOut.of(quote), checkout=checkout_out(paid) if paid else None)


@router.post(
    "/{quote_id}/convert-to-subscription",
    response={201: ConversionOut},
    summary="Convert a quote to subscriptions (manual collection)",
)
def convert_quote_to_subscription(
    request: HttpRequest, quote_id: Id, payload: ConvertIn | None = None
) -> Status[ConversionOut]:
    return _convert(request, quote_id, "subscription", payload)


@router.post(
    "/{quote_id}/convert-to-invoice",
    response={201: ConversionOut},
    summary="Convert a quote without recurring items to an invoice",
)
def convert_quote_to_invoice(
    request: HttpRequest, quote_id: Id, payload: ConvertIn | None = None
) -> Status[ConversionOut]:
    return _convert(request, quote_id, "invoice", payload)


def _convert(
    request: HttpRequest, quote_id: str, to: str, payload: ConvertIn | None
) -> Status[ConversionOut]:
    payload = payload or ConvertIn.model_validate({})
    done = services.quote_convert(
        quote=get_or_404(Quote, quote_id),
        to=to,
        payment_terms=payload.payment_terms,
        actor=actor(request),
        at=clock.now(),
    )
    return Status(201, conversion_out(done))
