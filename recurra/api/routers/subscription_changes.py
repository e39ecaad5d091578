"""/subscriptions/{id}: edit (``PATCH``) and preview the edit's money effect (``POST .../preview-change``).

Both take the same body and answer the subscription (as it is, or would be)
plus a ``proration`` block: the prorated invoice's lines and totals (null with
``proration: none`` or when nothing is prorated). The preview saves nothing.

PATCH is added to the ``subscriptions`` router itself: Django resolves a path
to the first router that has it, so a second router's PATCH on
``/subscriptions/{id}`` (where that one answers GET and DELETE) would be a 405.
``preview-change`` is a path of its own, on this module's router.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Router
from pydantic import BaseModel, Field

from recurra.api.auth import actor
from recurra.api.common import get_or_404, referenced
from recurra.api.fields import AddressIn, Date, Id, In, LineItemIn, LineItemOut, Name, OwnerId
from recurra.api.routers.subscriptions import SubscriptionOut, subscription_or_404
from recurra.api.routers.subscriptions import router as subscriptions_router
from recurra.core import clock
from recurra.crm.models import Contact
from recurra.crm.owners import KEEP
from recurra.payments.models import PaymentMethod
from recurra.subscriptions.editing import ChangeResult, SubscriptionChanges, subscription_change
from recurra.subscriptions.models import Subscription

router = Router(tags=["subscriptions"])


class SubscriptionChangeIn(In):
    name: Name | None = None
    line_items: Annotated[list[LineItemIn], Field(max_length=100)] | None = Field(
        None,
        description="replaces every line item; billed at the subscription's frequency, terms and "
        "number of payments (the currency defaults to the subscription's)",
    )
    next_payment_date: Date | None = Field(
        None, description="re-anchors the schedule: today or later, after the last billed period's start"
    )
    payment_method_id: Id | None = None
    contact_id: Id | None = Field(None, description="the new contact gets every later email")
    billing_address: AddressIn | None = Field(None, description='parts left out stay; null or "" clears')
    owner_id: OwnerId | None = Field(
        None,
        description="the user who owns it (GET /users); null: nobody. Sent alone it is no edit of the "
        "subscription: any status, nothing prorated, no email to the contact",
    )
    proration: Literal["none", "prorate"] = Field(
        "none",
        description="none: the new price from the next period; prorate: the rest of the current period "
        "is billed at once (credit for the old price, charge for the new)",
    )


class ProratedLineOut(BaseModel):
    name: str
    description: str
    amount_subtotal: int
    amount_tax: int
    amount_total: int


class ProrationOut(BaseModel):
    period_start: dt.date
    period_end: dt.date
    days: int = Field(description="days left in the current period, from the change (account time zone)")
    period_days: int
    lines: list[ProratedLineOut] = Field(
        description="the credit for the old price (negative), then the charge"
    )
    subtotal: int
    tax: int
    total: int = Field(description="charged at once when positive; a credit (not refunded) when negative")
    invoice_id: str | None = Field(description="the prorated invoice (saved edits with a total other than 0)")
    payment_id: str | None = Field(description="the charge of that invoice, made after the edit")


class SubscriptionChangeOut(SubscriptionOut):
    proration: ProrationOut | None
    changed: list[str] = Field(description="the fields the edit changes (line_items when replaced)")


def _changes(payload: SubscriptionChangeIn) -> SubscriptionChanges:
    address = payload.billing_address.model_dump(exclude_unset=True) if payload.billing_address else None
    return SubscriptionChanges(
        name=payload.name,
        line_items=[i.to_input() for i in payload.line_items] if payload.line_items is not None else None,
        next_payment_date=payload.next_payment_date,
        payment_method=referenced(PaymentMethod, payload.payment_method_id, "payment_method_id"),
        contact=referenced(Contact, payload.contact_id, "contact_id"),
        billing_address=address,
        owner_id=payload.owner_id if "owner_id" in payload.model_fields_set else KEEP,
    )


def _out(result: ChangeResult) -> SubscriptionChangeOut:
    base = SubscriptionOut.of(
        subscription_or_404(result.subscription.pk) if result.saved else result.subscription
    )
    if not result.saved:  # the preview: the row and lines as they would be
        base = base.model_copy(update={"line_items": [LineItemOut.of(i) for i in result.line_items]})
    prorated = result.proration
    block = None
    if prorated is not None:
        block = ProrationOut(
            period_start=prorated.period_start,
            period_end=prorated.period_end,
            days=prorated.days,
            period_days=prorated.period_days,
            lines=[
                ProratedLineOut(
                    name=line.name,
                    description=line.description,
                    amount_subtotal=line.amount_subtotal,
                    amount_tax=line.amount_tax,
                    amount_total=line.amount_total,
                )
                for line in prorated.lines
            ],
            subtotal=prorated.subtotal,
            tax=prorated.tax,
            total=prorated.total,
            invoice_id=prorated.invoice.pk if prorated.invoice is not None else None,
            payment_id=prorated.payment_id,
        )
    return SubscriptionChangeOut(**base.model_dump(), proration=block, changed=sorted(result.changed))


def _run(
    request: HttpRequest, subscription_id: str, payload: SubscriptionChangeIn, *, preview: bool
) -> ChangeResult:
    return subscription_change(
        subscription=get_or_404(Subscription, subscription_id),
        changes=_changes(payload),
        proration=payload.proration,
        actor=actor(request),
        at=clock.now(),
        preview=preview,
    )


@subscriptions_router.patch(
    "/{subscription_id}",
    response=SubscriptionChangeOut,
    summary="Edit a subscription",
    description="Active, scheduled and Unpaid (past_due) only (409 otherwise, and while a payment is "
    "pending or processing). A subscription_changed email goes to the (new) contact. The owner_id alone "
    "changes in any status, with no email and nothing prorated.",
)
def change_subscription(
    request: HttpRequest, subscription_id: Id, payload: SubscriptionChangeIn
) -> SubscriptionChangeOut:
    return _out(_run(request, subscription_id, payload, preview=False))


@router.post(
    "/{subscription_id}/preview-change",
    response=SubscriptionChangeOut,
    summary="Preview an edit's money effect",
    description="The same body as PATCH; answers the subscription as it would be and the exact "
    "prorated lines and amounts, saving nothing.",
)
def preview_subscription_change(
    request: HttpRequest, subscription_id: Id, payload: SubscriptionChangeIn
) -> SubscriptionChangeOut:
    return _out(_run(request, subscription_id, payload, preview=True))
