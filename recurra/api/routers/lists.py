"""/lists: lists of contacts or companies, segmented by their properties and their subscriptions.

``filters`` extends the view filter language (docs/lists.md): conditions on the record's own
properties, and ``{"subscriptions": {"match": "any" | "all" | "none", "filters": ...}}``. An active
list's members are a query, never stale; a static list's are edited with ``POST`` / ``DELETE
/lists/{id}/members {ids}``. Reads for any role; changes for editors.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import BaseModel, ConfigDict, Field

from recurra.api.auth import actor, request_key
from recurra.api.common import PageQuery, no_content
from recurra.api.fields import TEXT, Id, In, omittable
from recurra.api.pagination import list_schema
from recurra.api.routers.companies import CompanyOut
from recurra.api.routers.contacts import ContactOut
from recurra.core import clock
from recurra.core.errors import NotFound
from recurra.insights.lists import selectors, services
from recurra.insights.models import RecordList
from recurra.notifications.bulk import bulk_email_send

router = Router(tags=["lists"])
Name = Annotated[str, Field(min_length=1, max_length=services.MAX_NAME), TEXT]
FILTERS_DOC = (
    'the record\'s properties in groups (as views), and {"subscriptions": {"match": "any" | "all" | '
    '"none", "filters": <subscription filters>}} as a condition; see docs/lists.md'
)
Ids = Annotated[list[Id], Field(min_length=1, max_length=services.MAX_IDS)]


class ListIn(In):
    name: Name
    object: Literal["contacts", "companies"]
    kind: Literal["active", "static"] = "active"
    filters: dict[str, Any] = Field(default_factory=dict, description=FILTERS_DOC)


class ListPatch(In):
    name: Name = omittable()
    filters: dict[str, Any] = omittable(description=FILTERS_DOC)


class ListOut(BaseModel):
    id: str
    name: str
    object: str
    kind: str
    filters: dict[str, Any]
    size: int = Field(description="members now")
    created_by: int | None = Field(description="the user who made it (a key's creator)")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, found: RecordList) -> ListOut:
        return cls(
            id=found.pk,
            name=found.name,
            object=found.object,
            kind=found.kind,
            filters=found.filters,
            size=selectors.size(found, at=clock.now()),
            created_by=found.created_by_id,
            created_at=found.created_at,
            updated_at=found.updated_at,
        )


class MemberOut(BaseModel):
    """A member as ``GET /contacts/{id}`` or ``GET /companies/{id}`` shows it (by the list's object)."""

    model_config = ConfigDict(extra="allow")
    id: str


class IdsIn(In):
    ids: Ids


class AddedOut(BaseModel):
    added: int


class SnapshotIn(In):
    name: Name


class EmailIn(In):
    subject: Annotated[str, Field(min_length=1, max_length=200), TEXT] = Field(
        description="placeholders: {{ contact.first_name }}, {{ subscription.end_date }}... (docs/lists.md)"
    )
    body: Annotated[str, Field(min_length=1, max_length=20000), TEXT]


class EmailOut(BaseModel):
    id: str = Field(description="the email's id: GET /bulk-emails/{id} shows its progress")
    status: str
    recipients: int = Field(description="unique addresses it is written to")


def list_or_404(pk: str) -> RecordList:
    found = selectors.list_get(pk)
    if found is None:
        raise NotFound(f"no list {pk}")
    return found


def _creator(request: HttpRequest) -> int | None:
    key = request_key(request)
    return key.created_by_id if key is not None else None


@router.post("", response={201: ListOut}, summary="Create a list")
def create_list(request: HttpRequest, payload: ListIn) -> Status[ListOut]:
    made = services.list_create(
        name=payload.name,
        object=payload.object,
        kind=payload.kind,
        filters=payload.filters,
        created_by_id=_creator(request),
        actor=actor(request),
        at=clock.now(),
    )
    return Status(201, ListOut.of(made))


@router.get("", response=list_schema(ListOut), summary="List the lists")
def list_lists(request: HttpRequest, filters: Query[PageQuery]) -> dict[str, object]:
    return filters.page(selectors.list_all()).render(ListOut.of)


@router.get("/{list_id}", response=ListOut, summary="Get a list")
def get_list(request: HttpRequest, list_id: Id) -> ListOut:
    return ListOut.of(list_or_404(list_id))


@router.patch("/{list_id}", response=ListOut, summary="Rename a list, or change an active list's filters")
def update_list(request: HttpRequest, list_id: Id, payload: ListPatch) -> ListOut:
    given = payload.model_dump(exclude_unset=True)
    changed = services.list_update(
        record_list=list_or_404(list_id),
        actor=actor(request),
        name=given.get("name"),
        filters=given.get("filters"),
    )
    return ListOut.of(changed)


@router.delete("/{list_id}", response={204: None}, summary="Delete a list")
def delete_list(request: HttpRequest, list_id: Id) -> HttpResponse:
    services.list_delete(record_list=list_or_404(list_id), actor=actor(request))
    return no_content()


@router.get(
    "/{list_id}/members",
    response=list_schema(MemberOut),
    summary="A list's members (contacts or companies, as GET shows them)",
)
def list_members(request: HttpRequest, list_id: Id, filters: Query[PageQuery]) -> dict[str, object]:
    found = list_or_404(list_id)
    shown = ContactOut.of if found.object == "contacts" else CompanyOut.of
    return filters.page(selectors.members(found, at=clock.now())).render(
        lambda record: MemberOut(**shown(record).model_dump())
    )


@router.post("/{list_id}/members", response=AddedOut, summary="Add records to a static list")
def add_members(request: HttpRequest, list_id: Id, payload: IdsIn) -> AddedOut:
    added = services.list_members_add(
        record_list=list_or_404(list_id), ids=payload.ids, actor=actor(request), at=clock.now()
    )
    return AddedOut(added=added)


@router.delete(
    "/{list_id}/members",
    response={204: None},
    summary="Remove records from a static list (not members: nothing)",
)
def remove_members(request: HttpRequest, list_id: Id, payload: IdsIn) -> HttpResponse:
    services.list_members_remove(
        record_list=list_or_404(list_id), ids=payload.ids, actor=actor(request), at=clock.now()
    )
    return no_content()


@router.post(
    "/{list_id}/emails",
    response={201: EmailOut},
    summary="Email a list's contacts (a company list: its companies' contacts), never the unsubscribed",
)
def email_list(request: HttpRequest, list_id: Id, payload: EmailIn) -> Status[EmailOut]:
    found = list_or_404(list_id)
    made = bulk_email_send(
        contacts=selectors.member_contacts(found, at=clock.now()),
        subject=payload.subject,
        body=payload.body,
        source=f"list:{found.pk}",
        actor=actor(request),
        at=clock.now(),
    )
    return Status(201, EmailOut(id=made.pk, status=made.status, recipients=made.recipients))


@router.post("/{list_id}/snapshot", response={201: ListOut}, summary="A static copy of a list's members now")
def snapshot_list(request: HttpRequest, list_id: Id, payload: SnapshotIn) -> Status[ListOut]:
    found = list_or_404(list_id)
    at = clock.now()
    made = services.list_snapshot(
        record_list=found,
        name=payload.name,
        member_ids=selectors.member_ids(found, at=at),
        created_by_id=_creator(request),
        actor=actor(request),
        at=at,
    )
    return Status(201, ListOut.of(made))
