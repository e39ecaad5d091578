"""/invoices: read invoices and their PDFs; pay one online or mark it paid (voiding comes later)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from pydantic import BaseModel, Field, StrictBool

from recurra.api.auth import actor, sees_buyer_links
from recurra.api.common import PageQuery, get_or_404, referenced
from recurra.api.fields import TEXT, AddressIn, Id, In, percent_text
from recurra.api.openapi import problem_responses
from recurra.api.pagination import list_schema
from recurra.api.routers.payments import PaymentOut
from recurra.billing.offline import invoice_mark_paid
from recurra.billing.online import invoice_pay
from recurra.core import clock
from recurra.core.errors import NotFound
from recurra.invoicing import selectors
from recurra.invoicing.links import pay_url
from recurra.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from recurra.invoicing.pdf import PDF, invoice_pdf_response
from recurra.payments.models import PaymentMethod

router = Router(tags=["invoices"])
Status = Literal[tuple(InvoiceStatus.values)]  # type: ignore[valid-type]
PAYABLE = frozenset({InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE, InvoiceStatus.PAID})


class InvoiceLineOut(BaseModel):
    id: str
    name: str
    description: str
    quantity: int
    unit_amount: int
    discount_percent: str
    tax_rate_percent: str
    amount_discount: int
    amount_subtotal: int = Field(description="quantity × unit_amount − discount")
    amount_tax: int
    amount_total: int
    subscription_id: str | None = Field(description="the subscription whose period it bills; null: one-time")
    period_start: dt.date | None
    period_end: dt.date | None

    @classmethod
    def of(cls, line: InvoiceLine) -> InvoiceLineOut:
        return cls(
            id=line.pk,
            name=line.name,
            description=line.description,
            quantity=line.quantity,
            unit_amount=line.unit_amount,
            discount_percent=percent_text(line.discount_percent),
            tax_rate_percent=percent_text(line.tax_rate_percent),
            amount_discount=line.amount_discount,
            amount_subtotal=line.amount_subtotal,
            amount_tax=line.amount_tax,
            amount_total=line.amount_total,
            subscription_id=line.subscription_id,
            period_start=line.period_start,
            period_end=line.period_end,
        )


class InvoiceOut(BaseModel):
    id: str
    number: str | None = Field(description="null while a draft")
    status: str
    subscription_id: str | None = Field(
        description="set when the lines of exactly one subscription are on it"
    )
    subscription_ids: list[str] = Field(description="every subscription with a line on it, in id order")
    subscription_name: str = Field(description="kept when the subscription is deleted")
    contact_id: str
    currency: str
    lines: list[InvoiceLineOut]
    subtotal: int = Field(description="the lines' amounts after discount, before tax")
    discount: int
    tax: int
    total: int
    amount_paid: int = Field(description="what its payments captured (refunds do not lower it)")
    amount_refunded: int = Field(description="what was given back from its payments")
    amount_due: int
    issued_on: dt.date
    due_on: dt.date
    period_start: dt.date | None
    period_end: dt.date | None
    collection_method: str
    payment_terms: str
    paid_at: dt.datetime | None
    pay_url: str | None = Field(
        description="the public page to pay it (or see it paid); null for drafts and void, and for a "
        "viewer key (whoever holds the link can pay and save a method as the buyer)"
    )
    created_at: dt.datetime

    @classmethod
    def of(cls, i: Invoice, *, links: bool = True) -> InvoiceOut:
        """The invoice; ``links``: with its ``pay_url`` (``auth.sees_buyer_links``)."""
        return cls(
            id=i.pk,
            number=i.number,
            status=i.status,
            subscription_id=i.subscription_id,
            subscription_ids=i.subscription_ids,
            subscription_name=i.subscription_name,
            contact_id=i.contact_id,
            currency=i.currency,
            lines=[InvoiceLineOut.of(line) for line in i.lines.all()],
            subtotal=i.subtotal,
            discount=i.discount,
            tax=i.tax,
            total=i.total,
            amount_paid=i.amount_paid,
            amount_refunded=i.amount_refunded,
            amount_due=i.amount_due,
            issued_on=i.issued_on,
            due_on=i.due_on,
            period_start=i.period_start,
            period_end=i.period_end,
            collection_method=i.collection_method,
            payment_terms=i.payment_terms,
            paid_at=i.paid_at,
            pay_url=pay_url(i) if links and i.status in PAYABLE else None,
            created_at=i.created_at,
        )


class InvoiceQuery(PageQuery):
    subscription_id: Id | None = None
    contact_id: Id | None = None
    status: Status | None = None  # type: ignore[valid-type]


@router.get("", response=list_schema(InvoiceOut), summary="List invoices")
def list_invoices(request: HttpRequest, filters: Query[InvoiceQuery]) -> dict[str, object]:
    qs = selectors.invoice_list(
        subscription_id=filters.subscription_id, contact_id=filters.contact_id, status=filters.status
    )
    links = sees_buyer_links(request)
    return filters.page(qs).render(lambda i: InvoiceOut.of(i, links=links))


@router.get("/{invoice_id}", response=InvoiceOut, summary="Get an invoice")
def get_invoice(request: HttpRequest, invoice_id: Id) -> InvoiceOut:
    invoice = selectors.invoice_get(invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    return InvoiceOut.of(invoice, links=sees_buyer_links(request))


class MarkPaidIn(In):
    method: Literal["bank_transfer", "cash", "cheque", "other"] = Field(description="how it was paid")
    reference: str = Field("", max_length=200, description="e.g. the bank transfer's reference")


@router.post(
    "/{invoice_id}/mark-paid",
    response=InvoiceOut,
    summary="Mark an invoice paid by another method",
    description="Records a payment of everything due, made outside Recurra (bank transfer, cash, cheque), "
    "with its reference; the subscription counts the period as paid. 409 unless the invoice is open with "
    "something due and no payment on its way.",
)
def mark_invoice_paid(request: HttpRequest, invoice_id: Id, payload: MarkPaidIn) -> InvoiceOut:
    invoice_mark_paid(
        invoice=get_or_404(Invoice, invoice_id),
        method=payload.method,
        reference=payload.reference,
        actor=actor(request),
        at=clock.now(),
    )
    return get_invoice(request, invoice_id)


Token = Annotated[str, Field(min_length=1, max_length=100, description="a gateway token"), TEXT]


class PayMethodIn(In):
    """A new method by its gateway token, or a saved one of the invoice's contact by id: one of the two."""

    token: Token | None = None
    id: Id | None = Field(None, description="a saved payment method of the invoice's contact")


class PayIn(In):
    payment_method: PayMethodIn
    billing_address: AddressIn | None = Field(
        None, description="required when the subscription collects it; stored on the invoice"
    )
    shipping_address: AddressIn | None = Field(
        None, description="required when the subscription collects it; stored on the invoice"
    )
    save_payment_method: StrictBool = Field(
        False,
        description="keep the method for the subscription's later invoices, which are then charged "
        "automatically (where the subscription allows saving)",
    )


class PaidOut(BaseModel):
    invoice: InvoiceOut
    payment: PaymentOut = Field(description="succeeded, or processing (a bank debit)")


@router.post(
    "/{invoice_id}/pay",
    response={200: PaidOut, **problem_responses(503)},
    summary="Pay an invoice online",
    description="Charges everything due to a new method (`token`) or a saved one of the contact (`id`), as "
    "the buyer does on the invoice's page. A declined charge is recorded as a failed payment and answered "
    "with a 422 on `payment_method` carrying the decline message. With `save_payment_method`, the method "
    "becomes the subscription's and a send-invoice subscription switches to charging automatically. 409 "
    "unless the invoice is open with something due, no payment on its way, and its subscription accepts "
    "online payment; 503 when the payment processor did not answer (the payment is settled later).",
)
def pay_invoice(request: HttpRequest, invoice_id: Id, payload: PayIn) -> PaidOut:
    method = payload.payment_method
    payment = invoice_pay(
        invoice=get_or_404(Invoice, invoice_id),
        token=method.token,
        payment_method=referenced(PaymentMethod, method.id, "payment_method.id"),
        billing_address=payload.billing_address.model_dump() if payload.billing_address else None,
        shipping_address=payload.shipping_address.model_dump() if payload.shipping_address else None,
        save_payment_method=payload.save_payment_method,
        actor=actor(request),
        at=clock.now(),
    )
    return PaidOut(invoice=get_invoice(request, invoice_id), payment=PaymentOut.of(payment))


@router.get(
    "/{invoice_id}/pdf",
    response={200: None},
    summary="Get an invoice as PDF",
    description="The invoice as a PDF in its language (`inline`, named `<number>.pdf`; a draft by its id): "
    "the seller, the customer and billing address, PO number, tax id, lines, totals, comments and footer.",
    openapi_extra={
        "responses": {
            200: {
                "description": "The invoice as a PDF",
                "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def get_invoice_pdf(request: HttpRequest, invoice_id: Id) -> HttpResponse:
    invoice = selectors.invoice_get(invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    return invoice_pdf_response(invoice)
