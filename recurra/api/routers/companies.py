"""/companies: organisations contacts and deals belong to."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import BaseModel, Field

from recurra.api.auth import actor
from recurra.api.common import ListQuery, get_or_404, no_content
from recurra.api.fields import (
    TEXT,
    AddressIn,
    AddressOut,
    Id,
    In,
    Name,
    OwnerId,
    OwnerQuery,
    Phone,
    changes,
    omittable,
)
from recurra.api.pagination import list_schema
from recurra.crm import selectors, services
from recurra.crm.models import Company

router = Router(tags=["companies"])
Domain = Annotated[
    str, Field(max_length=253, description="example.com (a URL's scheme and www. are dropped)"), TEXT
]


class CompanyIn(In):
    name: Name
    domain: Domain = ""
    phone: Phone = ""
    address: AddressIn | None = None
    owner_id: OwnerId | None = None


class CompanyPatch(In):
    name: Name = omittable()
    domain: Domain = omittable()
    phone: Phone = omittable()
    address: AddressIn = omittable()
    owner_id: OwnerId | None = Field(None, description="null: no owner")


class CompanyOut(BaseModel):
    id: str
    name: str
    domain: str
    phone: str
    address: AddressOut
    owner_id: int | None = Field(description="the user who owns the company (GET /users); null: nobody")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: Company) -> CompanyOut:
        return cls(
            id=c.pk,
            name=c.name,
            domain=c.domain,
            phone=c.phone,
            address=AddressOut(**c.address),
            owner_id=c.owner_id,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


@router.post("", response={201: CompanyOut}, summary="Create a company")
def create_company(request: HttpRequest, payload: CompanyIn) -> Status[CompanyOut]:
    return Status(201, CompanyOut.of(services.company_create(actor=actor(request), **payload.model_dump())))


class CompanyQuery(ListQuery):
    owner_id: OwnerQuery | None = None


@router.get("", response=list_schema(CompanyOut), summary="List or search companies")
def list_companies(request: HttpRequest, filters: Query[CompanyQuery]) -> dict[str, object]:
    qs = selectors.company_list(q=filters.q, owner_id=filters.owner_id)
    return filters.page(qs).render(CompanyOut.of)


@router.get("/{company_id}", response=CompanyOut, summary="Get a company")
def get_company(request: HttpRequest, company_id: Id) -> CompanyOut:
    return CompanyOut.of(get_or_404(Company, company_id))


@router.patch("/{company_id}", response=CompanyOut, summary="Update a company")
def update_company(request: HttpRequest, company_id: Id, payload: CompanyPatch) -> CompanyOut:
    company = get_or_404(Company, company_id)
    return CompanyOut.of(services.company_update(company=company, actor=actor(request), **changes(payload)))


@router.delete("/{company_id}", response={204: None}, summary="Delete a company")
def delete_company(request: HttpRequest, company_id: Id) -> HttpResponse:
    services.company_delete(company=get_or_404(Company, company_id), actor=actor(request))
    return no_content()
