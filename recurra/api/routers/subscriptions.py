"""/subscriptions: create them from line items (one per group), list (filtered, sorted, paged) and read;
pause and resume."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import BaseModel, Field, StrictBool

from recurra.api.auth import actor
from recurra.api.common import PageQuery, get_or_404, no_content, referenced
from recurra.api.fields import (
    TEXT,
    AddressIn,
    AddressOut,
    Date,
    Id,
    In,
    LineItemIn,
    LineItemOut,
    Name,
    OwnerId,
    OwnerQuery,
    ShortText,
)
from recurra.api.pagination import list_schema
from recurra.catalog.terms import CollectionMethod, PaymentTerms
from recurra.core import clock
from recurra.core.errors import NotFound
from recurra.crm.models import Company, Contact, Deal
from recurra.payments.models import PaymentMethod
from recurra.subscriptions import canceling, deleting, pausing, selectors, services
from recurra.subscriptions.models import Subscription, SubscriptionStatus

router = Router(tags=["subscriptions"])
Collection = Literal[tuple(CollectionMethod.values)]  # type: ignore[valid-type]
Terms = Literal[tuple(PaymentTerms.values)]  # type: ignore[valid-type]
MethodTypeIn = Literal["card", "ach", "sepa_debit"]
Language = Literal[services.INVOICE_LANGUAGES]  # type: ignore[valid-type]
SearchText = Annotated[
    str, Field(max_length=200, description="words in the name or the contact's email or name"), TEXT
]
InvoiceText = Annotated[str, Field(max_length=2000), TEXT]


class InvoiceSettingsIn(In):
    comments: InvoiceText = ""
    footer: InvoiceText = ""
    po_number: ShortText = ""
    tax_id: ShortText = ""
    language: Language | None = Field(
        None, description="en or nb; the account's default language if left out"
    )  # type: ignore[valid-type]


class InvoiceSettingsOut(BaseModel):
    comments: str
    footer: str
    po_number: str
    tax_id: str
    language: str


class SubscriptionIn(In):
    contact_id: Id
    company_id: Id | None = Field(None, description="the contact's company if left out")
    deal_id: Id | None = None
    name: Name | None = Field(None, description='the first item\'s name (plus " + N more") if left out')
    billing_address: AddressIn | None = Field(None, description="the contact's address if left out")
    line_items: Annotated[list[LineItemIn], Field(max_length=100)]
    collection_method: Collection  # type: ignore[valid-type]
    payment_method_id: Id | None = Field(None, description="required to charge automatically")
    payment_terms: Terms | None = Field(  # type: ignore[valid-type]
        None, description="required to send invoices; due_on_receipt when charging automatically"
    )
    accept_online_payment: StrictBool = True
    allowed_payment_methods: Annotated[list[MethodTypeIn], Field(max_length=3)] = ["card", "ach"]
    collect_billing_address: StrictBool = False
    collect_shipping_address: StrictBool = False
    save_payment_method: StrictBool = True
    invoice_settings: InvoiceSettingsIn | None = None
    owner_id: OwnerId | None = Field(None, description="the user who owns it (GET /users); null: nobody")


class AssociationsOut(BaseModel):
    deals: list[str]
    quotes: list[str]
    invoices: list[str]
    payments: list[str]
    payment_links: list[str]


class SubscriptionOut(BaseModel):
    id: str
    name: str
    status: str
    status_label: str = Field(description='how the status is shown: "Unpaid" for past_due')
    contact_id: str
    company_id: str | None
    owner_id: int | None = Field(description="the user who owns the subscription (GET /users); null: nobody")
    currency: str
    billing_frequency: str
    billing_terms: str
    number_of_payments: int | None
    payments_made: int
    start_date: dt.date
    next_payment_date: dt.date | None
    end_date: dt.date | None
    next_payment_amount: int
    last_payment_amount: int | None
    total_collected: int
    mrr: int = Field(description="the net recurring amount (after discounts, before tax) per month")
    collection_method: str
    payment_terms: str
    payment_method_id: str | None
    accept_online_payment: bool
    allowed_payment_methods: list[str]
    billing_address: AddressOut
    invoice_settings: InvoiceSettingsOut
    line_items: list[LineItemOut]
    associations: AssociationsOut
    cancel_at_period_end: bool
    canceled_at: dt.datetime | None
    paused_at: dt.datetime | None
    pause_reason: str = Field(description="why it was paused (blank when not paused or no reason)")
    resume_on: dt.date | None = Field(description="a paused subscription resumes by itself on this day")
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, s: Subscription) -> SubscriptionOut:
        billed = selectors.billed_records(s)
        return cls(
            id=s.pk,
            name=s.name,
            status=s.status,
            status_label=str(SubscriptionStatus(s.status).label),
            contact_id=s.contact_id,
            company_id=s.company_id,
            owner_id=s.owner_id,
            currency=s.currency,
            billing_frequency=s.billing_frequency,
            billing_terms=s.billing_terms,
            number_of_payments=s.number_of_payments,
            payments_made=s.payments_made,
            start_date=s.start_date,
            next_payment_date=s.next_payment_date,
            end_date=s.end_date,
            next_payment_amount=s.next_payment_amount,
            last_payment_amount=s.last_payment_amount,
            total_collected=s.total_collected,
            mrr=s.mrr,
            collection_method=s.collection_method,
            payment_terms=s.payment_terms,
            payment_method_id=s.payment_method_id,
            accept_online_payment=s.accept_online_payment,
            allowed_payment_methods=list(s.allowed_payment_methods),
            billing_address=AddressOut(**s.address),
            invoice_settings=InvoiceSettingsOut(
                **{name: getattr(s, column) for name, column in services.INVOICE_SETTINGS.items()}
            ),
            line_items=[LineItemOut.of(item) for item in selectors.line_items_of(s)],
            associations=AssociationsOut(
                deals=[s.deal_id] if s.deal_id else [],
                quotes=[s.quote_id] if s.quote_id else [],
                invoices=billed[0],
                payments=billed[1],
                payment_links=[s.payment_link_id] if s.payment_link_id else [],
            ),
            cancel_at_period_end=s.cancel_at_period_end,
            canceled_at=s.canceled_at,
            paused_at=s.paused_at,
            pause_reason=s.pause_reason,
            resume_on=s.resume_on,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )


class SubscriptionCreatedOut(SubscriptionOut):
    subscriptions: list[SubscriptionOut] = Field(
        description="every subscription made, in the order of their line items' groups (the first is the "
        "one above): items that differ in billing frequency, terms, start date or number of payments "
        "make one subscription each"
    )


class PauseIn(In):
    reason: Annotated[str, Field(max_length=500), TEXT] | None = None
    resume_on: Date | None = Field(None, description="resume by itself on this day (after today)")


class CancelIn(In):
    confirm: StrictBool = Field(description="must be true: the customer will not be charged again")
    when: Literal["now", "period_end"] = Field(
        description="now: canceled at once; period_end: runs to its next payment date, then canceled "
        "(undo with POST /subscriptions/{id}/undo-cancel until then)"
    )
    refund: Literal["none", "prorated"] = Field(
        "none", description="prorated (now only): the unused days of the paid current period go back"
    )


class RefundMade(BaseModel):
    payment_id: str
    amount: int
    status: Literal["succeeded", "pending", "failed"] = Field(
        description="pending: on its way (the payment processor did not answer; Recurra sends it again "
        "with the same key until it does)"
    )
    error: str | None = Field(None, description="why the gateway refused it (the cancellation stands)")


class CancelOut(SubscriptionOut):
    refunds: list[RefundMade]
    pending_payments: list[str] = Field(
        description="payments still on their way (a bank debit): neither cancelled nor refunded; "
        "follow them up by hand"
    )
    notice: str | None


class ResumeIn(In):
    next_payment_date: Date | None = Field(
        None,
        description="today or later; the next anchor date on or after today if left out "
        "(the next unbilled period starts on it; a fixed term keeps its number of payments)",
    )


class SubscriptionQuery(PageQuery):
    status: list[Annotated[str, Field(max_length=200), TEXT]] = Field(
        default_factory=list,
        description="repeat it or separate with commas: status=past_due,scheduled",
    )
    next_payment_date_gte: Date | None = None
    next_payment_date_lte: Date | None = None
    contact_id: Id | None = None
    company_id: Id | None = None
    owner_id: OwnerQuery | None = None
    q: SearchText | None = None
    sort: Annotated[str, Field(max_length=60), TEXT] = Field(
        selectors.DEFAULT_SORT,
        description="a property to sort by (name, status, contact, company, next_payment_date, "
        "next_payment_amount, mrr, created_at, ...), - first for descending; rows without a value "
        "come last either way",
    )


@router.post(
    "",
    response={201: SubscriptionCreatedOut},
    summary="Create a subscription (or one per group of line items)",
    description="Line items with the same billing frequency, billing terms, start date and number of "
    "payments share one subscription; any difference makes another (a monthly and an annual item: two). "
    "The answer is the first subscription, and all of them in subscriptions. Every one is checked before "
    "any is made: a 422 makes none.",
)
def create_subscription(request: HttpRequest, payload: SubscriptionIn) -> Status[SubscriptionCreatedOut]:
    values = payload.model_dump(
        exclude={"contact_id", "company_id", "deal_id", "payment_method_id", "line_items"}
    )
    made = services.subscriptions_create(
        contact=referenced(Contact, payload.contact_id, "contact_id"),
        company=referenced(Company, payload.company_id, "company_id"),
        deal=referenced(Deal, payload.deal_id, "deal_id"),
        payment_method=referenced(PaymentMethod, payload.payment_method_id, "payment_method_id"),
        line_items=[item.to_input() for item in payload.line_items],
        actor=actor(request),
        at=clock.now(),
        **values,
    )
    rows = [SubscriptionOut.of(subscription_or_404(subscription.pk)) for subscription in made]
    return Status(201, SubscriptionCreatedOut(**rows[0].model_dump(), subscriptions=rows))


@router.get("", response=list_schema(SubscriptionOut), summary="List, filter and sort subscriptions")
def list_subscriptions(request: HttpRequest, filters: Query[SubscriptionQuery]) -> dict[str, object]:
    qs = selectors.subscription_list(
        statuses=filters.status,
        next_payment_date_gte=filters.next_payment_date_gte,
        next_payment_date_lte=filters.next_payment_date_lte,
        contact_id=filters.contact_id,
        company_id=filters.company_id,
        owner_id=filters.owner_id,
        q=filters.q,
    )
    page = selectors.subscription_page(qs, sort=filters.sort, limit=filters.limit, cursor=filters.cursor)
    return page.render(SubscriptionOut.of)


def subscription_or_404(pk: str) -> Subscription:
    """The subscription ``pk`` with its associations loaded (what the API shows), else a 404."""
    subscription = selectors.subscription_get(pk)
    if subscription is None:
        raise NotFound(f"no subscription {pk}")
    return subscription


@router.get("/{subscription_id}", response=SubscriptionOut, summary="Get a subscription")
def get_subscription(request: HttpRequest, subscription_id: Id) -> SubscriptionOut:
    return SubscriptionOut.of(subscription_or_404(subscription_id))


@router.post(
    "/{subscription_id}/pause",
    response=SubscriptionOut,
    summary="Pause a subscription",
    description="Nothing is invoiced, charged or reminded while paused. 409 unless active, "
    "Unpaid (past_due) or scheduled.",
)
def pause_subscription(
    request: HttpRequest, subscription_id: Id, payload: PauseIn | None = None
) -> SubscriptionOut:
    payload = payload or PauseIn.model_validate({})
    pausing.subscription_pause(
        subscription=get_or_404(Subscription, subscription_id),
        reason=payload.reason,
        resume_on=payload.resume_on,
        actor=actor(request),
        at=clock.now(),
    )
    return SubscriptionOut.of(subscription_or_404(subscription_id))


@router.post(
    "/{subscription_id}/resume",
    response=SubscriptionOut,
    summary="Resume a paused subscription",
    description="Billing starts again on next_payment_date; it is Unpaid (past_due) again when an "
    "overdue invoice is still open, else active. 409 unless paused.",
)
def resume_subscription(
    request: HttpRequest, subscription_id: Id, payload: ResumeIn | None = None
) -> SubscriptionOut:
    payload = payload or ResumeIn.model_validate({})
    pausing.subscription_resume(
        subscription=get_or_404(Subscription, subscription_id),
        next_payment_date=payload.next_payment_date,
        actor=actor(request),
        at=clock.now(),
    )
    return SubscriptionOut.of(subscription_or_404(subscription_id))


@router.post(
    "/{subscription_id}/cancel",
    response=CancelOut,
    summary="Cancel a subscription",
    description="Cancelled is terminal (409 when already canceled or expired). A prorated refund the "
    "payment processor did not answer is on its way (status pending) and is sent again until it is. A "
    "payment still on its way is not cancelled: pending_payments names it, and with refund prorated "
    "its unused days are refunded once it succeeds.",
)
def cancel_subscription(request: HttpRequest, subscription_id: Id, payload: CancelIn) -> CancelOut:
    done = canceling.subscription_cancel(
        subscription=get_or_404(Subscription, subscription_id),
        confirm=payload.confirm,
        when=payload.when,
        refund=payload.refund,
        actor=actor(request),
        at=clock.now(),
    )
    refunds = [
        RefundMade(payment_id=pk, amount=amount, status="succeeded", error=None)
        for pk, amount in done.refunds
    ]
    refunds += [
        RefundMade(payment_id=pk, amount=amount, status="pending", error=None)
        for pk, amount in done.refunds_on_their_way
    ]
    refunds += [
        RefundMade(payment_id=pk, amount=amount, status="failed", error=why)
        for pk, amount, why in done.refund_errors
    ]
    notice = None
    if done.unsettled_payments:
        notice = (
            f"{len(done.unsettled_payments)} payment(s) still on their way were not cancelled or refunded: "
            + ", ".join(done.unsettled_payments)
        )
    base = SubscriptionOut.of(subscription_or_404(subscription_id))
    return CancelOut(
        **base.model_dump(), refunds=refunds, pending_payments=done.unsettled_payments, notice=notice
    )


@router.post(
    "/{subscription_id}/undo-cancel",
    response=SubscriptionOut,
    summary="Undo a cancellation set for the period's end",
    description="409 when no cancellation is set or the subscription has ended.",
)
def undo_cancel_subscription(request: HttpRequest, subscription_id: Id) -> SubscriptionOut:
    canceling.subscription_cancel_undo(
        subscription=get_or_404(Subscription, subscription_id), actor=actor(request)
    )
    return SubscriptionOut.of(subscription_or_404(subscription_id))


@router.delete(
    "/{subscription_id}",
    response={204: None},
    summary="Delete a canceled or expired subscription",
    description="Permanent. 409 unless canceled or expired. Its invoices, payments and audit trail stay, "
    "keeping its id (and, on invoices, its name).",
)
def delete_subscription(request: HttpRequest, subscription_id: Id) -> HttpResponse:
    deleting.subscription_delete(subscription=get_or_404(Subscription, subscription_id), actor=actor(request))
    return no_content()
