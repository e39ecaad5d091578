"""/payment-links: links with a hosted checkout, and the checkout itself (what its page does)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import BaseModel, Field

from recurra.api.auth import actor
from recurra.api.common import ListQuery, get_or_404, no_content, referenced
from recurra.api.fields import (
    AddressIn,
    Email,
    Id,
    In,
    LineItemIn,
    LineItemOut,
    Name,
    ShortText,
    changes,
    omittable,
)
from recurra.api.pagination import list_schema
from recurra.api.routers.payments import PaymentOut
from recurra.api.routers.subscriptions import SubscriptionOut
from recurra.commerce import checkout as checkouts
from recurra.commerce import payment_links as services
from recurra.commerce.links import checkout_url
from recurra.commerce.models import PaymentLink
from recurra.commerce.plan import group_amount
from recurra.core import clock
from recurra.crm.models import Deal
from recurra.subscriptions.selectors import with_associations

router = Router(tags=["payment links"])
Method = Literal["card", "ach", "sepa_debit"]
LineItems = Annotated[list[LineItemIn], Field(min_length=1, max_length=100)]
Methods = Annotated[list[Method], Field(min_length=1, max_length=3)]


class PaymentLinkIn(In):
    name: Name
    line_items: LineItems
    allowed_payment_methods: Methods = ["card", "ach"]
    collect_billing_address: bool = False
    collect_shipping_address: bool = False
    save_payment_method: bool = Field(True, description="keep the method to charge later payments")
    deal_id: Id | None = None
    active: bool = True


class PaymentLinkPatch(In):
    name: Name = omittable()
    line_items: LineItems = omittable(description="replaces every line item")
    allowed_payment_methods: Methods = omittable()
    collect_billing_address: bool = omittable()
    collect_shipping_address: bool = omittable()
    save_payment_method: bool = omittable()
    deal_id: Id | None = omittable()
    active: bool = omittable()


class FutureChargeOut(BaseModel):
    start_date: dt.date
    billing_frequency: str
    amount: int = Field(description="each payment of the subscription it starts")
    line_items: list[str] = Field(description="the names of its items")


class PaymentLinkOut(BaseModel):
    id: str
    url: str = Field(description="the public checkout page")
    name: str
    active: bool
    deleted: bool
    currency: str
    line_items: list[LineItemOut]
    allowed_payment_methods: list[str]
    collect_billing_address: bool
    collect_shipping_address: bool
    save_payment_method: bool
    deal_id: str | None
    amount_today: int = Field(description="what a checkout made today charges at once")
    future_charges: list[FutureChargeOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, link: PaymentLink) -> PaymentLinkOut:
        bought = checkouts.checkout_plan(link, clock.now())
        return cls(
            id=link.pk,
            url=checkout_url(link),
            name=link.name,
            active=link.active,
            deleted=link.deleted_at is not None,
            currency=link.currency,
            line_items=[LineItemOut.of(item) for item in link.line_items.all()],
            allowed_payment_methods=list(link.allowed_payment_methods),
            collect_billing_address=link.collect_billing_address,
            collect_shipping_address=link.collect_shipping_address,
            save_payment_method=link.save_payment_method,
            deal_id=link.deal_id,
            amount_today=bought.amount_today,
            future_charges=[
                FutureChargeOut(
                    start_date=group.key.start_date,
                    billing_frequency=group.key.billing_frequency,
                    amount=group_amount(group),
                    line_items=[item.name for item in group.items],
                )
                for group in bought.later
            ],
            created_at=link.created_at,
            updated_at=link.updated_at,
        )


class PaymentLinkQuery(ListQuery):
    active: bool | None = None
    deal_id: Id | None = None


class PaymentMethodTokenIn(In):
    token: Annotated[str, Field(min_length=1, max_length=100, description="a gateway token")]


class CheckoutIn(In):
    email: Email
    first_name: ShortText = ""
    last_name: ShortText = ""
    payment_method: PaymentMethodTokenIn
    billing_address: AddressIn | None = None
    shipping_address: AddressIn | None = None


class CheckoutOut(BaseModel):
    purchase_id: str
    contact_id: str
    payment: PaymentOut
    invoice_id: str
    subscriptions: list[SubscriptionOut]


def _values(payload: PaymentLinkIn | PaymentLinkPatch) -> dict[str, Any]:
    values = changes(payload)
    if "line_items" in values:
        values["line_items"] = [item.to_input() for item in payload.line_items]
    if "deal_id" in values:
        deal_id = values.pop("deal_id")
        values["deal"] = referenced(Deal, deal_id, "deal_id")
    return values


@router.post("", response={201: PaymentLinkOut}, summary="Create a payment link")
def create_payment_link(request: HttpRequest, payload: PaymentLinkIn) -> Status[PaymentLinkOut]:
    link = services.payment_link_create(actor=actor(request), at=clock.now(), **_values(payload))
    return Status(201, PaymentLinkOut.of(link))


@router.get("", response=list_schema(PaymentLinkOut), summary="List payment links")
def list_payment_links(request: HttpRequest, filters: Query[PaymentLinkQuery]) -> dict[str, object]:
    qs = PaymentLink.objects.filter(deleted_at__isnull=True).prefetch_related("line_items")
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    if filters.deal_id:
        qs = qs.filter(deal_id=filters.deal_id)
    return filters.page(qs).render(PaymentLinkOut.of)


@router.get("/{link_id}", response=PaymentLinkOut, summary="Get a payment link")
def get_payment_link(request: HttpRequest, link_id: Id) -> PaymentLinkOut:
    return PaymentLinkOut.of(get_or_404(PaymentLink, link_id))


@router.patch("/{link_id}", response=PaymentLinkOut, summary="Change a payment link")
def update_payment_link(request: HttpRequest, link_id: Id, payload: PaymentLinkPatch) -> PaymentLinkOut:
    link = get_or_404(PaymentLink, link_id)
    link = services.payment_link_update(link=link, actor=actor(request), at=clock.now(), **_values(payload))
    return PaymentLinkOut.of(link)


@router.delete("/{link_id}", response={204: None}, summary="Delete a payment link")
def delete_payment_link(request: HttpRequest, link_id: Id) -> HttpResponse:
    services.payment_link_delete(link=get_or_404(PaymentLink, link_id), actor=actor(request), at=clock.now())
    return no_content()


@router.post(
    "/{link_id}/checkout",
    response={201: CheckoutOut},
    summary="Buy through a payment link",
    description=(
        "What the hosted checkout page does: find or create the contact by email, charge what is due "
        "today, create the subscriptions. A declined payment is a 422 on payment_method and creates "
        "nothing; a bank debit (ACH) creates the subscriptions while its payment is processing."
    ),
)
def checkout_payment_link(request: HttpRequest, link_id: Id, payload: CheckoutIn) -> Status[CheckoutOut]:
    link = get_or_404(PaymentLink, link_id)
    done = checkouts.checkout(
        source=link,
        buyer=buyer_of(payload, payload.email),
        token=payload.payment_method.token,
        attempt=attempt_of(request),
        at=clock.now(),
    )
    return Status(201, checkout_out(done))


def buyer_of(payload: Any, email: str) -> checkouts.Buyer:
    """The buyer a checkout's body (or a quote acceptance's: the same fields) describes."""
    return checkouts.Buyer(
        email=email,
        first_name=payload.first_name,
        last_name=payload.last_name,
        billing_address=payload.billing_address.model_dump() if payload.billing_address else None,
        shipping_address=payload.shipping_address.model_dump() if payload.shipping_address else None,
    )


def attempt_of(request: HttpRequest) -> str | None:
    """The request's Idempotency-Key as the checkout's attempt id: a retry with it is one charge."""
    key = request.headers.get("Idempotency-Key")
    return "key_" + hashlib.sha256(key.encode()).hexdigest()[:32] if key else None


def checkout_out(done: checkouts.CheckoutResult) -> CheckoutOut:
    assert done.payment is not None and done.contact is not None and done.invoice is not None
    subs = with_associations(done.purchase.subscriptions.order_by("pk"))
    return CheckoutOut(
        purchase_id=done.purchase.pk,
        contact_id=done.contact.pk,
        payment=PaymentOut.of(done.payment),
        invoice_id=done.invoice.pk,
        subscriptions=[SubscriptionOut.of(sub) for sub in subs],
    )
