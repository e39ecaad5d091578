"""/payments: read the charges made for invoices, and refund them."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Query, Router
from pydantic import BaseModel, Field, StrictInt

from recurra.api.auth import actor, request_key
from recurra.api.common import PageQuery, get_or_404
from recurra.api.fields import Id, In
from recurra.api.idempotency import HEADER, fingerprint
from recurra.api.pagination import list_schema
from recurra.billing.retries import payment_retry
from recurra.core import clock
from recurra.invoicing import selectors
from recurra.payments.models import Payment, PaymentStatus
from recurra.payments.refunds import payment_refund

router = Router(tags=["payments"])
PUBLIC_STATUSES = tuple(s for s in PaymentStatus.values if s != PaymentStatus.PENDING)
Status = Literal[PUBLIC_STATUSES]  # type: ignore[valid-type]


class PaymentOut(BaseModel):
    id: str
    invoice_id: str
    subscription_id: str | None = Field(description="set when its invoice bills exactly one subscription")
    subscription_ids: list[str] = Field(description="every subscription with a line on its invoice")
    contact_id: str
    amount: int
    amount_refunded: int
    currency: str
    method_type: str
    payment_method_id: str | None
    status: str = Field(description=f"one of {', '.join(PUBLIC_STATUSES)}")
    failure_code: str
    origin: str = Field(
        description="renewal, retry (scheduled), manual (staff), update_link (buyer), proration or offline"
    )
    offline_method: str = Field(description="paid offline: bank_transfer, cash, cheque or other; else empty")
    reference: str = Field(description="paid offline: the reference staff gave")
    failure_message: str
    settled_at: dt.datetime | None
    created_at: dt.datetime

    @classmethod
    def of(cls, p: Payment) -> PaymentOut:
        return cls(
            id=p.pk,
            invoice_id=p.invoice_id,
            subscription_id=p.subscription_id,
            subscription_ids=p.invoice.subscription_ids,
            contact_id=p.contact_id,
            amount=p.amount,
            amount_refunded=p.amount_refunded,
            currency=p.currency,
            method_type=p.method_type,
            payment_method_id=p.payment_method_id,
            status=selectors.public_payment_status(p.status),
            failure_code=p.failure_code,
            origin=p.origin,
            offline_method=p.offline_method,
            reference=p.reference,
            failure_message=p.failure_message,
            settled_at=p.settled_at,
            created_at=p.created_at,
        )


class PaymentQuery(PageQuery):
    subscription_id: Id | None = None
    invoice_id: Id | None = None
    status: Status | None = None  # type: ignore[valid-type]


@router.get("", response=list_schema(PaymentOut), summary="List payments")
def list_payments(request: HttpRequest, filters: Query[PaymentQuery]) -> dict[str, object]:
    qs = selectors.payment_list(
        subscription_id=filters.subscription_id, invoice_id=filters.invoice_id, status=filters.status
    )
    return filters.page(qs).render(PaymentOut.of)


@router.get("/{payment_id}", response=PaymentOut, summary="Get a payment")
def get_payment(request: HttpRequest, payment_id: Id) -> PaymentOut:
    return PaymentOut.of(get_or_404(Payment, payment_id))


class RefundIn(In):
    amount: (
        Annotated[StrictInt, Field(gt=0, description="minor units; everything left if left out")] | None
    ) = None


def _refund_key(request: HttpRequest) -> str | None:
    """The refund's own key for a request sent with an Idempotency-Key: a retry of it (same API
    key, key and request) completes the refund the first try left in progress."""
    if HEADER not in request.headers:
        return None
    digest = hashlib.sha256(f"{request_key(request).pk}\n{request.headers[HEADER]}\n".encode())
    digest.update(fingerprint(request).encode())
    return f"api_{digest.hexdigest()}"


@router.post(
    "/{payment_id}/refund",
    response=PaymentOut,
    summary="Refund a payment",
    description="Gives back `amount` (everything left if left out) through the gateway. 409 unless "
    "succeeded or partially_refunded; 422 on `amount` when more than is left. The payment becomes "
    "partially_refunded, or refunded when nothing is left; its subscription is not changed.",
)
def refund_payment(request: HttpRequest, payment_id: Id, payload: RefundIn | None = None) -> PaymentOut:
    payload = payload or RefundIn.model_validate({})
    payment = payment_refund(
        payment=get_or_404(Payment, payment_id),
        amount=payload.amount,
        actor=actor(request),
        at=clock.now(),
        key=_refund_key(request),
    )
    return PaymentOut.of(payment)


@router.post(
    "/{payment_id}/retry",
    response=PaymentOut,
    summary="Retry a failed payment's invoice now",
    description="Staff retry: charges what the invoice still owes to its subscription's payment method, as "
    "a new payment (origin manual), and returns it whatever the outcome. At most 3 per invoice. 409 "
    "unless the payment failed and its invoice is still open with nothing else on its way.",
)
def retry_payment(request: HttpRequest, payment_id: Id) -> PaymentOut:
    attempt = payment_retry(payment=get_or_404(Payment, payment_id), actor=actor(request), at=clock.now())
    return PaymentOut.of(attempt)
