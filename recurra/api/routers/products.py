"""/products: the product library. Used products are archived, not deleted (409)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import BaseModel, Field, StrictBool

from recurra.api.auth import actor
from recurra.api.common import ListQuery, get_or_404, no_content
from recurra.api.fields import (
    TEXT,
    Currency,
    Description,
    Frequency,
    Id,
    In,
    MinorUnits,
    Name,
    Percent,
    changes,
    omittable,
    percent_text,
)
from recurra.api.pagination import list_schema
from recurra.catalog import selectors, services
from recurra.catalog.models import Product
from recurra.core import clock

router = Router(tags=["products"])
Sku = Annotated[str, Field(max_length=64, description="unique whatever its case"), TEXT]


class ProductIn(In):
    name: Name
    sku: Sku | None = None
    description: Description = ""
    unit_amount: MinorUnits
    currency: Currency
    tax_rate_percent: Percent | None = None
    billing_frequency: Frequency = "one_time"  # type: ignore[valid-type]


class ProductPatch(In):
    name: Name = omittable()
    sku: Sku | None = Field(None, description="null removes the SKU")
    description: Description = omittable()
    unit_amount: MinorUnits = omittable()
    currency: Currency = omittable()
    tax_rate_percent: Percent | None = Field(None, description="null means no tax")
    billing_frequency: Frequency = omittable()  # type: ignore[valid-type]
    archived: StrictBool = omittable(description="true archives the product, false restores it")


class ProductOut(BaseModel):
    id: str
    name: str
    sku: str | None
    description: str
    unit_amount: int
    currency: str
    tax_rate_percent: str
    billing_frequency: str
    archived: bool
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, p: Product) -> ProductOut:
        return cls(
            id=p.pk,
            name=p.name,
            sku=p.sku,
            description=p.description,
            unit_amount=p.unit_amount,
            currency=p.currency,
            tax_rate_percent=percent_text(p.tax_rate_percent),
            billing_frequency=p.billing_frequency,
            archived=p.is_archived,
            archived_at=p.archived_at,
            created_at=p.created_at,
            updated_at=p.updated_at,
        )


class ProductQuery(ListQuery):
    archived: Literal["true", "false", "all"] = "false"


@router.post("", response={201: ProductOut}, summary="Create a product")
def create_product(request: HttpRequest, payload: ProductIn) -> Status[ProductOut]:
    return Status(201, ProductOut.of(services.product_create(actor=actor(request), **payload.model_dump())))


@router.get("", response=list_schema(ProductOut), summary="List or search products")
def list_products(request: HttpRequest, filters: Query[ProductQuery]) -> dict[str, object]:
    archived = {"true": True, "false": False, "all": None}[filters.archived]
    return filters.page(selectors.product_list(q=filters.q, archived=archived)).render(ProductOut.of)


@router.get("/{product_id}", response=ProductOut, summary="Get a product")
def get_product(request: HttpRequest, product_id: Id) -> ProductOut:
    return ProductOut.of(get_or_404(Product, product_id))


@router.patch("/{product_id}", response=ProductOut, summary="Update, archive or restore a product")
def update_product(request: HttpRequest, product_id: Id, payload: ProductPatch) -> ProductOut:
    product = get_or_404(Product, product_id)
    product = services.product_update(
        product=product, actor=actor(request), at=clock.now(), **changes(payload)
    )
    return ProductOut.of(product)


@router.post("/{product_id}/archive", response=ProductOut, summary="Archive a product")
def archive_product(request: HttpRequest, product_id: Id) -> ProductOut:
    product = get_or_404(Product, product_id)
    return ProductOut.of(services.product_archive(product=product, actor=actor(request), at=clock.now()))


@router.delete(
    "/{product_id}",
    response={204: None},
    summary="Delete an unused product",
    description="A product used on any line item cannot be deleted (409); archive it.",
)
def delete_product(request: HttpRequest, product_id: Id) -> HttpResponse:
    services.product_delete(product=get_or_404(Product, product_id), actor=actor(request))
    return no_content()
