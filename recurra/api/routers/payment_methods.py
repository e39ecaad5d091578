"""/contacts/{id}/payment-methods: a contact's saved methods (gateway tokens and display hints only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Query, Router, Status
from pydantic import BaseModel, Field

from recurra.api.auth import actor
from recurra.api.common import PageQuery, get_or_404
from recurra.api.fields import TEXT, Id, In
from recurra.api.pagination import list_schema
from recurra.core import clock
from recurra.crm.models import Contact
from recurra.payments import selectors, services
from recurra.payments.models import PaymentMethod

router = Router(tags=["payment methods"])

Token = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description="a gateway token made client-side; in the sandbox tok_visa, tok_ach, ... (see API.md)",
    ),
    TEXT,
]


class PaymentMethodIn(In):
    token: Token


class PaymentMethodOut(BaseModel):
    id: str
    contact_id: str
    type: Literal["card", "ach", "sepa_debit"]
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None
    created_at: datetime

    @classmethod
    def of(cls, m: PaymentMethod) -> PaymentMethodOut:
        return cls(
            id=m.pk,
            contact_id=m.contact_id,
            type=m.type,  # type: ignore[arg-type]
            brand=m.brand,
            last4=m.last4,
            exp_month=m.exp_month,
            exp_year=m.exp_year,
            created_at=m.created_at,
        )


@router.post(
    "/{contact_id}/payment-methods", response={201: PaymentMethodOut}, summary="Save a payment method"
)
def add_payment_method(
    request: HttpRequest, contact_id: Id, payload: PaymentMethodIn
) -> Status[PaymentMethodOut]:
    contact = get_or_404(Contact, contact_id)
    method = services.payment_method_add(
        contact=contact, token=payload.token, actor=actor(request), at=clock.now()
    )
    return Status(201, PaymentMethodOut.of(method))


@router.get(
    "/{contact_id}/payment-methods",
    response=list_schema(PaymentMethodOut),
    summary="List a contact's payment methods",
)
def list_payment_methods(request: HttpRequest, contact_id: Id, page: Query[PageQuery]) -> dict[str, object]:
    contact = get_or_404(Contact, contact_id)
    return page.page(selectors.payment_method_list(contact=contact)).render(PaymentMethodOut.of)
