"""/contacts: people who buy; email unique whatever its case."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import BaseModel, Field, StrictBool

from recurra.api.auth import actor
from recurra.api.common import ListQuery, get_or_404, no_content
from recurra.api.fields import (
    AddressIn,
    AddressOut,
    Email,
    Id,
    In,
    OwnerId,
    OwnerQuery,
    Phone,
    ShortText,
    changes,
    omittable,
)
from recurra.api.pagination import list_schema
from recurra.crm import selectors, services
from recurra.crm.models import Contact

router = Router(tags=["contacts"])


class ContactIn(In):
    email: Email
    first_name: ShortText = ""
    last_name: ShortText = ""
    phone: Phone = ""
    address: AddressIn | None = None
    company_id: Id | None = None
    owner_id: OwnerId | None = None
    email_opt_out: StrictBool = Field(
        False, description="unsubscribed from email to lists (list_email); transactional emails still go"
    )


class ContactPatch(In):
    email: Email = omittable()
    first_name: ShortText = omittable()
    last_name: ShortText = omittable()
    phone: Phone = omittable()
    address: AddressIn = omittable()
    company_id: Id | None = Field(None, description="null removes the contact from its company")
    owner_id: OwnerId | None = Field(None, description="null: no owner")
    email_opt_out: StrictBool = omittable(description="unsubscribed from email to lists (list_email)")


class ContactOut(BaseModel):
    id: str
    email: str
    first_name: str
    last_name: str
    phone: str
    address: AddressOut
    company_id: str | None
    owner_id: int | None = Field(description="the user who owns the contact (GET /users); null: nobody")
    email_opt_out: bool = Field(
        description="unsubscribed from email to lists (list_email), by an unsubscribe link or the team; "
        "transactional emails (receipts, invoices, failed payments) still go"
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: Contact) -> ContactOut:
        return cls(
            id=c.pk,
            email=c.email,
            first_name=c.first_name,
            last_name=c.last_name,
            phone=c.phone,
            address=AddressOut(**c.address),
            company_id=c.company_id,
            owner_id=c.owner_id,
            email_opt_out=c.email_opt_out,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


class ContactQuery(ListQuery):
    company_id: Id | None = None
    owner_id: OwnerQuery | None = None


@router.post("", response={201: ContactOut}, summary="Create a contact")
def create_contact(request: HttpRequest, payload: ContactIn) -> Status[ContactOut]:
    contact = services.contact_create(actor=actor(request), **payload.model_dump())
    return Status(201, ContactOut.of(contact))


@router.get("", response=list_schema(ContactOut), summary="List or search contacts")
def list_contacts(request: HttpRequest, filters: Query[ContactQuery]) -> dict[str, object]:
    qs = selectors.contact_list(q=filters.q, company_id=filters.company_id, owner_id=filters.owner_id)
    return filters.page(qs).render(ContactOut.of)


@router.get("/{contact_id}", response=ContactOut, summary="Get a contact")
def get_contact(request: HttpRequest, contact_id: Id) -> ContactOut:
    return ContactOut.of(get_or_404(Contact, contact_id))


@router.patch("/{contact_id}", response=ContactOut, summary="Update a contact")
def update_contact(request: HttpRequest, contact_id: Id, payload: ContactPatch) -> ContactOut:
    contact = get_or_404(Contact, contact_id)
    return ContactOut.of(services.contact_update(contact=contact, actor=actor(request), **changes(payload)))


@router.delete("/{contact_id}", response={204: None}, summary="Delete a contact")
def delete_contact(request: HttpRequest, contact_id: Id) -> HttpResponse:
    services.contact_delete(contact=get_or_404(Contact, contact_id), actor=actor(request))
    return no_content()
