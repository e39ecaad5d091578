"""/views: saved views of the subscriptions list (filters, columns, sort), private or the team's.

A view made with an API key belongs to the key's creator; only the owner or a
super admin changes or deletes it. The default views (``all``, ``unpaid``,
``scheduled``) are not listed here; exports and the app accept their ids.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import BaseModel, Field

from recurra.api.auth import actor, request_key
from recurra.api.common import PageQuery, no_content
from recurra.api.fields import TEXT, Id, In, changes, omittable
from recurra.api.pagination import list_schema
from recurra.core import clock
from recurra.core.errors import NotFound
from recurra.saved_views import services
from recurra.saved_views.models import SavedView
from recurra.saved_views.selectors import visible_views
from recurra.saved_views.spec import parse_columns, parse_filters, parse_sort

router = Router(tags=["views"])
ViewName = Annotated[str, Field(min_length=1, max_length=services.MAX_NAME), TEXT]
VisibilityChoice = Literal["private", "team"]
FILTERS_DOC = (
    'the list\'s filters: {"q", "status": [...], "next_payment_date": {"preset": "next_7_days"}, '
    '"groups": [{"conditions": [{"property", "operator", "value"}]}]}; see docs/views.md'
)


class ViewIn(In):
    name: ViewName
    object: Literal["subscriptions"] = "subscriptions"
    filters: dict[str, Any] = Field(default_factory=dict, description=FILTERS_DOC)
    columns: list[Annotated[str, Field(max_length=60), TEXT]] = Field(
        default_factory=list, description="property names in display order; empty: the default columns"
    )
    sort: Annotated[str, Field(max_length=61), TEXT] = Field(
        "next_payment_date", description="a property to sort by, - first for descending"
    )
    visibility: VisibilityChoice | None = Field(
        None,
        description="private: only its owner (the key's creator) sees it; team: everyone. Left out: "
        "private when the key has a creator, else team",
    )


class ViewPatch(In):
    name: ViewName = omittable()
    filters: dict[str, Any] = omittable(description=FILTERS_DOC)
    columns: list[Annotated[str, Field(max_length=60), TEXT]] = omittable()
    sort: Annotated[str, Field(max_length=61), TEXT] = omittable()
    visibility: VisibilityChoice = omittable()


class Owner(BaseModel):
    id: str
    name: str


class ViewOut(BaseModel):
    id: str
    name: str
    object: str
    filters: dict[str, Any]
    columns: list[str]
    sort: str
    visibility: str
    owner: Owner | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, v: SavedView) -> ViewOut:
        owner = v.owner
        return cls(
            id=v.pk,
            name=v.name,
            object=v.object,
            filters=v.filters,
            columns=list(parse_columns(v.columns)),
            sort=v.sort,
            visibility=v.visibility,
            owner=Owner(id=str(owner.pk), name=owner.get_full_name() or owner.get_username())
            if owner
            else None,
            created_at=v.created_at,
            updated_at=v.updated_at,
        )


def _view(request: HttpRequest, view_id: str) -> SavedView:
    """A view this key's creator may see (another's private view is a 404, as if absent)."""
    view = visible_views(request_key(request).created_by).select_related("owner").filter(pk=view_id).first()
    if view is None:
        raise NotFound(f"no view {view_id}")
    return view


@router.post("", response={201: ViewOut}, summary="Save a view")
def create_view(request: HttpRequest, payload: ViewIn) -> Status[ViewOut]:
    view = services.saved_view_create(
        owner=request_key(request).created_by,
        name=payload.name,
        filters=parse_filters(payload.filters),
        columns=parse_columns(payload.columns),
        sort=parse_sort(payload.sort),
        visibility=payload.visibility,
        actor=actor(request),
        at=clock.now(),
    )
    return Status(201, ViewOut.of(view))


@router.get("", response=list_schema(ViewOut), summary="List the views this key's creator sees")
def list_views(request: HttpRequest, page: Query[PageQuery]) -> dict[str, object]:
    qs = visible_views(request_key(request).created_by).select_related("owner")
    return page.page(qs).render(ViewOut.of)


@router.get("/{view_id}", response=ViewOut, summary="Get a view")
def get_view(request: HttpRequest, view_id: Id) -> ViewOut:
    return ViewOut.of(_view(request, view_id))


@router.patch("/{view_id}", response=ViewOut, summary="Rename, share, or change a view's filters")
def update_view(request: HttpRequest, view_id: Id, payload: ViewPatch) -> ViewOut:
    sent = changes(payload)
    key = request_key(request)
    view = services.saved_view_update(
        view=_view(request, view_id),
        user=key.created_by,
        role=key.role,
        actor=actor(request),
        name=sent.get("name"),
        visibility=sent.get("visibility"),
        filters=parse_filters(sent["filters"]) if "filters" in sent else None,
        columns=parse_columns(sent["columns"]) if "columns" in sent else None,
        sort=parse_sort(sent["sort"]) if "sort" in sent else None,
    )
    return ViewOut.of(view)


@router.delete("/{view_id}", response={204: None}, summary="Delete a view")
def delete_view(request: HttpRequest, view_id: Id) -> HttpResponse:
    key = request_key(request)
    services.saved_view_delete(
        view=_view(request, view_id), user=key.created_by, role=key.role, actor=actor(request)
    )
    return no_content()
